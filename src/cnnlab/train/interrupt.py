"""Stopping a training run cleanly on SIGINT (Ctrl-C) and SIGTERM.

Inside `stop_on_signals()` the first of these signals only sets a flag; the training loop looks at it after
every batch (`stop_requested()`) and stops by raising `TrainingInterrupted`, so no checkpoint is ever cut
in half: the last epoch's checkpoint stays as it was written, `--resume` repeats the unfinished epoch from
it and ends with the numbers of an uninterrupted run. A second signal stops at once. The CLI exits with
128 + the signal number (130 for SIGINT, 143 for SIGTERM), as a shell does for a process killed by it.

Distributed runs keep the default behaviour (processes stopping at different batches would wait for each
other forever); torchrun stops all of them.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from cnnlab.errors import CnnlabError

__all__ = ["TrainingInterrupted", "stop_on_signals", "stop_requested", "interrupted"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_requested = 0  # the number of the signal received, 0 = none; set by the handler, read by the loop


class TrainingInterrupted(CnnlabError):
    """Training stopped by a signal; `exit_status` is what a shell reports for it (128 + signal number)."""

    def __init__(self, signum: int, message: str):
        super().__init__(message)
        self.signum = signum
        self.exit_status = 128 + signum


def _name(signum: int) -> str:
    return signal.Signals(signum).name


def _handle(signum, frame) -> None:
    global _requested
    if _requested:
        raise TrainingInterrupted(
            signum,
            f"stopped at once by a second {_name(signum)}; the last finished epoch's "
            f"checkpoint is kept: continue with --resume RUN_DIR",
        )
    _requested = signum


@contextmanager
def stop_on_signals(enabled: bool = True) -> Iterator[None]:
    """SIGINT and SIGTERM request a stop instead of killing, while the block runs (main thread only)."""
    global _requested
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    _requested = 0
    for sig in _SIGNALS:
        signal.signal(sig, _handle)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _requested = 0


def stop_requested() -> int:
    """The signal number a stop was requested with, 0 if none."""
    return _requested


def interrupted(epoch: int, run_dir: str) -> TrainingInterrupted:
    """The exception the loop raises when it stops during `epoch` (counting from 1)."""
    signum = _requested or signal.SIGINT
    if epoch > 1:
        kept = f"the checkpoint of epoch {epoch - 1} is kept; continue with: cnnlab train --resume {run_dir}"
    else:
        kept = f"no epoch had finished, so nothing was kept in {run_dir}; start the run again"
    return TrainingInterrupted(signum, f"stopped by {_name(signum)} during epoch {epoch}: {kept}")
