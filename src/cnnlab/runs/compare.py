"""Several runs side by side: which settings differ, their test metrics, and their learning curves."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from cnnlab.errors import CnnlabError
from cnnlab.runs.table import read_run_row

__all__ = ["compare_runs", "read_history"]

SIDE_BY_SIDE = ["data", "model", "epochs", "metric", "value", "wall_time_s", "images_per_s", "status"]


def read_history(run_dir: Path) -> list[dict]:
    """metrics.csv as rows of floats (empty when the run has none)."""
    try:
        with open(Path(run_dir) / "metrics.csv", newline="") as f:
            return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(f)]
    except OSError:
        return []


def _number(text: str):
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def compare_runs(run_dirs: list[str | Path]) -> dict:
    """{'runs': names, 'differences': {setting: [value per run]}, 'metrics': [row per run], 'histories': [...]}."""
    if len(run_dirs) < 2:
        raise CnnlabError("compare needs at least two run folders, e.g. cnnlab compare runs/a runs/b")
    configs, rows, histories = [], [], []
    for run_dir in map(Path, run_dirs):
        config_path = run_dir / "config.json"
        try:
            configs.append(json.loads(config_path.read_text()))
        except (OSError, ValueError):
            raise CnnlabError(
                f"{run_dir} is not a run folder (no readable config.json); give folders `cnnlab train` wrote"
            ) from None
        rows.append(read_run_row(run_dir))
        histories.append(read_history(run_dir))
    keys = sorted(set().union(*configs) - {"out"})
    differences = {
        k: [c.get(k) for c in configs] for k in keys if len({json.dumps(c.get(k), sort_keys=True) for c in configs}) > 1
    }
    return {
        "runs": [row["name"] for row in rows],
        "paths": [str(p) for p in run_dirs],
        "differences": differences,
        "metrics": [{k: row[k] for k in SIDE_BY_SIDE} for row in rows],
        "histories": histories,
    }
