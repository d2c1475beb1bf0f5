"""Two processes under torchrun (gloo, CPU) train like one process with the same global batch."""

import json
import subprocess
import sys

import pytest

from cli_testing import ONE_THREAD, metric_rows, train_in_one_and_two_processes

# fp32: bf16 kernels round differently for a half batch and a whole one, which hides what is compared here
ARGS = [
    "--data",
    "synthetic-mnist",
    "--model",
    "lenet5",
    "--precision",
    "fp32",
    "--epochs",
    "2",
    "--train-size",
    "800",
    "--val-size",
    "200",
    "--batch-size",
    "100",
    "--seed",
    "3",
    "--translate",
    "0",
    "--no-report",
]


def test_two_gloo_processes_match_one_process(tmp_path):
    _, ddp = train_in_one_and_two_processes(ARGS, tmp_path / "one", tmp_path / "two")
    assert ddp.stdout.count("test accuracy") == 1  # only rank 0 speaks
    one, two = metric_rows(tmp_path / "one"), metric_rows(tmp_path / "two")
    assert len(one) == len(two) == 2
    for a, b in zip(one, two):
        for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
            assert float(b[key]) == pytest.approx(float(a[key]), rel=1e-3, abs=1e-4), key
    ra = json.loads((tmp_path / "one" / "results.json").read_text())
    rb = json.loads((tmp_path / "two" / "results.json").read_text())
    assert rb["processes"] == 2 and rb["test"]["accuracy"] == pytest.approx(ra["test"]["accuracy"], abs=2e-3)
    assert rb["test"]["loss"] == pytest.approx(ra["test"]["loss"], rel=1e-3)


def test_distributed_without_torchrun_is_a_one_line_error(tmp_path):
    env = {k: v for k, v in ONE_THREAD.items() if k not in ("RANK", "WORLD_SIZE", "MASTER_ADDR")}
    out = subprocess.run(
        [sys.executable, "-m", "cnnlab", "train", *ARGS, "--distributed", "--out", str(tmp_path / "x")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "torchrun --nproc_per_node" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "x").exists()


def test_sync_bn_on_cpu_is_refused_before_joining_any_group(monkeypatch):
    import torch

    from cnnlab.errors import CnnlabError
    from cnnlab.train import distributed

    for key, value in {"RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29599"}.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(CnnlabError, match="--sync-bn needs GPUs"):
        distributed.setup(True, torch.device("cpu"), sync_bn=True)
    assert not torch.distributed.is_initialized()
