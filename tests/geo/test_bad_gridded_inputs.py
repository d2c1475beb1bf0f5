"""Bad gridded inputs on real files: a file of another format, a cut GRIB or NetCDF file, impossible dates,
--level on data without levels. One line, exit 2, no traceback, no run folder."""

import shutil
from pathlib import Path

import pytest

from cli_testing import one_line_error
from cnnlab.errors import CnnlabError
from cnnlab.geo.file_formats import check_grib_complete, looks_like
from cnnlab.geo.gridded import GridSelection, open_gridded, select

GRIB_NAME = "xarray-data/era5-2mt-2019-03-uk.grib"
FORECAST = ["train", "--task", "forecast", "--epochs", "1"]


@pytest.fixture
def netcdf3(real_data_dir, tmp_path) -> Path:
    path = tmp_path / "air.nc"
    shutil.copy(real_data_dir / "air_temperature.nc", path)
    return path


@pytest.fixture
def grib(real_data_dir, tmp_path) -> Path:
    source = real_data_dir / GRIB_NAME
    if not source.is_file():
        pytest.skip(f"{source} is not in the data root")
    path = tmp_path / "t2m.grib"
    shutil.copy(source, path)
    return path


def test_formats_are_recognised_from_their_first_bytes(netcdf3, grib, tmp_path):
    assert looks_like(netcdf3) == "NetCDF-3" and looks_like(grib) == "GRIB"
    (tmp_path / "notes.txt").write_text("hello")
    assert looks_like(tmp_path / "notes.txt") == "text file" and looks_like(tmp_path) == "folder"


@pytest.mark.parametrize(
    "prefix, fixture, expected",
    [
        ("grib", "netcdf3", "looks like a NetCDF-3; use --data netcdf:"),
        ("zarr", "netcdf3", "looks like a NetCDF-3; use --data netcdf:"),
        ("netcdf", "grib", "looks like a GRIB; use --data grib:"),
    ],
)
def test_a_file_of_another_format_is_named(request, capsys, tmp_path, prefix, fixture, expected):
    path = request.getfixturevalue(fixture)
    one_line_error(
        capsys,
        [*FORECAST, "--data", f"{prefix}:{path}", "--out", str(tmp_path / "run")],
        f"{path} is not a {prefix} file",
        expected,
    )
    assert not (tmp_path / "run").exists()


def test_a_text_file_as_netcdf_does_not_suggest_a_package(capsys, tmp_path):
    path = tmp_path / "data.nc"
    path.write_text("temperature,12\n")
    line = one_line_error(
        capsys, [*FORECAST, "--data", f"netcdf:{path}", "--out", str(tmp_path / "run")], "looks like a text file"
    )
    assert "install" not in line and "h5py" not in line


def test_a_truncated_grib_file_is_an_error_not_fewer_messages(grib, capsys, tmp_path):
    assert check_grib_complete(grib) == 744  # every message of the whole file is found
    cut = tmp_path / "cut.grib"
    cut.write_bytes(grib.read_bytes()[:1_000_000])
    one_line_error(
        capsys,
        [*FORECAST, "--data", f"grib:{cut}", "--out", str(tmp_path / "run")],
        "is truncated",
        "GRIB message 298",
        "file ends at 1,000,000",
    )
    assert not (tmp_path / "run").exists()
    junk = tmp_path / "junk.grib"
    junk.write_bytes(grib.read_bytes()[:6720] + b"not grib at all" * 8)
    with pytest.raises(CnnlabError, match="damaged: no GRIB message starts at byte"):
        check_grib_complete(junk)


def test_a_truncated_netcdf3_file_says_truncated_not_unsorted_time(netcdf3, capsys, tmp_path):
    cut = tmp_path / "cut.nc"
    cut.write_bytes(netcdf3.read_bytes()[:300_000])
    line = one_line_error(
        capsys, [*FORECAST, "--data", f"netcdf:{cut}", "--out", str(tmp_path / "run")], "is truncated", "300,000"
    )
    assert "monotonic" not in line


@pytest.mark.parametrize(
    "flag, value",
    [
        ("--time", "2013-13-45..2014-01-01"),
        ("--time", "2013-02-30..2013-06-01"),
        ("--time", "2013-06-01..2013-01-01"),
        ("--train-period", "2013-02-30..2013-06-01"),
    ],
)
def test_impossible_dates_are_one_line_with_the_format(netcdf3, capsys, tmp_path, flag, value):
    extra = ["--test-period", "2014-01-01..2014-12-31"] if flag == "--train-period" else []
    line = one_line_error(
        capsys, [*FORECAST, "--data", f"netcdf:{netcdf3}", flag, value, *extra, "--out", str(tmp_path / "run")], flag
    )
    assert "2013-01-01" in line or "first date is after the last" in line
    assert not (tmp_path / "run").exists()


def test_level_on_data_without_levels_is_refused(netcdf3, capsys, tmp_path):
    one_line_error(
        capsys,
        [*FORECAST, "--data", f"netcdf:{netcdf3}", "--level", "500", "--out", str(tmp_path / "run")],
        "--level 500",
        "has no levels",
        "drop --level",
    )
    with pytest.raises(CnnlabError, match="has no levels"):
        select(open_gridded(f"netcdf:{netcdf3}"), GridSelection(levels=(850.0,)))


def test_a_zarr_store_with_a_missing_chunk_is_an_error_not_zeros(tmp_path, capsys):
    from geo_testing import make_grid_dataset

    ds = make_grid_dataset(times=40)[["t2m"]]
    ds["t2m"] = (ds["t2m"] * 100).astype("int16")  # packed integers, as reanalyses store them: fill value 0
    store = tmp_path / "grid.zarr"
    ds.chunk({"time": 10}).to_zarr(store, mode="w", consolidated=False)
    open_gridded(f"zarr:{store}")  # whole: opens
    chunk = sorted((store / "t2m" / "c").rglob("*"))[-1]
    assert chunk.is_file()
    chunk.unlink()
    one_line_error(
        capsys,
        [*FORECAST, "--data", f"zarr:{store}", "--out", str(tmp_path / "run")],
        "is incomplete",
        "'t2m' has 3 of its 4 chunks",
        "copy the store again",
    )


def test_all_nan_data_under_nans_mask_is_refused_not_scored_as_none(tmp_path, capsys):
    from geo_testing import make_grid_dataset, write

    ds = make_grid_dataset(times=120)[["t2m"]]
    ds["t2m"] = ds["t2m"] * float("nan")
    data = write(ds, tmp_path, "netcdf4")
    one_line_error(
        capsys,
        [*FORECAST, "--data", data, "--nans", "mask", "--out", str(tmp_path / "run")],
        "channel t2m",
        "no known value (all NaN)",
    )
    assert not (tmp_path / "run").exists()
