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

__all__ = ["train_classify_grid", "labels_for", "check_class_labels", "class_test_results", "write_confusion_csv", "plot_composites", "CONFUSION_FILE_NAME",
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


def train_classify_grid(config, overwrite: bool = False, log: Callable[[str], None] = print, progress: bool | None = None):
    """`cnnlab train --task classify` on gridded data: labels, samples, a classifier from the model registry, the
    gridded training loop with cross-entropy, then test scores against the baselines and the run folder's files."""
    import time

    import torch

    from cnnlab.errors import CnnlabError
    from cnnlab.geo.field_classes import build_field_class_data
    from cnnlab.geo.fit import fit, predict_in_batches, run_facts
    from cnnlab.geo.forecast import periods_from, selection_from
    from cnnlab.geo.forecast_data import default_periods
    from cnnlab.geo.gridded import open_gridded, select
    from cnnlab.geo.padding import resolve_padding
    from cnnlab.models import create_model, model_info
    from cnnlab.train.checkpoint import load_weights
    from cnnlab.train.device import resolve_device
    from cnnlab.train.runs import default_run_dir, prepare_run_dir, write_json
    from cnnlab.train.trainer import RunResult

    started = time.perf_counter()
    geo = config.geo
    spec = geo.get("labels")
    if not spec:
        raise CnnlabError(f"--task classify on gridded data ({config.data}) needs labels: --labels FILE.csv (columns time,label) "
                          f"or --labels regimes:K")
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    ds = open_gridded(config.data, config.data_dir)
    where = ds.attrs.get("cnnlab_source", config.data)
    da = select(ds, selection_from(geo))
    da.attrs["cnnlab_source"] = where
    times = da["time"].values.astype("datetime64[ns]")
    periods = periods_from(geo) or default_periods(config.data, times)
    fields = np.asarray(da.values, np.float32)
    labels, names, regimes = labels_for(spec, fields, times, da["lat"].values, periods["train"], where, None, config.seed)
    check_class_labels(labels, names, times, periods, spec)
    cd = build_field_class_data(da, config.data, labels, names, config.lead, config.history, periods, bool(geo.get("coords", False)))
    options = dict(config.model_options)
    if "padding_mode" in model_info(config.model).options:
        options.setdefault("padding_mode", resolve_padding(geo.get("padding", "auto"), cd.lon))
    height, width = fields.shape[-2:]
    model = create_model(config.model, (cd.in_channels, height, width), cd.num_classes, **options).to(device)
    run_dir = Path(config.out) if config.out else default_run_dir(config.data.replace(":", "-").replace("/", "_"), config.model)
    prepare_run_dir(run_dir, overwrite)
    config.out = str(run_dir)
    config.save(run_dir / "config.json")
    if regimes is not None:
        regimes.save(Path(run_dir) / "regimes.npz")
    counts = {k: int(len(v)) for k, v in cd.splits.items()}
    params = sum(p.numel() for p in model.parameters())
    log(f"classify {config.data} {'+'.join(cd.channels)} {height}x{width} into {cd.num_classes} classes ({', '.join(names)}) "
        f"{cd.lead_name} ahead with {config.model} ({params:,} params): {counts.get('train', 0):,} train, "
        f"{counts.get('val', 0):,} val, {counts['test']:,} test samples; run folder {run_dir}")

    def batch(index):
        x, y = cd.sample(index)
        return x, y, torch.ones(len(index))

    def loss_fn(output, target, _mask):
        return torch.nn.functional.cross_entropy(output, target)

    metadata = {"model": config.model, "data": config.data, "task": "classify-grid", "statistics": cd.statistics(),
                "padding_mode": options.get("padding_mode"), "grid": [int(height), int(width)], "config": config.to_dict()}
    history, best_epoch = fit(model, batch, cd.splits["train"], cd.splits.get("val", np.array([], int)), loss_fn, config, device,
                              run_dir, metadata, log, progress)
    train_time = time.perf_counter() - started
    load_weights(model, run_dir / "best.safetensors", config.model)
    test_index = cd.splits["test"]
    predicted = predict_in_batches(model, cd.inputs, test_index, device).argmax(1)
    test, matrix = class_test_results(predicted, cd)
    results = {"test": test, "task": "classify", "classes": names, "lead": cd.lead_name, "labels": spec,
               "metrics": {"accuracy": "fraction of test times whose class is predicted",
                           "macro_f1": "mean over classes of F1 = 2TP / (2TP + FP + FN)",
                           "majority": "the most frequent class of the training samples, always",
                           "persistence": "the class at the initial time (with --lead)"},
               "samples": counts, "periods": {k: list(v) for k, v in periods.items()}, "channels": cd.channels,
               **run_facts(history, best_epoch, train_time, started, config.model, config.data, params, options.get("padding_mode"), device)}
    write_json(run_dir / "results.json", results)
    write_confusion_csv(run_dir / CONFUSION_FILE_NAME, matrix, names)
    plot_composites(run_dir, cd, regimes, f"{spec} on {config.data}", log)
    line = f"test accuracy {test['accuracy']:.4f}, macro-F1 {test['macro_f1']:.4f}; majority {test['majority']['accuracy']:.4f}"
    if "persistence" in test:
        line += f", persistence {test['persistence']['accuracy']:.4f} (macro-F1 {test['persistence']['macro_f1']:.4f})"
    log(line)
    log(f"-> {run_dir} ({results['wall_time_s']:.1f} s)")
    return RunResult(run_dir, results, history)
