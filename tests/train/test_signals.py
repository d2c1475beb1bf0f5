"""SIGINT and SIGTERM stop training at the next batch with exit 130/143; --resume then gives the numbers of an
uninterrupted run. Real processes and real signals, as a user's Ctrl-C or a scheduler's SIGTERM would."""

import json
import signal
import time

from cli_testing import metric_rows, train_process

ARGS = [
    "--data",
    "synthetic-mnist",
    "--model",
    "lenet5",
    "--epochs",
    "3",
    "--train-size",
    "1500",
    "--val-size",
    "300",
    "--batch-size",
    "50",
    "--seed",
    "5",
    "--option",
    "dropout=0.3",
    "--precision",
    "fp32",
]


def _signal_each_after_its_epoch_1(victims):
    """Signal every process the moment its own epoch-1 checkpoint exists. All are polled together: waiting for
    one victim at a time let the others run to their end on a fast machine, so they never saw the signal."""
    pending = dict(victims)
    deadline = time.time() + 300
    while pending:
        for sig, (process, run) in list(pending.items()):
            if (run / "metrics.csv").exists():  # written after the epoch-1 checkpoint
                process.send_signal(sig)
                del pending[sig]
            else:
                assert process.poll() is None, process.communicate()
        assert time.time() < deadline, "epoch 1 never finished"
        time.sleep(0.005)


def test_sigint_and_sigterm_stop_cleanly_and_resume_to_the_uninterrupted_numbers(tmp_path):
    whole = _train(*ARGS, "--out", str(tmp_path / "whole"))
    victims = {
        sig: (_train(*ARGS, "--out", str(tmp_path / sig.name)), tmp_path / sig.name)
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    _signal_each_after_its_epoch_1(victims)
    for sig, (process, run) in victims.items():
        _, err = process.communicate(timeout=300)
        assert process.returncode == 128 + sig, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, err
        assert f"stopped by {sig.name}" in lines[0] and f"--resume {run}" in lines[0], lines[0]
        assert not (run / "results.json").exists() and not (run / ".cnnlab-lock").exists()
        assert len(metric_rows(run)) in (
            1,
            2,
        )  # stopped inside epoch 2 (or, on a slow machine, just after its checkpoint)

    for sig, (_, run) in victims.items():
        resumed = _train("--resume", str(run))
        out, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, err
        assert "resuming" in out
    assert whole.wait(timeout=300) == 0, whole.communicate()
    expected = json.loads((tmp_path / "whole" / "results.json").read_text())
    for sig, (_, run) in victims.items():
        assert metric_rows(run) == metric_rows(tmp_path / "whole")
        got = json.loads((run / "results.json").read_text())
        assert got["test"] == expected["test"] and got["epochs"] == expected["epochs"] == 3


def test_a_signal_before_the_first_checkpoint_leaves_no_run_folder(tmp_path):
    run = tmp_path / "run"
    process = _train(*ARGS, "--out", str(run))
    deadline = time.time() + 300
    while not (run / "config.json").exists():  # the run has started its first epoch
        assert process.poll() is None, process.communicate()
        assert time.time() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 143, err
    assert len(err.strip().splitlines()) == 1 and "no epoch had finished" in err, err
    assert not run.exists()


def _train(*args):
    return train_process(*args, text=True)
