"""What every experiment shares: its settings, the data as NumPy arrays, and the run folder it writes.

A run folder of an experiment holds settings.json, table.md and table.csv (one row per variant),
curves.csv where there are curves, plot.png (and more plots where an experiment draws more), and, for
the experiments that test a lecture's claim, results.json: {"claim", "reproduced", "rows", ...}. The
zoo models an experiment trains keep their own run folders under models/. Every file is written atomically.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from cnnlab.data import Normalise, dataset_spec, load_dataset
from cnnlab.errors import CnnlabError
from cnnlab.files import write_json_atomic, write_text_atomic
from cnnlab.train.runs import claim_run_dir

__all__ = ["ExperimentSettings", "ExperimentResult", "Arrays", "load_arrays", "write_outputs", "markdown_table"]


@dataclass
class ExperimentSettings:
    name: str
    data: str = "mnist"
    engine: str = "numpy"
    quick: bool = False
    seed: int = 0
    out: str = ""  # "" = runs/experiment-<name>-<time>
    data_dir: str | None = None
    scale: float = 1.0  # multiplies steps, epochs and image counts (tests run the experiments at a small fraction)
    run: str = ""  # a trained run folder to take a CNN from, where the experiment can use one (features)

    def steps(self, quick: int, full: int) -> int:
        return max(2, round((quick if self.quick else full) * self.scale))

    def epochs(self, quick: int, full: int) -> int:
        return max(1, round((quick if self.quick else full) * self.scale))

    def images(self, quick: int, full: int) -> int:
        """An image count (0 = the whole split stays 0); at least 100 when scaled down."""
        n = quick if self.quick else full
        return n and max(100, round(n * self.scale))

    def run_dir(self) -> Path:
        return Path(self.out) if self.out else Path("runs") / f"experiment-{self.name}-{time.strftime('%Y%m%d-%H%M%S')}"


@dataclass
class ExperimentResult:
    """The table (one dict per variant, same keys), optional curves {label: [values]}, and notes for the markdown."""

    title: str
    rows: list[dict]
    curves: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    run_dir: Path | None = None
    seconds: float = 0.0
    claim: str = ""  # the lecture's claim this experiment tests ("" = none: no results.json)
    measured: str = ""  # one sentence: what was measured against the claim
    reproduced: bool | None = None
    record: list[dict] | None = None  # rows of results.json when they differ from the table's rows

    def results(self) -> dict:
        """What results.json holds: the claim, whether it reproduced, and one object per measured row."""
        return {
            "claim": self.claim,
            "reproduced": bool(self.reproduced),
            "measured": self.measured,
            "rows": self.record if self.record is not None else self.rows,
            "seconds": round(self.seconds, 1),
        }

    def verdict(self) -> str:
        return "reproduced" if self.reproduced else "not reproduced"


@dataclass(frozen=True)
class Arrays:
    """Normalised float32 images (N, C, H, W) and int64 labels, train and test."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_arrays(data: str, data_dir: str | None, train_size: int = 0, test_size: int = 0) -> Arrays:
    """The dataset as NumPy arrays, normalised as the trainer normalises; the first N images when sizes are given."""
    spec = dataset_spec(data)
    normalise = Normalise(spec.mean, spec.std)

    def arrays(split: str, n: int):
        images = load_dataset(data, split, data_dir)
        if n:
            images = images.take(n)
        with torch.no_grad():
            return normalise(images.images).numpy(), images.labels.numpy().astype(np.int64)

    x_train, y_train = arrays("train", train_size)
    x_test, y_test = arrays("test", test_size)
    return Arrays(x_train, y_train, x_test, y_test)


def markdown_table(rows: list[dict]) -> str:
    if not rows:
        raise CnnlabError("an experiment produced no rows")
    keys = list(rows[0])
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(keys) + " |", "|" + "|".join("---" for _ in keys) + "|"]
    lines += ["| " + " | ".join(fmt(row[k]) for k in keys) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows([{k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()} for row in rows])
    return buffer.getvalue()


def write_outputs(
    settings: ExperimentSettings,
    result: ExperimentResult,
    plot: Callable[[object], object],
    overwrite: bool = False,
    prepared: bool = False,
) -> Path:
    """settings.json, table.md, table.csv, curves.csv, results.json (with a claim) and plot.png via
    `plot(pyplot)`, which returns a figure or {file name: figure}. `prepared`: the folder was made for this run."""
    if prepared:
        run_dir = Path(settings.run_dir())
        _write_files(run_dir, settings, result, plot)
    else:
        with claim_run_dir(settings.run_dir(), overwrite, writer="cnnlab experiment") as run_dir:
            _write_files(run_dir, settings, result, plot)
    result.run_dir = run_dir
    return run_dir


def _write_files(
    run_dir: Path, settings: ExperimentSettings, result: ExperimentResult, plot: Callable[[object], object]
) -> None:
    write_json_atomic(run_dir / "settings.json", {**asdict(settings), "seconds": round(result.seconds, 1)})
    notes = "".join(f"\n{note}\n" for note in result.notes)
    claim = ""
    if result.claim:
        claim = f"\nClaim: {result.claim}\nMeasured: {result.measured}\nVerdict: {result.verdict()}\n"
    write_text_atomic(run_dir / "table.md", f"# {result.title}\n\n{markdown_table(result.rows)}{notes}{claim}")
    if result.claim:
        write_json_atomic(run_dir / "results.json", result.results())
    write_text_atomic(run_dir / "table.csv", _csv_text(result.rows))
    if result.curves:
        length = max(len(v) for v in result.curves.values())
        curve_rows = [
            {"step": i, **{k: (v[i] if i < len(v) else "") for k, v in result.curves.items()}} for i in range(length)
        ]
        write_text_atomic(run_dir / "curves.csv", _csv_text(curve_rows))
    from cnnlab.figures import have_matplotlib, pyplot, save_png

    if have_matplotlib():
        figures = plot(pyplot())
        for name, fig in (figures if isinstance(figures, dict) else {"plot.png": figures}).items():
            save_png(fig, run_dir / name, dpi=110)


def smooth(values: list[float], window: int) -> np.ndarray:
    """Moving average over `window` steps (the first steps average what there is), for noisy loss curves."""
    v = np.asarray(values, dtype=np.float64)
    cumulative = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, len(v) + 1)
    start = np.maximum(idx - window, 0)
    return (cumulative[idx] - cumulative[start]) / (idx - start)


def batches(rng: np.random.Generator, n: int, batch_size: int, steps: int):
    """`steps` random mini-batch index arrays (sampling with a fresh permutation per pass)."""
    order = np.empty(0, dtype=np.int64)
    for _ in range(steps):
        if len(order) < batch_size:
            order = np.concatenate([order, rng.permutation(n)])
        yield order[:batch_size]
        order = order[batch_size:]
