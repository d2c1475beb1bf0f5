"""cnnlab.bench: the speed harness (`cnnlab bench`, bench/train_speed.py, bench/time_to_accuracy.py).

reference  the plain PyTorch training loop of the tutorials, the yardstick the trainer is measured against
speed      images/s of the trainer and of the reference in one process, FLOP/s against the matmul peak
"""

from __future__ import annotations

import time
from pathlib import Path

__all__ = ["write_report"]


def write_report(report: dict, folder: Path, stem: str, out: str | Path | None = None) -> Path:
    """Write a benchmark's JSON report to `out`, else to folder/<stem>-<time>.json; prints and returns the path."""
    path = Path(out) if out else Path(folder) / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    from cnnlab.train.runs import write_json

    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, report)  # atomic: an interrupted benchmark leaves no half-written report
    print(f"-> {path}")
    return path
