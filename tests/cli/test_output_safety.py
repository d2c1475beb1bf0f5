"""Outputs never destroy inputs or a user's files, and are checked before the work; data folders are not invented."""

import numpy as np
import pytest
from PIL import Image

from cli_testing import one_line_error
from cnnlab.cli import main


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray((np.arange(32 * 32).reshape(32, 32) % 251).astype(np.uint8)).save(path)
    return path


def test_filter_never_writes_over_its_input(picture, capsys, tmp_path):
    before = picture.read_bytes()
    one_line_error(capsys, ["filter", str(picture), "--kernel", "sobel_x", "--out", str(picture)], "is also the input")
    assert picture.read_bytes() == before
    array = tmp_path / "a.npy"
    np.save(array, np.eye(8))
    saved = array.read_bytes()
    one_line_error(
        capsys,
        ["filter", str(array), "--kernel", "box", "--out", str(tmp_path / "x.png"), "--npy", str(array)],
        "--npy",
        "is also the input",
    )
    assert array.read_bytes() == saved and not (tmp_path / "x.png").exists()


def test_filter_default_name_replaces_only_its_own_picture(picture, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "photo_sobel_x.png"
    mine.write_bytes(b"a drawing of mine")
    one_line_error(
        capsys, ["filter", str(picture), "--kernel", "sobel_x"], "photo_sobel_x.png", "not written by cnnlab", "--out"
    )
    assert mine.read_bytes() == b"a drawing of mine"
    mine.unlink()
    assert main(["filter", str(picture), "--kernel", "sobel_x"]) == 0  # cnnlab's picture...
    assert main(["filter", str(picture), "--kernel", "sobel_x"]) == 0  # ...is replaced by the next run
    assert main(["filter", str(picture), "--kernel", "sobel_x", "--out", str(picture.with_name("given.png"))]) == 0


def test_filter_out_that_is_a_folder(picture, capsys, tmp_path):
    folder = tmp_path / "pics.png"
    folder.mkdir()
    one_line_error(capsys, ["filter", str(picture), "--kernel", "box", "--out", str(folder)], "is a folder")


def test_bench_checks_its_report_path_before_measuring(capsys, tmp_path):
    folder = tmp_path / "report.json"
    folder.mkdir()
    one_line_error(capsys, ["bench", "--models", "lenet5", "--out", str(folder)], "is a folder")


def test_a_mistyped_data_dir_is_not_created(capsys, tmp_path):
    typo = tmp_path / "dtaa"
    one_line_error(
        capsys,
        ["train", "--data", "mnist", "--data-dir", str(typo), "--out", str(tmp_path / "run")],
        f"--data-dir {typo} does not exist",
    )
    assert not typo.exists() and not (tmp_path / "run").exists()
    file = tmp_path / "data.txt"
    file.write_text("x")
    one_line_error(capsys, ["datasets", "--data-dir", str(file)], "is a file, not a folder")


def test_a_run_folder_where_the_system_refuses_to_create_one(capsys):
    # /sys refuses new folders even to root: a real "Operation not permitted", as a read-only disk would give
    line = one_line_error(
        capsys,
        [
            "train",
            "--data",
            "synthetic-mnist",
            "--model",
            "slp",
            "--epochs",
            "1",
            "--train-size",
            "256",
            "--val-size",
            "128",
            "--out",
            "/sys/cnnlab-run",
        ],
        "/sys/cnnlab-run",
        "cannot create the folder",
    )
    assert "not permitted" in line or "denied" in line or "Read-only" in line


def test_a_folder_where_a_data_file_should_be_is_named(real_data_dir, capsys, tmp_path):
    root = tmp_path / "data"
    (root / "mnist").mkdir(parents=True)
    for source in (real_data_dir / "mnist").iterdir():
        (root / "mnist" / source.name).symlink_to(source)
    (root / "mnist" / "train-images-idx3-ubyte.gz").unlink()
    (root / "mnist" / "train-images-idx3-ubyte.gz").mkdir()  # a folder where the file is expected
    one_line_error(
        capsys,
        ["train", "--data", "mnist", "--data-dir", str(root), "--out", str(tmp_path / "run")],
        "train-images-idx3-ubyte.gz is a folder where the file",
    )
    assert not (tmp_path / "run").exists()
