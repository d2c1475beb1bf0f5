"""Fuzzing every parser of outside data: each example parses or raises CnnlabError (the one-line error),
never another exception, and within a time bound.

Parsers: IDX files (raw and gzip), the CIFAR pickle reader, PNG/JPEG/NPY inputs of predict and filter,
the array strings and option values of the conv commands, `--option` values, NetCDF files read through
xarray. Inputs are corrupted copies of valid files (bytes flipped, inserted, cut) and arbitrary text.

The default run is bounded (a few dozen examples per parser, well under a minute in all). Set
CNNLAB_FUZZ=long for the long profile (thousands of examples per parser).
"""

import gzip
import io
import os
import pickle
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cnnlab.cli import main
from cnnlab.cli._arrays import parse_array
from cnnlab.cli.options import parse_options
from cnnlab.data.cifar import load_cifar_pickle, read_cifar10
from cnnlab.data.idx import read_idx, write_idx
from cnnlab.errors import CnnlabError

LONG = os.environ.get("CNNLAB_FUZZ") == "long"
EXAMPLES = 2000 if LONG else 30
SECONDS = 10.0  # one example may take at most this long (generous: two shared cores, often loaded)
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


def parses_or_refuses(call, *args, **kwargs):
    """Run one parse: it returns, or raises CnnlabError with a one-line message; nothing else, in time."""
    start = time.perf_counter()
    try:
        return call(*args, **kwargs)
    except CnnlabError as error:
        assert str(error).strip() and "Traceback" not in str(error)
        return None
    finally:
        assert time.perf_counter() - start < SECONDS, f"{call.__name__} took {time.perf_counter() - start:.1f} s"


@st.composite
def corrupted(draw, valid: bytes):
    """A valid file's bytes with a few flips, insertions, cuts; or truncated; or (rarely) random bytes."""
    kind = draw(st.sampled_from(["flip", "flip", "truncate", "insert", "random"]))
    data = bytearray(valid)
    if kind == "random":
        return draw(st.binary(max_size=256))
    if kind == "truncate":
        return bytes(data[: draw(st.integers(0, max(0, len(data) - 1)))])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


def _idx_bytes(array, gz=False):
    buffer = io.BytesIO()
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    buffer.write(header + array.astype(np.uint8).tobytes())
    return gzip.compress(buffer.getvalue()) if gz else buffer.getvalue()


VALID_IDX = _idx_bytes(np.arange(2 * 3 * 4).reshape(2, 3, 4))


@fuzz
@given(data=corrupted(VALID_IDX), gz=st.booleans())
def test_idx_files(tmp_path_factory, data, gz):
    path = tmp_path_factory.mktemp("idx") / ("f.idx.gz" if gz else "f.idx")
    path.write_bytes(gzip.compress(data) if gz else data)
    array = parses_or_refuses(read_idx, path)
    if array is not None:
        assert array.size * array.itemsize <= len(data)


@fuzz
@given(data=corrupted(gzip.compress(VALID_IDX)))
def test_idx_gzip_stream_itself_corrupted(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("idxgz") / "f.idx.gz"
    path.write_bytes(data)
    parses_or_refuses(read_idx, path)


def test_idx_round_trip_still_reads(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.idx.gz", array)
    assert (read_idx(tmp_path / "a.idx.gz") == array).all()


VALID_CIFAR = pickle.dumps(
    {b"data": np.zeros((2, 3072), np.uint8), b"labels": [1, 2], b"batch_label": b"x"}, protocol=2
)
VALID_META = pickle.dumps({b"label_names": [b"cat", b"dog"]}, protocol=2)


@fuzz
@given(data=corrupted(VALID_CIFAR))
def test_cifar_pickles(data):
    parses_or_refuses(load_cifar_pickle, data, "fuzz")


@fuzz
@given(batch=corrupted(VALID_CIFAR), meta=corrupted(VALID_META))
def test_cifar_folder(tmp_path_factory, batch, meta):
    folder = tmp_path_factory.mktemp("cifar")
    (folder / "data_batch_1").write_bytes(batch)
    (folder / "batches.meta").write_bytes(meta)
    parses_or_refuses(read_cifar10, folder, ["data_batch_1"])


def test_cifar_pickle_never_runs_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    with pytest.raises(CnnlabError, match="not allowed"):
        load_cifar_pickle(pickle.dumps({b"data": Evil()}), "evil")
    assert not (tmp_path / "ran").exists()


def _picture(fmt):
    buffer = io.BytesIO()
    Image.fromarray((np.arange(64).reshape(8, 8) * 4).astype(np.uint8)).convert("RGB").save(buffer, format=fmt)
    return buffer.getvalue()


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


PICTURES = {".png": _picture("PNG"), ".jpg": _picture("JPEG"), ".npy": _npy(np.linspace(0, 1, 64).reshape(8, 8))}


@pytest.mark.parametrize("suffix", sorted(PICTURES))
def test_filter_inputs(suffix, tmp_path_factory):
    from cnnlab.cli.filter import load_input

    @fuzz
    @given(data=corrupted(PICTURES[suffix]))
    def check(data):
        path = tmp_path_factory.mktemp("filter") / f"input{suffix}"
        path.write_bytes(data)
        image = parses_or_refuses(load_input, path)
        if image is not None:
            assert image.dtype == np.float64 and np.all(np.isfinite(image))

    check()


@pytest.mark.parametrize("suffix", sorted(PICTURES))
def test_predict_inputs(suffix, tmp_path_factory):
    from cnnlab.data.images import load_image

    @fuzz
    @given(data=corrupted(PICTURES[suffix]), shape=st.sampled_from([(1, 28, 28), (3, 32, 32)]))
    def check(data, shape):
        path = tmp_path_factory.mktemp("predict") / f"input{suffix}"
        path.write_bytes(data)
        image = parses_or_refuses(load_image, path, shape)
        if image is not None:
            assert tuple(image.shape) == shape

    check()


NUMBER = st.one_of(
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=True).map(repr),
    st.sampled_from(["", " ", "-", "+", "1e", "0x1", "1_0", "inf", "nan", "١", "1.5e308", "--1"]),
)
ARRAY_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from("0123456789,;.-+e x"), max_size=40),
    st.lists(st.lists(NUMBER, min_size=0, max_size=4), min_size=1, max_size=3).map(
        lambda rows: ";".join(",".join(row) for row in rows)
    ),
    st.text(max_size=30),
)


@fuzz
@given(text=ARRAY_TEXT)
def test_array_strings(text):
    values = parses_or_refuses(parse_array, text, "input")
    if values is not None:
        assert values.ndim in (1, 2) and values.size > 0


OPTION_VALUE = st.one_of(
    st.integers(-3, 9).map(str), st.sampled_from(["0", "-1", "1e30", "99999999999999999999", "abc", "", "1.5", "nan"])
)


@fuzz
@given(
    command=st.sampled_from(["convolve", "correlate", "pool"]),
    x=ARRAY_TEXT,
    k=ARRAY_TEXT,
    flags=st.lists(
        st.tuples(
            st.sampled_from(["--mode", "--stride", "--padding", "--dilation", "--size", "--kind", "--ceil-mode"]),
            OPTION_VALUE,
        ),
        max_size=3,
    ),
)
def test_conv_commands_end_in_0_or_one_line(capsys, command, x, k, flags):
    argv = [command, "--", x] if command == "pool" else [command, "--", x, k]
    options = [part for flag, value in flags for part in ((flag,) if flag == "--ceil-mode" else (flag, value))]
    if command == "pool":
        options += ["--size", "2"] if "--size" not in options else []
    start = time.perf_counter()
    try:
        code = main([argv[0], *options, *argv[1:]])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    assert time.perf_counter() - start < SECONDS
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and out == ""


@fuzz
@given(
    items=st.lists(
        st.one_of(
            st.text(max_size=20),
            st.tuples(
                st.sampled_from(["width", "dropout", "hidden", "depth", "batch_norm", "x"]),
                st.one_of(
                    OPTION_VALUE,
                    st.text(max_size=12),
                    st.sampled_from(["(" * 200, "[" * 500 + "]" * 500, "{[1]: 2}", "1" * 5000, "1,2,"]),
                ),
            ).map(lambda kv: f"{kv[0]}={kv[1]}"),
        ),
        max_size=3,
    )
)
def test_option_values(items):
    parses_or_refuses(parse_options, items)


@pytest.fixture(scope="module")
def small_netcdf(tmp_path_factory):
    xr = pytest.importorskip("xarray")
    folder = tmp_path_factory.mktemp("netcdf")
    times = np.arange("2013-01-01", "2013-01-05", dtype="datetime64[D]").astype("datetime64[ns]")
    ds = xr.Dataset(
        {"air": (("time", "lat", "lon"), np.random.default_rng(0).random((4, 3, 5), dtype=np.float32))},
        coords={"time": times, "lat": [75.0, 72.5, 70.0], "lon": np.arange(5) * 2.5 + 200},
    )
    files = {}
    for engine in ("scipy", "netcdf4"):
        path = folder / f"{engine}.nc"
        try:
            ds.to_netcdf(path, engine=engine)
        except (ImportError, ValueError):
            continue
        files[engine] = path.read_bytes()
    return files


@pytest.mark.parametrize("engine", ["scipy", "netcdf4"])
def test_netcdf_corrupted_copies(engine, small_netcdf, tmp_path_factory):
    from cnnlab.geo.gridded import open_gridded

    if engine not in small_netcdf:
        pytest.skip(f"xarray cannot write NetCDF with {engine} here")

    @fuzz
    @given(data=corrupted(small_netcdf[engine]))
    def check(data):
        path = tmp_path_factory.mktemp("nc") / "corrupt.nc"
        path.write_bytes(data)
        ds = parses_or_refuses(open_gridded, f"netcdf:{path}")
        if ds is not None:
            ds.close()

    check()


def test_valid_files_parse(small_netcdf, tmp_path):
    """The fuzzing starts from files that really parse: a corrupted copy is the only thing wrong."""
    from cnnlab.cli.filter import load_input
    from cnnlab.geo.gridded import open_gridded

    for suffix, data in PICTURES.items():
        (tmp_path / f"ok{suffix}").write_bytes(data)
        assert load_input(tmp_path / f"ok{suffix}").shape[-2:] == (8, 8)
    (tmp_path / "ok.idx").write_bytes(VALID_IDX)
    assert read_idx(tmp_path / "ok.idx").shape == (2, 3, 4)
    assert load_cifar_pickle(VALID_CIFAR, "ok")["labels"] == [1, 2]
    for engine, data in small_netcdf.items():
        (tmp_path / f"{engine}.nc").write_bytes(data)
        assert open_gridded(f"netcdf:{tmp_path / f'{engine}.nc'}")["air"].shape == (4, 3, 5)
