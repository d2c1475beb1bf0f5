import numpy as np
import pytest

from cnnlab.errors import CnnlabError
from cnnlab.geo.forecast_data import build_forecast_data, time_features
from cnnlab.geo.gridded import GridSelection, open_gridded, parse_duration, select
from geo_testing import make_grid_dataset, write

xr = pytest.importorskip("xarray")


@pytest.mark.parametrize("kind", ["netcdf3", "netcdf4", "zarr"])
def test_files_open_lazily_and_round_trip(tmp_path, kind):
    ds = make_grid_dataset()
    data = write(ds, tmp_path, kind)
    opened = open_gridded(data)
    assert opened["t2m"].chunks is not None  # dask-backed: nothing read yet
    da = select(opened, GridSelection(variables=("t2m",)))
    assert da.dims == ("time", "channel", "lat", "lon") and da.chunks is not None
    np.testing.assert_allclose(da.values[:, 0], ds["t2m"].values)


def test_selection_of_variables_levels_box_and_time(tmp_path):
    data = write(make_grid_dataset(), tmp_path, "netcdf4")
    box = (30.0, 50.0, 235.0, 250.0)
    da = select(open_gridded(data), GridSelection(("t2m", "z"), (850.0,), box, ("2000-01-02", "2000-01-03")))
    assert list(da["channel"].values) == ["t2m", "z@850"]
    assert da.sizes["time"] == 8  # two days of 6-hourly steps
    assert da["lat"].min() >= 30 and da["lat"].max() <= 50 and da["lon"].min() >= 235 and da["lon"].max() <= 250
    ds = make_grid_dataset()
    expected = ds["z"].sel(level=850.0, time=slice("2000-01-02", "2000-01-03"), lat=slice(50, 30), lon=slice(235, 250))
    np.testing.assert_allclose(da.values[:, 1], expected.values)


def test_a_missing_variable_or_level_is_one_clear_line(tmp_path):
    ds = open_gridded(write(make_grid_dataset(), tmp_path, "zarr"))
    with pytest.raises(CnnlabError, match=r"variable 'air' is not in .*grid.zarr; it has: t2m, z$"):
        select(ds, GridSelection(variables=("air",)))
    with pytest.raises(CnnlabError, match=r"level 300 is not in variable 'z'"):
        select(ds, GridSelection(variables=("z",), levels=(300.0,)))


def test_non_monotonic_coordinates_are_refused(tmp_path):
    ds = make_grid_dataset()
    shuffled = ds.isel(lon=[0, 2, 1] + list(range(3, ds.sizes["lon"])))
    data = write(shuffled, tmp_path, "netcdf3")
    with pytest.raises(CnnlabError, match=r"coordinate lon of .* is not strictly monotonic .*sortby\('lon'\)"):
        open_gridded(data)


def test_nans_are_refused_by_default_and_masked_on_request(tmp_path):
    ds = make_grid_dataset()
    ds["t2m"][5, 2, 3] = np.nan
    da = select(open_gridded(write(ds, tmp_path, "netcdf4")), GridSelection(variables=("t2m",)))
    with pytest.raises(
        CnnlabError, match=r"1 missing \(NaN\) values in 't2m' at time 2000-01-02T06:00; pass --nans mask"
    ):
        build_forecast_data(da, "netcdf:x", ["6h"], 2, None)
    fd = build_forecast_data(da, "netcdf:x", ["6h"], 2, None, nans="mask")
    index = np.array([4, 5])  # targets at step 5 and 6, inputs at 3..5
    y, mask = fd.targets(index)
    assert mask[0, 0, 2, 3] == 0 and mask.sum() == mask.numel() - 2  # missing in target of 4 and base of 5
    x = fd.inputs(index)
    assert torch_is_finite(x) and x.shape[1] == fd.in_channels == 2 + 4 + 1
    assert x[1, -1, 2, 3] == 0 and x[0, -1, 2, 3] == 1  # the known-cell channel of the latest field
    sampled = fd.sample(index)  # what training steps on: the same tensors, x[t] read once
    assert all(a.equal(b) for a, b in zip(sampled, (x, y, mask)))


def torch_is_finite(t) -> bool:
    return bool(np.isfinite(t.numpy()).all())


def test_a_lead_that_is_not_a_multiple_of_the_step_is_refused(tmp_path):
    da = select(open_gridded(write(make_grid_dataset(), tmp_path, "netcdf4")), GridSelection(variables=("t2m",)))
    with pytest.raises(CnnlabError, match=r"lead 9h is not a positive multiple of the time step .* \(6h\)"):
        build_forecast_data(da, "netcdf:x", ["9h"], 2, None)
    with pytest.raises(CnnlabError, match="not a duration"):
        parse_duration("six hours")


def test_splits_are_dated_disjoint_and_statistics_come_from_training_only(tmp_path):
    ds = make_grid_dataset(times=120)
    ds["t2m"][100:] += 50.0  # a warm test period must not leak into the training statistics
    da = select(open_gridded(write(ds, tmp_path, "netcdf4")), GridSelection(variables=("t2m",)))
    periods = {
        "train": ("2000-01-01", "2000-01-20T23:59"),
        "val": ("2000-01-21", "2000-01-24T23:59"),
        "test": ("2000-01-25", "2000-01-30T23:59"),
    }
    fd = build_forecast_data(da, "netcdf:x", ["6h", "24h"], 3, periods)
    times = fd.times
    for name, (first, last) in periods.items():
        idx = fd.splits[name]
        assert times[idx - 2].min() >= np.datetime64(first) and times[idx + 4].max() <= np.datetime64(last)
    train_values = ds["t2m"].values[:80]
    assert fd.mean[0] == pytest.approx(train_values.mean(), rel=1e-5)
    assert fd.statistics()["leads"] == ["6h", "24h"] and len(fd.statistics()["residual_std"]) == 2
    with pytest.raises(CnnlabError, match="overlap"):
        build_forecast_data(
            da, "netcdf:x", ["6h"], 1, {"train": periods["train"], "test": ("2000-01-20", "2000-01-30")}
        )


def test_residual_targets_invert_to_the_truth(tmp_path):
    da = select(open_gridded(write(make_grid_dataset(), tmp_path, "zarr")), GridSelection(variables=("t2m",)))
    fd = build_forecast_data(da, "zarr:x", ["6h", "12h"], 2, None)
    index = fd.splits["test"][:5]
    y, _ = fd.targets(index)
    np.testing.assert_allclose(fd.to_fields(y.numpy(), index), fd.truth(index), atol=1e-3)


def test_time_features_are_the_phase_of_day_and_year():
    times = np.array(["2001-01-01T00", "2001-01-01T06", "2001-07-02T12"], dtype="datetime64[ns]")
    f = time_features(times)
    np.testing.assert_allclose(f[:2, :2], [[0, 1], [1, 0]], atol=1e-6)  # midnight, 6 am
    assert f[2, 3] == pytest.approx(np.cos(2 * np.pi * 182.5 / 365.25), abs=1e-6)


@pytest.mark.data
def test_real_eraint_file_levels_and_global_grid(real_data_dir):
    ds = open_gridded(f"netcdf:{real_data_dir / 'xarray-data' / 'eraint_uvz.nc'}")
    assert ds.sizes["lat"] == 241 and ds.sizes["lon"] == 480 and list(ds["level"].values) == [200, 500, 850]
    with pytest.raises(CnnlabError, match="has no time dimension"):
        select(ds, GridSelection(variables=("z",), levels=(500.0,)))


@pytest.mark.data
def test_real_grib_file_through_cfgrib(real_data_dir):
    pytest.importorskip("cfgrib", reason="cfgrib not installed: pip install 'cnnlab[grib]'")
    ds = open_gridded(f"grib:{real_data_dir / 'xarray-data' / 'era5-2mt-2019-03-uk.grib'}")
    da = select(ds, GridSelection(variables=("t2m",)))
    assert da.sizes["time"] > 24 and np.isfinite(da.isel(time=0).values).all()


def test_grib_without_cfgrib_says_what_to_install(tmp_path):
    pytest.importorskip("xarray")
    try:
        import cfgrib  # noqa: F401

        pytest.skip("cfgrib is installed")
    except ImportError:
        pass
    path = tmp_path / "x.grib"
    path.write_bytes(b"GRIB")
    with pytest.raises(CnnlabError, match=r"pip install 'cnnlab\[grib\]'"):
        open_gridded(f"grib:{path}")


def test_streaming_from_zarr_chunks_gives_the_same_samples_and_statistics(tmp_path):
    ds = make_grid_dataset(times=120).chunk({"time": 7})
    ds["t2m"][30, 1, 1] = np.nan
    da = select(open_gridded(write(ds, tmp_path, "zarr")), GridSelection(variables=("t2m", "z"), levels=(500.0,)))
    in_memory = build_forecast_data(da, "zarr:x", ["6h", "24h"], 3, None, nans="mask", stream=False)
    streamed = build_forecast_data(da, "zarr:x", ["6h", "24h"], 3, None, nans="mask", stream=True)
    assert type(streamed.fields).__name__ == "LazyFields"
    for name in ("mean", "std", "residual_std"):
        np.testing.assert_allclose(getattr(streamed, name), getattr(in_memory, name), rtol=1e-5)
    index = np.array([40, 12, 33])  # unsorted, as a shuffled batch is
    np.testing.assert_array_equal(streamed.inputs(index).numpy(), in_memory.inputs(index).numpy())
    np.testing.assert_array_equal(streamed.targets(index)[0].numpy(), in_memory.targets(index)[0].numpy())
    with pytest.raises(CnnlabError, match=r"1 missing \(NaN\) values in 't2m' at time 2000-01-08T12:00"):
        build_forecast_data(da, "zarr:x", ["6h"], 3, None, stream=True)


def test_climatology_is_the_mean_of_the_same_hour_near_the_same_day_before_the_test_period(tmp_path):
    from cnnlab.geo.forecast_data import climatology_for

    ds = make_grid_dataset(times=120)
    hours = ds["time"].dt.hour.values
    ds["t2m"].values[:] = (100.0 + hours)[:, None, None]  # the field is only its hour of day
    ds["t2m"].values[60:] += 1000.0  # the test period differs: it must not enter the climatology
    da = select(open_gridded(write(ds, tmp_path, "netcdf4")), GridSelection(variables=("t2m",)))
    periods = {"train": ("2000-01-01", "2000-01-10T23:59"), "test": ("2000-01-16", "2000-01-30T23:59")}
    fd = build_forecast_data(da, "netcdf:x", ["6h"], 1, periods)
    valid = fd.times[fd.splits["test"][:8] + 1]
    clim = climatology_for(fd, valid)
    np.testing.assert_allclose(clim[:, 0, 0, 0], 100.0 + valid.astype("datetime64[h]").astype(int) % 24)


def test_default_channel_order_is_fixed_even_where_zarr_lists_arrays_in_any_order(tmp_path):
    data = write(make_grid_dataset(times=10), tmp_path, "zarr")
    for _ in range(6):  # the store's listing order varies from one opening to the next
        assert list(select(open_gridded(data), GridSelection())["channel"].values) == ["t2m", "z@500", "z@850"]
