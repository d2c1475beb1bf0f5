"""Kill a training process with SIGKILL mid-epoch, resume it, and get the numbers of an uninterrupted run."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ARGS = ["--data", "synthetic-mnist", "--model", "lenet5", "--epochs", "3", "--train-size", "3000", "--val-size", "500",
        "--batch-size", "50", "--translate", "2", "--seed", "7", "--option", "dropout=0.3", "--no-report"]


def _cnnlab(*args, **kwargs):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # same kernels, same order of sums, in every process
    return subprocess.Popen([sys.executable, "-m", "cnnlab", "train", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)


def _rows(run: Path):
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    return [{k: v for k, v in r.items() if k not in ("epoch_time_s", "images_per_s")} for r in rows]


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    whole = _cnnlab(*ARGS, "--out", str(tmp_path / "whole"))
    killed_run = tmp_path / "killed"
    victim = _cnnlab(*ARGS, "--out", str(killed_run))
    deadline = time.time() + 240
    while not (killed_run / "metrics.csv").exists():  # written after the epoch-1 checkpoint
        assert victim.poll() is None, victim.stdout.read().decode()
        assert time.time() < deadline, "epoch 1 never finished"
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    assert not (killed_run / "results.json").exists() and len(_rows(killed_run)) == 1  # it died inside epoch 2

    resumed = _cnnlab("--resume", str(killed_run))
    out, _ = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, out.decode()
    assert "resuming" in out.decode()
    assert whole.wait(timeout=300) == 0, whole.stdout.read().decode()

    assert _rows(killed_run) == _rows(tmp_path / "whole")
    a = json.loads((killed_run / "results.json").read_text())
    b = json.loads((tmp_path / "whole" / "results.json").read_text())
    assert a["test"] == b["test"] and a["epochs"] == b["epochs"] == 3
