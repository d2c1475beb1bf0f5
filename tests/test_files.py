"""The one atomic writer: old-or-new file after a crash, no temp left behind, the user's umask."""

import os
import stat

import pytest

from cnnlab.files import atomic_path, atomic_write, write_bytes_atomic, write_json_atomic, write_text_atomic


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it afterwards."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writers_write_what_they_are_given(tmp_path):
    write_bytes_atomic(tmp_path / "a.bin", b"\x00\x01")
    write_text_atomic(tmp_path / "sub" / "b.txt", "grüße\n")  # the folder is made
    write_json_atomic(tmp_path / "c.json", {"x": [1, 2]})
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "sub" / "b.txt").read_bytes() == "grüße\n".encode()
    assert (tmp_path / "c.json").read_text() == '{\n  "x": [\n    1,\n    2\n  ]\n}\n'
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.bin", "b.txt", "c.json", "sub"]


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "state.pt"
    write_bytes_atomic(target, b"old")

    def broken(tmp):
        with open(tmp, "wb") as f:
            f.write(b"half")
        raise KeyboardInterrupt  # killed mid-write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["state.pt"]


def test_temp_path_sits_beside_the_target_and_keeps_its_suffix(tmp_path):
    with atomic_path(tmp_path / "plot.png") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png" and tmp.name.startswith(".")
        assert not (tmp_path / "plot.png").exists()  # nothing at the target until the write is done
        tmp.write_bytes(b"png")
    assert (tmp_path / "plot.png").read_bytes() == b"png" and not tmp.exists()


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_files_get_the_users_umask(tmp_path, umask, mask, expected):
    umask(mask)
    write_text_atomic(tmp_path / "t.txt", "x")
    atomic_write(tmp_path / "lib.npy", lambda tmp: __import__("numpy").save(tmp, [1.0]))  # np.save keeps .npy
    assert mode(tmp_path / "t.txt") == expected
    assert mode(tmp_path / "lib.npy") == expected


def test_every_file_of_a_training_run_is_readable_by_the_group_under_umask_022(tmp_path, umask):
    from cnnlab.train import TrainConfig, train

    umask(0o022)
    config = TrainConfig(
        data="synthetic-mnist",
        model="slp",
        epochs=1,
        train_size=256,
        val_size=128,
        batch_size=64,
        out=str(tmp_path / "run"),
    )
    run_dir = train(config, log=lambda s: None, progress=False).run_dir
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"config.json", "metrics.csv", "results.json", "best.safetensors", "last.state.pt"} <= names
    assert {p.name: oct(mode(p)) for p in files} == {p.name: oct(0o644) for p in files}
