"""Run folders: `runs/<name>/` with config.json, metrics.csv, checkpoints, results.json and plots."""

from __future__ import annotations

import csv
import io
import shutil
import time
from pathlib import Path

from cnnlab.errors import CnnlabError
from cnnlab.files import write_json_atomic, write_text_atomic

__all__ = ["open_run", "prepare_run_dir", "default_run_dir", "write_metrics_csv", "write_json", "METRIC_COLUMNS"]

METRIC_COLUMNS = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "epoch_time_s", "images_per_s"]


def open_run(run_dir: Path, which: str = "best", writer: str = "cnnlab train"):
    """A run folder's TrainConfig and the path of its best (or last) weights; a clear error if either is missing."""
    from cnnlab.train.config import TrainConfig

    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise CnnlabError(f"{run_dir} is not a run folder (no config.json); give the folder `{writer}` wrote")
    config = TrainConfig.load(run_dir / "config.json")
    weights = run_dir / f"{which}.safetensors"
    if not weights.is_file():
        raise CnnlabError(f"{run_dir} has no {weights.name}; did its training finish an epoch?")
    return config, weights


def default_run_dir(data: str, model: str) -> Path:
    from cnnlab.data import dataset_label

    return Path("runs") / f"{dataset_label(data)}-{model}-{time.strftime('%Y%m%d-%H%M%S')}"


def prepare_run_dir(path: Path, overwrite: bool) -> Path:
    """Create the run folder; an existing non-empty one is refused unless `overwrite`."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        if not overwrite:
            raise CnnlabError(
                f"run folder {path} already exists; pass --overwrite to replace it, --resume {path} to continue it, or --out for a new folder"
            )
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_metrics_csv(path: Path, history: list[dict], columns: list[str] = METRIC_COLUMNS) -> None:
    """One row per epoch, floats to 6 significant digits, written atomically; `columns` (the image trainer's
    by default, gridded runs pass theirs) plus the test columns of --test-every-epoch when the rows have them."""
    buffer = io.StringIO()
    extra = [k for k in ("test_loss", "test_accuracy") if history and k in history[0]]  # --test-every-epoch
    writer = csv.DictWriter(buffer, fieldnames=columns + extra, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    write_text_atomic(path, buffer.getvalue())


def write_json(path: Path, obj: dict) -> None:
    write_json_atomic(path, obj)
