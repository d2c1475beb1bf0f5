"""`evaluate_run`: score a finished run's checkpoint on its test split again, whatever its task."""

from __future__ import annotations

from pathlib import Path

from cnnlab.train.device import resolve_device
from cnnlab.train.runs import open_run
from cnnlab.train.tasks import get_task

__all__ = ["evaluate_run", "evaluation_text"]


def evaluate_run(run_dir: Path, which: str = "best", device: str = "auto", data_dir: str | None = None) -> dict:
    """The test scores of a run folder's best (or last) weights: for an image run {"test": {"accuracy", "loss"}, ...},
    for a gridded run the same keys as its results.json["test"]."""
    config, _ = open_run(Path(run_dir), which)
    task = get_task(config.task)
    return {"task": config.task, **task.evaluate_run(Path(run_dir), config, which, resolve_device(device), data_dir)}


def evaluation_text(evaluation: dict) -> str:
    """The evaluation as the lines `cnnlab eval` prints."""
    return get_task(evaluation["task"]).evaluation_text(evaluation)
