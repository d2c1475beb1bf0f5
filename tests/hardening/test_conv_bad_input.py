"""Bad input to the NumPy commands (convolve, correlate, pool, filter, explain) and to predict/summary:
every case exits 2 with one line on stderr that names the input, no traceback, nothing written.

CNNLAB_MAX_BYTES is fixed at 1 GiB here so the memory refusals do not depend on the machine.
"""

import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from cnnlab.cli import main

MAX_BYTES = "1G"
BIG_255 = ";".join([",".join(["1"] * 255)] * 255)  # a 255x255 array of ones, written for the command line


def cli(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's refusals exit from inside parse_args
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code, out, err, *fragments):
    lines = err.strip().splitlines()
    assert code == 2 and out == "", (code, out, err)
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def png_declaring(path, width, height):
    """A tiny PNG whose header declares width x height (the data is a 2x2 picture): only a reader that
    checks the header before decoding refuses it with the size."""
    Image.new("L", (2, 2)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    path.write_bytes(bytes(data))


def npy_claiming(path, shape, dtype="<f8"):
    """A .npy header claiming `shape`, followed by only 16 bytes of data."""
    header = {"descr": dtype, "fortran_order": False, "shape": tuple(shape)}
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(b"\0" * 16)


@pytest.fixture(autouse=True)
def fixed_memory_limit(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNLAB_MAX_BYTES", MAX_BYTES)
    monkeypatch.chdir(tmp_path)
    np.save("ok.npy", np.ones((6, 6)))
    np.save("nan.npy", np.array([[1.0, np.nan], [0.5, 0.2]]))
    np.save("inf.npy", np.array([[1.0, np.inf], [0.5, 0.2]]))
    np.save("complex.npy", np.ones((4, 4)) * (1 + 2j))
    np.save("empty.npy", np.zeros((0, 4)))
    np.save("pickled.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    npy_claiming(tmp_path / "liar.npy", (100000, 100000))
    npy_claiming(tmp_path / "huge.npy", (12000, 12000))
    png_declaring(tmp_path / "bomb.png", 12000, 12000)
    png_declaring(tmp_path / "wide.png", 100000, 1000)
    png_declaring(tmp_path / "big.png", 8000, 7000)  # past 50 megapixels, below Pillow's own bomb limit


# (argv, fragments the one line must contain)
CASES = [
    # memory and work, checked before anything is allocated
    (["convolve", "1,2,3", "1,1", "--padding", "1000000000"], ["padded input 2000000005", "14.9 GiB"]),
    (["correlate", "1,2;3,4", "1,0;0,1", "--padding", "100000"], ["padded input 200002x200002"]),
    (["pool", "1,2,3", "--size", "2000000000"], ["does not fit"]),
    (["pool", "1,2,3", "--size", "2000000000", "--padding", "1000000000"], ["padded input 2000000003"]),
    (["filter", "ok.npy", "--kernel", "gaussian", "--size", "100001"], ["100001x100001 kernel", "74.5 GiB"]),
    (["filter", "ok.npy", "--kernel", "box", "--size", "100001"], ["100001x100001 kernel"]),
    (["convolve", BIG_255, BIG_255], ["255x255 full 255x255", "16,846,742,025 multiply-adds"]),
    (["correlate", BIG_255, BIG_255, "--mode", "full"], ["multiply-adds", "fftconvolve"]),
    (["filter", "bomb.png", "--kernel", "box"], ["12000 x 12000 = 144,000,000 pixels", "50 megapixels"]),
    (["filter", "wide.png", "--kernel", "box"], ["100000 x 1000 = 100,000,000 pixels"]),
    (["filter", "big.png", "--kernel", "box"], ["8000 x 7000 = 56,000,000 pixels", "50 megapixels"]),
    (["filter", "huge.npy", "--kernel", "box"], ["holds only 16"]),
    (["filter", "liar.npy", "--kernel", "box"], ["header claims shape (100000, 100000)", "holds only 16"]),
    # numbers that are not numbers
    (["convolve", "1,,2", "3"], ["empty value between commas"]),
    (["convolve", "1,2,", "3"], ["empty value between commas"]),
    (["convolve", ",1", "3"], ["empty value"]),
    (["convolve", "1;;2", "3"], ["empty row"]),
    (["convolve", "1,2", "1e400"], ["inf or nan"]),
    (["convolve", "nan,1", "1"], ["inf or nan"]),
    (["convolve", "1e308,1e308", "10"], ["overflows float64"]),
    (["pool", "1e308,1e308", "--size", "2", "--kind", "avg"], ["overflows float64"]),
    (["convolve", "1,2", "3", "--padding", "1e30"], ["--padding", "see cnnlab convolve --help"]),
    (["convolve", "1,2", "3", "--padding", "-1"], ["padding must be an integer >= 0"]),
    (["correlate", "1,2", "3", "--stride", "99999999999999999999999", "--dilation", "0"], ["dilation"]),
    (["correlate", "1,2,3;4,5,6", "1,2;3,4;5,6", "--mode", "valid"], ["at least as large as the other"]),
    # argparse refusals: one line and where the help is
    (["convolve", "--bogus", "1", "2"], ["unrecognized arguments: --bogus", "see cnnlab convolve --help"]),
    (["convolve", "1,2"], ["required: kernel", "see cnnlab convolve --help"]),
    (["pool", "1,2", "--size", "two"], ["invalid int value", "see cnnlab pool --help"]),
    (["explain", "conv", "--input", "1x8x8"], ["required", "see cnnlab explain conv --help"]),
    (["explain", "conv", "--input", "1x8x8", "--filters", "1", "--kernel", "-3"], ["must not be negative"]),
    (["nosuch"], ["unknown command 'nosuch'", "cnnlab --help"]),
    # explain and summary arguments torch would refuse
    (
        ["explain", "transposed", "--input", "1x8x8", "--filters", "1", "--kernel", "3", "--output-padding", "2"],
        ["output_padding (2, 2) must be smaller than the stride (1, 1) or the dilation (1, 1)"],
    ),
    (
        [
            "explain",
            "transposed",
            "--input",
            "1x8x8",
            "--filters",
            "1",
            "--kernel",
            "3",
            "--stride",
            "2",
            "--output-padding",
            "2x1",
        ],
        ["output_padding (2, 1)"],
    ),
    (["summary", "lenet5", "--classes", "0"], ["--classes 0"]),
    (["summary", "lenet5", "--classes", "-3"], ["--classes -3"]),
    (["summary", "lenet5", "--input", "1x100000x100000"], ["10,000,000,000 pixels"]),
    # images that are not images
    (["filter", "nan.npy", "--kernel", "box"], ["1 NaN or inf values"]),
    (["filter", "inf.npy", "--kernel", "box"], ["NaN or inf"]),
    (["filter", "complex.npy", "--kernel", "box"], ["complex numbers"]),
    (["filter", "empty.npy", "--kernel", "box"], ["empty array"]),
    (["filter", "pickled.npy", "--kernel", "box"], ["never loads"]),
]


@pytest.mark.parametrize("argv,fragments", CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_bad_input_is_one_line_and_exit_2(argv, fragments, capsys, tmp_path):
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_one_line(*cli(capsys, *argv), *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["convolve", "9223372036854775807,1", "2"], "18446744073709551614 2"),  # int64 would print -2 2
        (["convolve", "99999999999999999999", "2"], "199999999999999999998"),
        (["correlate", "--", "-9223372036854775808,3", "-1"], "9223372036854775808 -3"),
        (
            ["convolve", "4611686018427387904,4611686018427387904", "1,1"],
            "4611686018427387904 9223372036854775808 4611686018427387904",
        ),
        (
            ["pool", "99999999999999999999,1,3,100000000000000000000", "--size", "2"],
            "99999999999999999999 100000000000000000000",
        ),
        (["convolve", "1 2 3", "1"], "1 2 3"),  # spaces still separate values
    ],
)
def test_integers_beyond_int64_are_exact(argv, expected, capsys):
    code, out, err = cli(capsys, *argv)
    assert (code, out.strip(), err) == (0, expected, "")


def test_memory_limit_comes_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("CNNLAB_MAX_BYTES", "100")  # 100 bytes: even 13 padded int64 values are too many
    refused = cli(capsys, "convolve", "1,2,3", "1,1", "--padding", "5")
    assert_one_line(*refused, "more than the 100 B", "CNNLAB_MAX_BYTES")
    monkeypatch.setenv("CNNLAB_MAX_BYTES", "lots")
    assert_one_line(*cli(capsys, "convolve", "1,2,3", "1,1"), "CNNLAB_MAX_BYTES='lots' is not a size")
    monkeypatch.delenv("CNNLAB_MAX_BYTES")
    assert cli(capsys, "convolve", "1,2,3", "1,1", "--padding", "5")[0] == 0


def test_a_real_process_prints_one_line():
    """The CLI as a person runs it: exit 2, one stderr line naming the padded size, nothing on stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "cnnlab", "convolve", "1,2,3", "1,1", "--padding", "1000000000"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"CNNLAB_MAX_BYTES": MAX_BYTES, "PATH": "", "PYTHONPATH": ":".join(sys.path)},
    )
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "padded input" in result.stderr


def test_a_real_process_argparse_error_is_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "cnnlab", "train", "--epochs", "x"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "", "PYTHONPATH": ":".join(sys.path)},
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "cnnlab train: error: argument --epochs: invalid int value: 'x'; see cnnlab train --help"
    ]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("predict") / "run"
    assert (
        main(
            [
                "train",
                "--data",
                "synthetic-mnist",
                "--model",
                "slp",
                "--epochs",
                "1",
                "--train-size",
                "64",
                "--val-size",
                "32",
                "--out",
                str(run),
            ]
        )
        == 0
    )
    return run


@pytest.mark.parametrize(
    "name,fragments",
    [
        ("nan.npy", ["1 NaN or inf values"]),
        ("inf.npy", ["NaN or inf"]),
        ("complex.npy", ["complex numbers"]),
        ("empty.npy", ["empty array"]),
        ("pickled.npy", ["never loads"]),
        ("liar.npy", ["header claims shape (100000, 100000)"]),
        ("huge.npy", ["holds only 16"]),
        ("bomb.png", ["12000x12000 pixels; at most 4096x4096"]),  # predict's own limit, from the header
        ("big.png", ["8000x7000 pixels; at most 4096x4096"]),
    ],
)
def test_predict_refuses_images_that_are_not_images(name, fragments, tiny_run, capsys):
    assert_one_line(*cli(capsys, "predict", str(tiny_run), name), name, *fragments)


def test_predict_top_must_be_positive(tiny_run, capsys):
    assert_one_line(*cli(capsys, "predict", str(tiny_run), "ok.npy", "--top", "0"), "--top 0")
    code, out, _ = cli(capsys, "predict", str(tiny_run), "ok.npy", "--top", "1")
    assert code == 0 and out.count("%") == 1


def test_library_refuses_before_allocating(monkeypatch):
    """cnnlab.conv sizes what it builds with Python integers first: each refusal here would otherwise
    allocate far more than the 1 GiB limit (or run for minutes)."""
    from cnnlab.conv import conv2d, correlate, im2col, kernels, max_pool2d
    from cnnlab.errors import CnnlabError

    monkeypatch.setenv("CNNLAB_MAX_BYTES", MAX_BYTES)
    calls = [
        (lambda: correlate(np.ones((1000, 1000)), np.ones((255, 255))), "36,187,452,900 multiply-adds"),
        (lambda: correlate(np.ones(3), np.ones(2), padding=10**12), "padded input"),
        (lambda: im2col(np.ones((1, 1, 8, 8)), 3, padding=20000), "padding 1x1x8x8 by 20000x20000"),
        (lambda: conv2d(np.ones((1, 1, 64, 64)), np.ones((1, 1, 3, 3)), padding=20000), "padding"),
        (lambda: conv2d(np.ones((1, 1, 64, 64)), np.ones((2**18, 1, 1, 1))), "conv2d output"),
        (lambda: conv2d(np.ones((1, 64, 256, 256)), np.ones((1, 64, 9, 9))), "im2col columns"),
        (
            lambda: (
                max_pool2d(np.ones((4, 4)), 2, padding=1, stride=1) is not None
                and max_pool2d(np.ones((4, 4)), 40000, padding=20000)
            ),
            "padded input",
        ),
        (lambda: kernels.gaussian(100001), "100001x100001 kernel"),
    ]
    for call, fragment in calls:
        with pytest.raises(CnnlabError, match=fragment.replace("(", r"\(")):
            call()
