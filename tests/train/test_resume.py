"""Kill a training process with SIGKILL mid-epoch, resume it, and get the numbers of an uninterrupted run."""

import json
import signal
import subprocess

from cli_testing import metric_rows, train_process, wait_for_first_epoch

ARGS = [
    "--data",
    "synthetic-mnist",
    "--model",
    "lenet5",
    "--epochs",
    "3",
    "--train-size",
    "3000",
    "--val-size",
    "500",
    "--batch-size",
    "50",
    "--translate",
    "2",
    "--seed",
    "7",
    "--option",
    "dropout=0.3",
    "--no-report",
]


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    whole = _train(*ARGS, "--out", str(tmp_path / "whole"))
    killed_run = tmp_path / "killed"
    victim = _train(*ARGS, "--out", str(killed_run))
    wait_for_first_epoch(victim, killed_run)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    assert not (killed_run / "results.json").exists() and len(metric_rows(killed_run)) == 1  # it died inside epoch 2

    resumed = _train("--resume", str(killed_run))
    out, _ = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, out.decode()
    assert "resuming" in out.decode()
    assert whole.wait(timeout=300) == 0, whole.stdout.read().decode()

    assert metric_rows(killed_run) == metric_rows(tmp_path / "whole")
    a = json.loads((killed_run / "results.json").read_text())
    b = json.loads((tmp_path / "whole" / "results.json").read_text())
    assert a["test"] == b["test"] and a["epochs"] == b["epochs"] == 3


def _train(*args):
    return train_process(*args, stderr=subprocess.STDOUT)
