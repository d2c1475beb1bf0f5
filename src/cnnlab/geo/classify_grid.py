"""The parts of the gridded classification task (`--task classify` on gridded data) that know no training loop:
the labels (`--labels FILE.csv` or `--labels regimes:K`), the test scores against the baselines, and the
run folder's files (regimes.npz, confusion.csv, regime_composites.png).

results.json["test"] = {"accuracy": a, "macro_f1": f, "majority": {"accuracy": .., "macro_f1": ..},
                        "persistence": {"accuracy": .., "macro_f1": ..}}   (persistence with --lead only)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable

import numpy as np

from cnnlab.files import write_text_atomic
from cnnlab.geo.field_classes import FieldClassData, baseline_predictions, class_scores, confusion_matrix
from cnnlab.geo.regimes import REGIMES_FILE_NAME, Regimes, check_labels, fit_regimes, parse_regimes_spec, read_label_csv

__all__ = ["labels_for", "check_class_labels", "class_test_results", "write_confusion_csv", "plot_composites", "CONFUSION_FILE_NAME",
           "COMPOSITES_FILE_NAME"]

CONFUSION_FILE_NAME = "confusion.csv"
COMPOSITES_FILE_NAME = "regime_composites.png"


def labels_for(spec: str, fields: np.ndarray, times: np.ndarray, lat: np.ndarray, train_period: tuple[str, str], where: str,
               run_dir: Path | None = None, seed: int = 0) -> tuple[np.ndarray, list[str], Regimes | None]:
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


def check_class_labels(labels: np.ndarray, names: list[str], times: np.ndarray, periods: dict[str, tuple[str, str]], source: str) -> None:
    """The labels' one-line errors (none in the training period, a class with one sample), before samples are cut."""
    splits = {name: np.flatnonzero((times >= np.datetime64(a)) & (times <= np.datetime64(b))) for name, (a, b) in periods.items()}
    check_labels(labels, names, splits, periods, source)


def class_test_results(predicted: np.ndarray, cd: FieldClassData) -> tuple[dict, np.ndarray]:
    """results.json's "test" entry for the model's predictions on cd.splits["test"], and the confusion matrix."""
    index = cd.splits["test"]
    truth = cd.target(index)
    test = class_scores(predicted, truth, cd.num_classes)
    for name, guess in baseline_predictions(cd, index).items():
        test[name] = class_scores(guess, truth, cd.num_classes)
    test = {k: ({m: round(v, 4) for m, v in s.items()} if isinstance(s, dict) else round(s, 4)) for k, s in test.items()}
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


def plot_composites(run_dir: Path, cd: FieldClassData, regimes: Regimes | None, title: str, log: Callable[[str], None]) -> None:
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
    plots.plot_regime_composites(Path(run_dir) / COMPOSITES_FILE_NAME, cd.lat, cd.lon, composites, cd.names, counts, title)
