"""Several runs side by side: which settings differ, their test metrics, and their learning curves."""

from __future__ import annotations

import csv
import json
import os
import time
import warnings
from pathlib import Path

from cnnlab.errors import CnnlabError, CnnlabWarning
from cnnlab.files import write_json_atomic
from cnnlab.runs.table import read_run_row

__all__ = ["compare_runs", "read_history", "record_comparison", "read_comparison", "COMPARED_NAME"]

COMPARED_NAME = "compared.json"  # in each compared run folder: the runs of its latest comparison, for its report

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


def record_comparison(run_dirs: list[str | Path]) -> list[Path]:
    """Write COMPARED_NAME into every run folder of a comparison: all its runs, in order, as paths relative to
    that folder (so the record survives moving the folder that holds the runs). A later comparison replaces
    it. Returns the folders written; a folder that cannot be written is skipped with a warning."""
    folders = [Path(p).absolute() for p in run_dirs]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    written = []
    for folder in folders:
        record = {"runs": [os.path.relpath(other, folder) for other in folders], "compared_at": stamp}
        try:
            write_json_atomic(folder / COMPARED_NAME, record)
        except CnnlabError as error:  # a run folder one may read but not write: the comparison still stands
            warnings.warn(f"the comparison is not recorded in {folder}: {error}", CnnlabWarning, stacklevel=2)
            continue
        written.append(folder)
    return written


def read_comparison(run_dir: str | Path) -> dict | None:
    """The latest comparison recorded in `run_dir`: {'runs': [folders, this one included], 'compared_at': str,
    'missing': [folders gone since]}, or None when there is none (or it is unreadable)."""
    run_dir = Path(run_dir)
    try:
        record = json.loads((run_dir / COMPARED_NAME).read_text())
        runs = [os.path.normpath(run_dir / str(p)) for p in record["runs"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    present = [Path(p) for p in runs if (Path(p) / "config.json").is_file()]
    missing = [Path(p) for p in runs if not (Path(p) / "config.json").is_file()]
    return {"runs": present, "compared_at": str(record.get("compared_at", "")), "missing": missing}
