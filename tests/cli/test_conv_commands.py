"""cnnlab convolve / correlate / pool / filter / explain: real outputs, JSON, help examples, clean errors."""

import json
import shlex
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from cnnlab.cli import convolve as convolve_cli
from cnnlab.cli import explain as explain_cli
from cnnlab.cli import filter as filter_cli
from cnnlab.cli import main
from cnnlab.cli import pool as pool_cli
from cnnlab.conv import correlate, kernels


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_convolve_prints_the_lecture_result(capsys):
    assert run(capsys, "convolve", "1,2,3,4", "5,6,7,8") == (0, "5 16 34 60 61 52 32\n", "")


def test_correlate_2d_prints_one_row_per_line(capsys):
    code, out, _ = run(capsys, "correlate", "0,1,2;3,4,5;6,7,8", "0,1;2,3")
    assert code == 0 and out.splitlines() == ["19 25", "37 43"]


def test_json_gives_shape_and_nested_result(capsys):
    code, out, _ = run(capsys, "correlate", "0,1,2;3,4,5;6,7,8", "0,1;2,3", "--mode", "full", "--json")
    data = json.loads(out)
    expected = correlate(np.arange(9).reshape(3, 3), np.array([[0, 1], [2, 3]]), "full")
    assert code == 0 and data["shape"] == [4, 4] and data["result"] == expected.tolist()


def test_pool_lecture_example_and_json(capsys):
    x = "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4"
    assert run(capsys, "pool", x, "--size", "2")[1].splitlines() == ["6 8", "3 4"]
    code, out, _ = run(capsys, "pool", x, "--size", "2", "--kind", "avg", "--json")
    assert code == 0 and json.loads(out) == {"shape": [2, 2], "result": [[3.25, 5.25], [2.0, 2.0]]}


def test_explain_conv_text_and_json(capsys):
    args = ["explain", "conv", "--input", "3x32x32", "--filters", "10", "--kernel", "5", "--padding", "2"]
    code, out, _ = run(capsys, *args)
    assert code == 0 and "output 10x32x32" in out and "760" in out and "768,000" in out
    data = json.loads(run(capsys, *args, "--json")[1])
    assert data["output_shape"] == [10, 32, 32] and data["params"] == 760 and data["macs"] == 768000
    assert data["formulas"]["params"] == "params = O x (C x KH x KW + 1) = 10 x (3 x 5 x 5 + 1) = 760"


def test_explain_other_layers_json(capsys):
    assert (
        json.loads(run(capsys, "explain", "linear", "--in", "3072", "--out", "128", "--json")[1])["params"]
        == 3072 * 128 + 128
    )
    pool = json.loads(run(capsys, "explain", "pool", "--input", "64x224x224", "--kernel", "2", "--json")[1])
    assert pool["output_shape"] == [64, 112, 112] and pool["params"] == 0
    stack = json.loads(run(capsys, "explain", "stack", "--kernel", "3", "--layers", "3", "--json")[1])
    assert stack["receptive_field"] == 7 and stack["stack_params"] == 27 and stack["single_params"] == 49
    up = json.loads(
        run(
            capsys,
            "explain",
            "transposed",
            "--input",
            "4x5x5",
            "--filters",
            "2",
            "--kernel",
            "8",
            "--stride",
            "4",
            "--padding",
            "2",
            "--json",
        )[1]
    )
    assert up["output_shape"] == [2, 20, 20]


def help_examples(text):
    """(command, expected output lines) for every `  $ ...` line of an epilog."""
    examples, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("  $ "):
            expected = []
            for following in lines[i + 1 :]:
                if following.startswith("  $ ") or not following.startswith("  "):
                    break
                expected.append(following[2:])
            examples.append((line[4:].split("  #")[0].strip(), expected))
    return examples


EPILOGS = [
    convolve_cli.CONVOLVE_EXAMPLES,
    convolve_cli.CORRELATE_EXAMPLES,
    pool_cli.EXAMPLES,
    filter_cli.EXAMPLES,
    explain_cli.EXAMPLES,
    explain_cli.CONV_EXAMPLES,
    explain_cli.POOL_EXAMPLES,
    explain_cli.LINEAR_EXAMPLES,
    explain_cli.STACK_EXAMPLES,
    explain_cli.TRANSPOSED_EXAMPLES,
    explain_cli.DICE_EXAMPLES,
    explain_cli.MOVING_AVERAGE_EXAMPLES,
]


@pytest.mark.parametrize("epilog", EPILOGS)
def test_every_help_example_prints_what_the_help_shows(epilog, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    examples = help_examples(epilog)
    assert any(expected for _, expected in examples)
    for command, expected in examples:
        argv = shlex.split(command)
        if argv[0] == "python":  # a setup step (writes an input file)
            subprocess.run([sys.executable, *argv[1:]], check=True)
            continue
        if not expected:
            continue  # an example on a file of the reader's own
        code, out, err = run(capsys, *argv[1:])
        assert (code, err) == (0, ""), command
        assert out.splitlines() == expected, command


def test_every_command_help_has_examples(capsys):
    for argv in (
        ["convolve"],
        ["correlate"],
        ["pool"],
        ["filter"],
        ["explain"],
        ["explain", "conv"],
        ["explain", "stack"],
    ):
        with pytest.raises(SystemExit) as exit_:
            main([*argv, "--help"])
        assert exit_.value.code == 0
        assert "examples:\n  $ " in capsys.readouterr().out


def write_png(path, pixels):
    Image.fromarray(pixels).save(path)


def test_filter_png_writes_a_side_by_side_picture_and_the_exact_array(capsys, tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (20, 24), dtype=np.uint8)
    write_png(tmp_path / "in.png", pixels)
    out, npy = tmp_path / "pics" / "edges.png", tmp_path / "edges.npy"
    code, text, err = run(
        capsys, "filter", str(tmp_path / "in.png"), "--kernel", "laplacian8", "--out", str(out), "--npy", str(npy)
    )
    assert (code, err) == (0, "") and f"wrote {out}" in text
    with Image.open(out) as picture:
        assert picture.format == "PNG" and picture.width > picture.height
    np.testing.assert_allclose(np.load(npy), correlate(pixels / 255.0, kernels.laplacian8(), "same"), atol=1e-12)
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]  # no temp file left behind


def test_filter_colour_jpeg_filters_each_channel(capsys, tmp_path):
    pixels = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "in.jpg", quality=95)
    code, out, _ = run(
        capsys, "filter", str(tmp_path / "in.jpg"), "--kernel", "box", "--out", str(tmp_path / "o.png"), "--json"
    )
    data = json.loads(out)
    assert code == 0 and data["input_shape"] == [3, 16, 16] and data["output_shape"] == [3, 16, 16]


def test_filter_npy_with_a_matrix_kernel(capsys, tmp_path):
    field = np.random.default_rng(2).standard_normal((10, 12))
    np.save(tmp_path / "field.npy", field)
    code, out, _ = run(
        capsys,
        "filter",
        str(tmp_path / "field.npy"),
        "--kernel",
        "0,-1,0;-1,5,-1;0,-1,0",
        "--mode",
        "valid",
        "--out",
        str(tmp_path / "f.png"),
        "--npy",
        str(tmp_path / "f.npy"),
        "--json",
    )
    assert code == 0 and json.loads(out)["output_shape"] == [8, 10]
    np.testing.assert_allclose(np.load(tmp_path / "f.npy"), correlate(field, kernels.sharpen()), atol=1e-12)


@pytest.mark.parametrize(
    "argv,message",
    [
        (["correlate", "1,2;3", "1"], "rows of different lengths"),
        (["correlate", "1,2", "1,2,3", "--stride", "2"], "larger than the input"),
        (["correlate", "1,2,3", "1", "--stride", "0"], "stride must be an integer >= 1"),
        (["convolve", "1,a", "1"], "is not a list of numbers"),
        (["pool", "1,2,3", "--size", "2", "--padding", "2"], "at most half the kernel size"),
        (["explain", "conv", "--input", "3x4x4", "--filters", "1", "--kernel", "5"], "does not fit: O = floor"),
        (
            ["explain", "conv", "--input", "3x8x8", "--filters", "1", "--kernel", "3", "--stride", "2", "--strict"],
            "does not tile the input exactly",
        ),
        (["explain", "conv", "--input", "3xx", "--filters", "1", "--kernel", "3"], "is not of the form"),
        (
            ["explain", "transposed", "--input", "3x1x1", "--filters", "1", "--kernel", "1", "--padding", "1"],
            "has no output",
        ),
        (["explain"], "say what to explain"),
        (["filter", "missing.png", "--kernel", "box"], "does not exist"),
        (["filter", "{npy}", "--kernel", "blur"], "unknown kernel 'blur'"),
        (["filter", "{txt}", "--kernel", "box"], "give a .png, .jpg, .jpeg or .npy"),
        (["filter", "{fake_png}", "--kernel", "box"], "as an image"),
        (["filter", "{npy3d}", "--kernel", "box"], "needs a 2-D numeric array"),
    ],
)
def test_invalid_input_is_one_line_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("a.npy", np.ones((5, 5)))
    np.save("b.npy", np.ones((2, 5, 5)))
    (tmp_path / "a.txt").write_text("1,2,3")
    (tmp_path / "fake.png").write_bytes(b"not a png")
    files = {"npy": "a.npy", "txt": "a.txt", "fake_png": "fake.png", "npy3d": "b.npy"}
    code, out, err = run(capsys, *[a.format(**files) for a in argv])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_explain_dice_is_the_convolution_of_the_distributions(capsys):
    import itertools
    from collections import Counter

    for dice in (2, 3):
        got = json.loads(run(capsys, "explain", "dice", "--dice", str(dice), "--json")[1])
        throws = Counter(sum(t) for t in itertools.product(range(1, 7), repeat=dice))  # every outcome, counted
        assert got["sums"] == sorted(throws) and got["counts"] == [throws[s] for s in sorted(throws)]
        assert got["outcomes"] == 6**dice and sum(got["probabilities"]) == pytest.approx(1.0)
    assert json.loads(run(capsys, "explain", "dice", "--json")[1])["counts"] == [1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1]


def test_explain_moving_average_matches_numpy(capsys):
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    got = json.loads(
        run(capsys, "explain", "moving-average", "--values", ",".join(map(str, values)), "--window", "4", "--json")[1]
    )
    np.testing.assert_allclose(got["moving_average"], np.convolve(values, np.ones(4) / 4, "valid"))
    assert got["kernel"] == [0.25] * 4
    code, out, err = run(capsys, "explain", "moving-average", "--values", "1,2", "--window", "3")
    assert code == 2 and out == "" and err.count("\n") == 1 and "window" in err


def test_filter_gallery_draws_the_lecture_kernels_on_a_photograph(capsys, tmp_path):
    code, out, err = run(capsys, "filter", "--gallery", "--out", str(tmp_path / "g.png"), "--json")
    assert (code, err) == (0, "")
    summary = json.loads(out)
    assert summary["image"] == "camera (scikit-image)" and summary["image_shape"] == [512, 512]
    labels = [k["kernel"] for k in summary["kernels"]]
    assert labels == [
        "identity",
        "laplacian4",
        "laplacian8",
        "sharpen",
        "box",
        "binomial",
        "binomial",
        "edge",
        "sobel_x",
        "sobel_y",
    ]
    assert summary["kernels"][6]["kernel_values"][0] == pytest.approx([1 / 256, 4 / 256, 6 / 256, 4 / 256, 1 / 256])
    with Image.open(tmp_path / "g.png") as picture:
        assert picture.width > 1000 and picture.height > 500
    (tmp_path / "broken.png").write_bytes(b"not a picture")
    code, out, err = run(capsys, "filter", "--gallery", str(tmp_path / "broken.png"), "--out", str(tmp_path / "b.png"))
    assert code == 2 and "cannot decode" in err and err.count("\n") == 1
    assert not (tmp_path / "b.png").exists()
