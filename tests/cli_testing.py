"""Helpers for tests that run cnnlab as a user does: a command that must fail with one line, and training
runs in real processes that are killed or signalled mid-run."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

from cnnlab.cli import main

ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}  # same kernels, same order of sums, in every process
TIMING_COLUMNS = ("epoch_time_s", "images_per_s", "samples_per_s")  # differ between runs with equal numbers


def one_line_error(capsys, argv, *fragments, status=2) -> str:
    """Run `cnnlab ARGV` in-process; it must exit with `status` and one line on stderr holding every fragment."""
    code = main(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == status and len(lines) == 1 and "Traceback" not in err, (code, err)
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def train_process(*args, **popen) -> subprocess.Popen:
    """`cnnlab train ARGS` in a new process with one thread (same kernels, same order of sums, in every process);
    stdout and stderr are pipes unless `popen` says otherwise."""
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen}
    return subprocess.Popen([sys.executable, "-m", "cnnlab", "train", *args], env=ONE_THREAD, **options)


def wait_for_first_epoch(process: subprocess.Popen, run: Path, timeout: float = 300) -> None:
    """Return once `run` has its epoch-1 checkpoint (metrics.csv is written after it); fail if the process ends."""
    deadline = time.time() + timeout
    while not (run / "metrics.csv").exists():
        assert process.poll() is None, process.communicate()
        assert time.time() < deadline, "epoch 1 never finished"
        time.sleep(0.01)


def metric_rows(run: Path) -> list[dict]:
    """metrics.csv of a run without its timing columns: what two runs with the same numbers share."""
    rows = csv.DictReader((Path(run) / "metrics.csv").open())
    return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in rows]


def train_in_one_and_two_processes(args: list[str], one: Path, two: Path):
    """`cnnlab train ARGS` in one process into `one`, then under torchrun with two gloo processes and
    --distributed into `two`; both must succeed. Returns the two finished processes (text output)."""
    single = subprocess.run(
        [sys.executable, "-m", "cnnlab", "train", *args, "--out", str(one)],
        env=ONE_THREAD,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert single.returncode == 0, single.stderr
    ddp = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            "-m",
            "cnnlab",
            "train",
            *args,
            "--distributed",
            "--out",
            str(two),
        ],
        env=ONE_THREAD,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ddp.returncode == 0, ddp.stdout + ddp.stderr
    assert "2 processes" in ddp.stdout
    return single, ddp
