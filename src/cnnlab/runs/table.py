"""One row per run folder: name, data, model, epochs, test metric, wall time, images/s, date, status.

A run folder is any folder with a config.json; the row comes from config.json and results.json (and,
for a run that has no results.json, from the number of lines of metrics.csv). Nothing is imported
from torch, so listing hundreds of runs takes a fraction of a second.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

__all__ = ["find_runs", "read_run_row", "sort_rows", "RUN_COLUMNS", "SORT_KEYS", "test_metric"]

RUN_COLUMNS = ["name", "data", "model", "epochs", "metric", "value", "wall_time_s", "images_per_s", "date", "status"]
# --sort key -> (row field, largest first?)
SORT_KEYS = {
    "name": ("name", False),
    "date": ("date", True),
    "accuracy": ("value", True),
    "metric": ("value", True),
    "wall-time": ("wall_time_s", False),
    "speed": ("images_per_s", True),
    "model": ("model", False),
    "data": ("data", False),
}


def find_runs(root: str | Path) -> list[Path]:
    """Run folders (holding config.json) directly under `root`, or `root` itself when it is one."""
    root = Path(root)
    if (root / "config.json").is_file():
        return [root]
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return []
    return [Path(e.path) for e in entries if e.is_dir() and os.path.isfile(os.path.join(e.path, "config.json"))]


def _read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def test_metric(results: dict) -> tuple[str, float | None]:
    """The run's headline test number: accuracy for classifiers, else the first number in results['test']."""
    test = results.get("test") if isinstance(results.get("test"), dict) else {}
    if "accuracy" in test:
        return "accuracy", test["accuracy"]
    for key, value in test.items():
        if isinstance(value, (int, float)):
            return key, value
    return "", None


def _data_label(data: str) -> str:
    if data.startswith(("folder:", "csv:")):
        path = data.partition(":")[2].partition("?")[0].rstrip("/")
        return f"{data.partition(':')[0]}:{os.path.basename(path)}"
    return data


def _status(run_dir: Path, results: dict | None) -> str:
    if results is not None:
        if results.get("status") in ("diverged", "interrupted"):
            return results["status"]
        return "finished"
    state = _read_json(run_dir / "status.json")  # written by a trainer that records how a run ended
    if state and state.get("status"):
        return str(state["status"])
    return "interrupted"


def _epochs_done(run_dir: Path) -> int:
    try:
        with open(run_dir / "metrics.csv") as f:
            return max(0, sum(1 for line in f if line.strip()) - 1)
    except OSError:
        return 0


def read_run_row(run_dir: Path) -> dict:
    config = _read_json(run_dir / "config.json") or {}
    results = _read_json(run_dir / "results.json")
    metric, value = test_metric(results or {})
    stamp = (run_dir / ("results.json" if results is not None else "config.json")).stat().st_mtime
    value = value if isinstance(value, (int, float)) and math.isfinite(value) else None
    return {
        "name": run_dir.name,
        "path": str(run_dir),
        "data": _data_label(str(config.get("data", "?"))),
        "model": str(config.get("model", "?")),
        "task": str(config.get("task", "classify")),
        "epochs": (results or {}).get("epochs", _epochs_done(run_dir)),
        "epochs_planned": config.get("epochs"),
        "metric": metric,
        "value": value,
        "wall_time_s": (results or {}).get("wall_time_s"),
        "images_per_s": (results or {}).get("images_per_s"),
        "date": time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)),
        "status": _status(run_dir, results),
    }


def sort_rows(rows: list[dict], key: str) -> list[dict]:
    """Rows sorted by a SORT_KEYS key; rows without that value go last."""
    field, descending = SORT_KEYS[key]
    present = [r for r in rows if r.get(field) is not None]
    missing = [r for r in rows if r.get(field) is None]
    return sorted(present, key=lambda r: r[field], reverse=descending) + missing
