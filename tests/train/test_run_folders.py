"""Run folders: --overwrite deletes only cnnlab's own run folders, one writer per folder, nothing half-written."""

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli_testing import one_line_error
from cnnlab.errors import CnnlabError
from cnnlab.train import TrainConfig, train
from cnnlab.train.checkpoint import load_state
from cnnlab.train.run_lock import LOCK_NAME, RunLock
from cnnlab.train.runs import MARKER_NAME, check_run_dir, claim_run_dir

TINY = [
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
    "--batch-size",
    "64",
]


def tiny_config(out, **change):
    values = dict(
        data="synthetic-mnist", model="slp", epochs=1, train_size=256, val_size=128, batch_size=64, out=str(out)
    )
    values.update(change)
    return TrainConfig(**values)


def user_folder(tmp_path, name="mine"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work")
    (folder / "data").mkdir()
    (folder / "data" / "x.csv").write_text("1,2\n")
    return folder


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def test_overwrite_refuses_a_folder_cnnlab_did_not_create_and_names_what_is_in_it(tmp_path, capsys):
    folder = user_folder(tmp_path)
    before = snapshot(folder)
    line = one_line_error(
        capsys,
        ["train", *TINY, "--out", str(folder), "--overwrite"],
        str(folder),
        "not created by cnnlab",
        "thesis.tex",
        "data",
    )
    assert "--overwrite refused" in line
    assert snapshot(folder) == before


def test_experiment_overwrite_refuses_a_user_folder_before_any_work(tmp_path, capsys):
    folder = user_folder(tmp_path)
    before = snapshot(folder)
    one_line_error(
        capsys,
        ["experiment", "init", "--data", "synthetic-mnist", "--out", str(folder), "--overwrite"],
        "not created by cnnlab",
        "thesis.tex",
    )
    assert snapshot(folder) == before


@pytest.mark.parametrize("where", ["cwd", "parent", "home", "root"])
def test_current_folder_its_parents_home_and_root_are_never_emptied(tmp_path, monkeypatch, capsys, where):
    work = user_folder(tmp_path, "work")
    (work / MARKER_NAME).write_text("{}")  # even a folder that looks like a run folder
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path))
    target = {"cwd": ".", "parent": "..", "home": str(tmp_path), "root": "/"}[where]
    before = snapshot(work)
    one_line_error(capsys, ["train", *TINY, "--out", target, "--overwrite"], "never empties those")
    assert snapshot(work) == before


def test_a_file_given_as_out_is_not_replaced(tmp_path, capsys):
    file = tmp_path / "notes.txt"
    file.write_text("keep me")
    for extra in ([], ["--overwrite"]):
        one_line_error(capsys, ["train", *TINY, "--out", str(file), *extra], str(file), "is a file, not a folder")
    assert file.read_text() == "keep me"


def test_a_link_is_never_emptied(tmp_path, capsys):
    real = user_folder(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(real)
    before = snapshot(real)
    one_line_error(capsys, ["train", *TINY, "--out", str(link), "--overwrite"], "symbolic link")
    assert snapshot(real) == before


def test_overwrite_replaces_a_cnnlab_run_folder_but_refuses_one_holding_a_foreign_file(tmp_path, capsys):
    run = tmp_path / "run"
    train(tiny_config(run), log=lambda s: None, progress=False)
    assert (run / MARKER_NAME).is_file() and (run / "results.json").is_file()
    assert not (run / LOCK_NAME).exists()  # released at the end of the run
    train(tiny_config(run, seed=3), overwrite=True, log=lambda s: None, progress=False)
    assert '"seed": 3' in (run / "config.json").read_text()

    (run / "my_notes.md").write_text("observations")
    (run / "figures").mkdir()
    before = snapshot(run)
    one_line_error(
        capsys,
        ["train", *TINY, "--out", str(run), "--overwrite"],
        "files cnnlab did not write",
        "my_notes.md",
        "figures/",
    )
    assert snapshot(run) == before


def test_overwrite_of_a_cnnlab_run_removes_only_its_own_files(tmp_path):
    run = tmp_path / "run"
    with claim_run_dir(run):
        (run / "config.json").write_text("{}")
        (run / "tb").mkdir()
        (run / "tb" / "events.out.tfevents.1.host").write_text("x")
        (run / "last.state.pt").write_text("x")
    with claim_run_dir(run, overwrite=True):
        assert sorted(p.name for p in run.iterdir()) == sorted([MARKER_NAME, LOCK_NAME])


def test_a_failure_before_the_first_checkpoint_leaves_no_folder(tmp_path):
    run = tmp_path / "new" / "run"
    with pytest.raises(RuntimeError):
        with claim_run_dir(run):
            (run / "config.json").write_text("{}")
            raise RuntimeError("diverged")
    assert not run.exists()
    with pytest.raises(RuntimeError):  # after a checkpoint the folder stays, resumable
        with claim_run_dir(run):
            (run / "last.state.pt").write_text("x")
            raise RuntimeError("diverged")
    assert (run / "last.state.pt").exists() and not (run / LOCK_NAME).exists()


def test_diverging_in_the_first_epoch_leaves_no_run_folder(tmp_path, capsys):
    run = tmp_path / "run"
    diverging = ["--model", "lenet5", "--lr", "1e30", "--schedule", "constant", "--optimizer", "sgd"]
    one_line_error(capsys, ["train", *TINY, *diverging, "--out", str(run)], "diverged", "no epoch had finished")
    assert not run.exists()


def test_check_run_dir_accepts_new_and_empty_folders(tmp_path):
    check_run_dir(tmp_path / "absent", overwrite=False)
    (tmp_path / "empty").mkdir()
    check_run_dir(tmp_path / "empty", overwrite=False)
    with pytest.raises(CnnlabError, match="already exists"):
        check_run_dir(user_folder(tmp_path), overwrite=False)


# One run folder, one writer.


def test_a_second_writer_is_refused_at_once_while_the_first_holds_the_lock(tmp_path, capsys):
    run = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run.mkdir()
        (run / LOCK_NAME).write_text(f"{holder.pid} {os.uname().nodename}\n")
        line = one_line_error(capsys, ["train", *TINY, "--out", str(run)], "in use by process", str(holder.pid))
        assert "choose another --out" in line
        assert [p.name for p in run.iterdir()] == [LOCK_NAME]  # nothing written beside the other writer's lock
    finally:
        holder.kill()
        holder.wait()


def test_resume_of_a_run_that_is_still_running_fails_at_once(tmp_path, capsys):
    run = tmp_path / "run"
    train(tiny_config(run, epochs=1), log=lambda s: None, progress=False)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (run / LOCK_NAME).write_text(f"{holder.pid} {os.uname().nodename}\n")
        one_line_error(capsys, ["train", "--resume", str(run), "--epochs", "2"], "in use by process", str(holder.pid))
        assert len((run / "metrics.csv").read_text().splitlines()) == 2  # header and epoch 1: untouched
    finally:
        holder.kill()
        holder.wait()


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_message(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK_NAME).write_text(f"{dead.pid} {os.uname().nodename}\n")
    said = []
    with RunLock(run, said.append):
        assert (run / LOCK_NAME).read_text().split()[0] == str(os.getpid())
    assert said and str(dead.pid) in said[0] and "no longer running" in said[0]
    assert not (run / LOCK_NAME).exists()


def test_the_lock_is_exclusive_within_one_process_too(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(CnnlabError, match="in use by process"):
            RunLock(tmp_path).acquire()


# Disk full or a read-only folder while saving.


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES])
def test_a_failed_checkpoint_write_is_one_line_and_keeps_the_previous_checkpoint(tmp_path, monkeypatch, capsys, code):
    import torch

    import cnnlab.train.checkpoint as checkpoint

    real_save = torch.save
    calls = []

    def failing_save(obj, f, *args, **kwargs):  # the second epoch's state cannot be written
        calls.append(1)
        if len(calls) == 2:
            raise OSError(code, os.strerror(code))
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(checkpoint.torch, "save", failing_save)
    run = tmp_path / "run"
    line = one_line_error(
        capsys,
        ["train", *TINY, "--epochs", "2", "--out", str(run)],
        "cannot write",
        str(run / "last.state.pt"),
        os.strerror(code),
        "previous version is unchanged",
    )
    assert "Traceback" not in line
    assert load_state(run / "last.state.pt")["epoch"] == 1
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
