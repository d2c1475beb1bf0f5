"""Tasks: what a kind of run supplies to the one training loop, and their registry.

A task knows its data and batches, its loss, its meter (the running sums behind its metrics), what its
checkpoints carry, its results.json and plots, and how to re-evaluate a finished run. The loop
(cnnlab.train.loop) knows none of that: it runs epochs of engine steps over the task's batches.

    @register_task("classify")
    class ClassifyTask(Task): ...

`classify` lives in cnnlab.train; the gridded tasks (forecast, detect, segment) live in cnnlab.geo,
which imports cnnlab.train and registers them when it is imported. `get_task` imports the modules named
in `cnnlab.TASK_MODULES` on a miss, so a library user need not import them by hand, while
`import cnnlab.train` alone loads none of them.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from cnnlab.errors import CnnlabError
from cnnlab.train.runs import METRIC_COLUMNS

__all__ = ["Task", "Meter", "register_task", "get_task", "list_tasks"]

_REGISTRY: dict[str, type] = {}


def register_task(*names: str):
    """Class decorator: make the task available as `--task NAME` for each of `names`."""

    def add(cls):
        for name in names:
            if name in _REGISTRY and _REGISTRY[name] is not cls:
                raise ValueError(f"task {name!r} is registered twice")
            _REGISTRY[name] = cls
        return cls

    return add


def _import_task_modules() -> None:
    import cnnlab

    for module in cnnlab.TASK_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:  # an extra that is not installed: its tasks stay unknown
            pass


def list_tasks() -> list[str]:
    _import_task_modules()
    return sorted(_REGISTRY)


def get_task(name: str) -> "Task":
    """A fresh task object for `--task name` (one per run: it holds the run's data)."""
    if name not in _REGISTRY:
        _import_task_modules()
    if name not in _REGISTRY:
        raise CnnlabError(f"unknown task {name!r}; choose one of: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](name)


class Meter:
    """Running sums of one pass (an epoch of training, or an evaluation); `result()` turns them into metrics."""

    count: int = 0  # examples seen

    def update(self, output, batch, loss) -> None:
        raise NotImplementedError

    def result(self) -> dict[str, float]:
        raise NotImplementedError

    def all_reduce(self, dist, device) -> None:
        """Sum the running sums over the processes of a distributed run."""
        raise NotImplementedError


class Task:
    """The base of every task; the attributes below are the defaults of an image classifier."""

    unit = "images"  # what one training example is called in rows and logs ("images_per_s")
    columns = METRIC_COLUMNS  # the columns of metrics.csv
    best_key = "val_accuracy"  # the validation metric that decides best.safetensors
    higher_is_better = True
    best_label = "validation accuracy"
    engines = ("torch",)  # the engines that can run the task
    model_output = "classes"  # what the model must give: "classes" (one score per class) or "field" (a map)

    def __init__(self, name: str):
        self.name = name

    # -- before the run folder is touched: everything that can fail on bad input
    def prepare(self, config, device) -> None:
        """Load and check the data (raise CnnlabError on bad input; write nothing)."""
        raise NotImplementedError

    def model_shape(self, config) -> tuple[tuple[int, ...], int, dict]:
        """(input shape, number of outputs, model options) of the model `config.model` for this data."""
        raise NotImplementedError

    def default_run_dir(self, config) -> Path:
        raise NotImplementedError

    def init_model(self, model, device) -> None:
        """Set what a model fits from the data before training (a whitening layer); nothing by default."""

    # -- batches, loss and metrics
    def train_batches(self, config, device, generator, shard: tuple[int, int]):
        """Batches of one epoch per iteration (tuples whose first item is the model input); has len() and
        an `epoch` counter that the loop sets on resume."""
        raise NotImplementedError

    def eval_batches(self, split: str, config, device, shard: tuple[int, int]):
        """Batches of the "val" or "test" split, or None when the split is empty."""
        raise NotImplementedError

    def loss(self, output, batch):
        """The training loss of a batch (a torch scalar)."""
        raise NotImplementedError

    def eval_loss(self, output, batch):
        return self.loss(output, batch)

    def meter(self, confusion: bool = False) -> Meter:
        raise NotImplementedError

    def evaluate(self, engine, batches, tta: int = 0, confusion: bool = False) -> Meter:
        """The meter over all batches, with the engine's evaluation forward (sums of this process only)."""
        meter = self.meter(confusion)
        with engine.evaluation():
            for batch in batches:
                output, loss = engine.evaluate_batch(batch, tta)
                meter.update(output, batch, loss)
        return meter

    # -- what the run folder holds
    def describe(self, config, params: int, run_dir: Path, where: str) -> str:
        """The line that opens a run's log."""
        raise NotImplementedError

    def epoch_line(self, epoch: int, epochs: int, row: dict) -> str:
        raise NotImplementedError

    def progress_text(self, metrics: dict, per_s: float) -> str:
        return f"loss {metrics['loss']:.4f} {per_s:,.0f} {self.unit}/s"

    def checkpoint_metadata(self, config) -> dict:
        """What best/last.safetensors carry besides the epoch (the loop adds it)."""
        return {"model": config.model, "data": config.data}

    def test(self, run) -> tuple[dict, dict]:
        """Score the best weights on the test split: (results.json, what `write` needs for its files). Runs
        on every process of a distributed run."""
        raise NotImplementedError

    def write(self, run, results: dict, artifacts: dict, log) -> None:
        """Write results.json, plots and any other files of the finished run (on the main process only)."""
        raise NotImplementedError

    # -- after the run
    def evaluate_run(self, run_dir: Path, config, which: str, device, data_dir: str | None) -> dict:
        """Score a finished run's checkpoint on the test split again; the same keys as results.json["test"]."""
        raise NotImplementedError

    def evaluation_text(self, evaluation: dict) -> str:
        raise NotImplementedError
