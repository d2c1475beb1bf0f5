"""The gridded classification task (`--task classify --labels ...` on gridded data, registered as classify-grid):
the labels (`--labels FILE.csv` or `--labels regimes:K`), the samples (cnnlab.geo.field_classes), training in
the one loop of cnnlab.train, test scores against the baselines, and the run folder's files (regimes.npz,
confusion.csv, regime_composites.png, curves.png).

results.json["test"] = {"accuracy": a, "macro_f1": f, "majority": {"accuracy": .., "macro_f1": ..},
                        "persistence": {"accuracy": .., "macro_f1": ..}}   (persistence with --lead only)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from cnnlab.errors import CnnlabError
from cnnlab.files import write_text_atomic
from cnnlab.geo.field_classes import FieldClassData, baseline_predictions, class_scores, confusion_matrix
from cnnlab.geo.field_task import FieldTask, predict_in_batches
from cnnlab.geo.regimes import REGIMES_FILE_NAME, Regimes, check_labels, fit_regimes, parse_regimes_spec, read_label_csv
from cnnlab.train.tasks import register_task

__all__ = [
    "ClassifyGridTask",
    "labels_for",
    "check_class_labels",
    "class_test_results",
    "write_confusion_csv",
    "plot_composites",
    "CONFUSION_FILE_NAME",
    "COMPOSITES_FILE_NAME",
]

CONFUSION_FILE_NAME = "confusion.csv"
COMPOSITES_FILE_NAME = "regime_composites.png"


def labels_for(
    spec: str,
    fields: np.ndarray,
    times: np.ndarray,
    lat: np.ndarray,
    train_period: tuple[str, str],
    where: str,
    run_dir: Path | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, list[str], Regimes | None]:
    """Class index per time (-1: unlabelled), class names and, for regimes:K, the regimes (saved in run_dir).
    Regimes are fitted on the times of the training period only."""
    k = parse_regimes_spec(spec)
    if k is None:
        labels, names = read_label_csv(spec, times, where)
        return labels, names, None
    first, last = train_period
    train = (times >= np.datetime64(first)) & (times <= np.datetime64(last))
    regimes = fit_regimes(fields, times, lat, train, k, seed=seed)
    if run_dir is not None:
        regimes.save(Path(run_dir) / REGIMES_FILE_NAME)
    return regimes.assign(fields, times), regimes.names, regimes


def check_class_labels(
    labels: np.ndarray, names: list[str], times: np.ndarray, periods: dict[str, tuple[str, str]], source: str
) -> None:
    """The labels' one-line errors (none in the training period, a class with one sample), before samples are cut."""
    splits = {
        name: np.flatnonzero((times >= np.datetime64(a)) & (times <= np.datetime64(b)))
        for name, (a, b) in periods.items()
    }
    check_labels(labels, names, splits, periods, source)


def class_test_results(predicted: np.ndarray, cd: FieldClassData) -> tuple[dict, np.ndarray]:
    """results.json's "test" entry for the model's predictions on cd.splits["test"], and the confusion matrix."""
    index = cd.splits["test"]
    truth = cd.target(index)
    test = class_scores(predicted, truth, cd.num_classes)
    for name, guess in baseline_predictions(cd, index).items():
        test[name] = class_scores(guess, truth, cd.num_classes)
    test = {
        k: ({m: round(v, 4) for m, v in s.items()} if isinstance(s, dict) else round(s, 4)) for k, s in test.items()
    }
    test["samples"] = int(len(index))
    return test, confusion_matrix(predicted, truth, cd.num_classes)


def write_confusion_csv(path: Path, matrix: np.ndarray, names: list[str]) -> None:
    """Rows: true class; columns: predicted class."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["true \\ predicted", *names])
    for name, row in zip(names, matrix):
        writer.writerow([name, *map(int, row)])
    write_text_atomic(path, out.getvalue())


def plot_composites(
    run_dir: Path, cd: FieldClassData, regimes: Regimes | None, title: str, log: Callable[[str], None]
) -> None:
    """Each class's mean anomaly over all its labelled times (from the regimes' climatology, or the training
    mean for CSV labels) as maps."""
    from cnnlab.figures import have_matplotlib

    if not have_matplotlib():
        log("plots skipped: matplotlib is not installed (pip install 'cnnlab[plot]')")
        return
    from cnnlab.geo import plots

    known = cd.labels >= 0
    if regimes is not None:
        composites = regimes.composites(cd.fields[known], cd.times[known], cd.labels[known])
    else:
        anomalies = cd.fields[known] - cd.mean[:, None, None]
        composites = np.stack([anomalies[cd.labels[known] == k].mean(0) for k in range(cd.num_classes)])
    counts = np.bincount(cd.labels[known], minlength=cd.num_classes).tolist()
    plots.plot_regime_composites(
        Path(run_dir) / COMPOSITES_FILE_NAME, cd.lat, cd.lon, composites, cd.names, counts, title
    )


def _load(config, run_dir: Path | None = None):
    """The selection, its labels (regimes fitted on the training period) and the samples of a classify-grid config."""
    from cnnlab.geo.field_classes import build_field_class_data
    from cnnlab.geo.forecast import periods_from, selection_from
    from cnnlab.geo.forecast_data import default_periods
    from cnnlab.geo.gridded import open_gridded, select
    from cnnlab.geo.options import options_for

    options = options_for("classify-grid", config.geo)
    ds = open_gridded(config.data, config.data_dir)
    where = ds.attrs.get("cnnlab_source", config.data)
    da = select(ds, selection_from(options))
    da.attrs["cnnlab_source"] = where
    times = da["time"].values.astype("datetime64[ns]")
    periods = periods_from(options) or default_periods(config.data, times)
    fields = np.asarray(da.values, np.float32)
    labels, names, regimes = labels_for(
        options.labels, fields, times, da["lat"].values, periods["train"], where, run_dir, config.seed
    )
    check_class_labels(labels, names, times, periods, options.labels)
    cd = build_field_class_data(da, config.data, labels, names, config.lead, config.history, periods, options.coords)
    return options, cd, regimes


@register_task("classify-grid")
class ClassifyGridTask(FieldTask):
    """A class per time of gridded fields (`--task classify --labels ...` on gridded data): cross-entropy in the one
    loop, the lowest validation loss picks best.safetensors, test scores against the majority and persistence."""

    model_output = "classes"

    def prepare(self, config, device) -> None:
        from cnnlab.geo.gridded import is_gridded_source
        from cnnlab.geo.padding import grid_padding_mode
        from cnnlab.models import model_info

        if not is_gridded_source(config.data):
            raise CnnlabError(
                f"--labels classifies times of gridded data (air_temperature, netcdf:PATH, ...), not {config.data!r}"
            )
        self.geo, self.cd, self.regimes = _load(config)
        cd = self.cd
        self.options = dict(config.model_options)
        if "padding_mode" in model_info(config.model).options:
            self.options.setdefault("padding_mode", grid_padding_mode(self.geo.padding, cd.lon))
        self.splits = cd.splits

        def sample(index: np.ndarray):
            x, y = cd.sample(index)
            return x, y, torch.ones(len(index))

        self.sample = sample
        self.loss_fn = lambda output, target, _mask: torch.nn.functional.cross_entropy(output, target)

    def model_shape(self, config):
        height, width = self.cd.fields.shape[-2:]
        return (self.cd.in_channels, height, width), self.cd.num_classes, self.options

    def default_run_dir(self, config) -> Path:
        from cnnlab.train.runs import default_run_dir

        return default_run_dir(config.data.replace(":", "-").replace("/", "_") + "-classes", config.model)

    def checkpoint_metadata(self, config) -> dict:
        height, width = self.cd.fields.shape[-2:]
        return {
            "model": config.model,
            "data": config.data,
            "task": "classify-grid",
            "statistics": self.cd.statistics(),
            "padding_mode": self.options.get("padding_mode"),
            "grid": [int(height), int(width)],
        }

    def describe(self, config, params, run_dir, where) -> str:
        cd = self.cd
        counts = {k: int(len(v)) for k, v in cd.splits.items()}
        height, width = cd.fields.shape[-2:]
        return (
            f"classify {config.data} {'+'.join(cd.channels)} {height}x{width} into {cd.num_classes} classes "
            f"({', '.join(cd.names)}) {cd.lead_name} ahead with {config.model} ({params:,} params): "
            f"{counts.get('train', 0):,} train, {counts.get('val', 0):,} val, {counts['test']:,} test samples"
        )

    @staticmethod
    def _predict(model, cd: FieldClassData, device) -> np.ndarray:
        return predict_in_batches(model, cd.inputs, cd.splits["test"], device).argmax(1)

    def test(self, run):
        cd = self.cd
        test, matrix = class_test_results(self._predict(run.engine.model, cd, run.device), cd)
        results = {
            "test": test,
            "task": "classify-grid",
            "classes": cd.names,
            "lead": cd.lead_name,
            "labels": self.geo.labels,
            "metrics": {
                "accuracy": "fraction of test times whose class is predicted",
                "macro_f1": "mean over classes of F1 = 2TP / (2TP + FP + FN)",
                "majority": "the most frequent class of the training samples, for every time",
                "persistence": "the class at the initial time (with --lead)",
            },
            "samples": {k: int(len(v)) for k, v in cd.splits.items()},
            "periods": {k: list(v) for k, v in cd.periods.items()},
            "channels": cd.channels,
            **self.run_facts(run, self.options.get("padding_mode")),
        }
        return results, {"confusion": matrix}

    def write(self, run, results, artifacts, log) -> None:
        from cnnlab.train.runs import write_json

        write_json(run.run_dir / "results.json", results)
        write_confusion_csv(run.run_dir / CONFUSION_FILE_NAME, artifacts["confusion"], self.cd.names)
        if self.regimes is not None:
            self.regimes.save(run.run_dir / REGIMES_FILE_NAME)
        plot_composites(run.run_dir, self.cd, self.regimes, f"{self.geo.labels} on {run.config.data}", log)
        from cnnlab.figures import have_matplotlib

        if have_matplotlib():
            from cnnlab.geo import plots

            plots.plot_loss_curves(
                run.run_dir / "curves.png", run.history, f"{run.config.model} classes of {run.config.data}"
            )
        log(_score_line(results["test"]) + f"  -> {run.run_dir}")

    def evaluate_run(self, run_dir, config, which, device, data_dir):
        from cnnlab.models import create_model
        from cnnlab.train.checkpoint import load_weights, read_safetensors
        from cnnlab.train.runs import open_run

        _, weights = open_run(run_dir, which)
        _, metadata = read_safetensors(weights)
        if metadata.get("task") != "classify-grid":
            raise CnnlabError(f"{weights} was not written by a gridded classification run")
        if data_dir:
            config.data_dir = data_dir
        regimes_file = Path(run_dir) / REGIMES_FILE_NAME
        geo, cd, _ = _load(config)
        if regimes_file.is_file():  # the saved regimes, not a new fit, label the times
            from cnnlab.geo.regimes import load_regimes

            cd.labels = load_regimes(regimes_file).assign(cd.fields, cd.times)
        options = dict(config.model_options)
        if metadata.get("padding_mode"):
            options["padding_mode"] = metadata["padding_mode"]
        stats = metadata["statistics"]
        cd.mean, cd.std = np.asarray(stats["mean"], np.float32), np.asarray(stats["std"], np.float32)
        model = create_model(config.model, (cd.in_channels, *cd.fields.shape[-2:]), cd.num_classes, **options)
        load_weights(model, weights, config.model)
        test, _ = class_test_results(self._predict(model.to(device).eval(), cd, device), cd)
        return {
            "model": config.model,
            "data": config.data,
            "checkpoint": which,
            "samples": int(len(cd.splits["test"])),
            "test": test,
        }

    def evaluation_text(self, evaluation) -> str:
        return (
            f"{evaluation['model']} on {evaluation['data']} ({evaluation['checkpoint']}.safetensors), "
            f"{evaluation['samples']:,} test samples\n" + _score_line(evaluation["test"])
        )


def _score_line(test: dict) -> str:
    line = (
        f"test accuracy {test['accuracy']:.4f}, macro-F1 {test['macro_f1']:.4f}; "
        f"majority class {test['majority']['accuracy']:.4f} "
        f"(macro-F1 {test['majority']['macro_f1']:.4f})"
    )
    if "persistence" in test:
        line += f", persistence {test['persistence']['accuracy']:.4f} (macro-F1 {test['persistence']['macro_f1']:.4f})"
    return line
