"""`write_report(run_dir)`: a run folder -> report.html, one self-contained page of pictures of the run."""

from __future__ import annotations

import json
import time
from pathlib import Path

from cnnlab.errors import CnnlabError
from cnnlab.files import write_text_atomic
from cnnlab.report.extras import require
from cnnlab.report.html_page import render_page
from cnnlab.report.image_report import DEFAULT_SAMPLES, image_sections
from cnnlab.train.runs import open_run, trained_data

__all__ = ["write_report", "REPORT_NAME"]

REPORT_NAME = "report.html"


def write_report(run_dir, out=None, samples: int = DEFAULT_SAMPLES, data_dir=None, timings: dict | None = None) -> Path:
    """Write the report of the run in `run_dir` to `out` (default run_dir/report.html), atomically; returns its path.

    samples: test images in the t-SNE maps. data_dir: where the test split is (default: the run's, else
    $CNNLAB_DATA). timings, when given, receives the seconds each part took."""
    started = time.perf_counter()
    run_dir = Path(run_dir)
    config, _ = open_run(run_dir, "best")
    if samples < 0:
        raise CnnlabError(f"--samples must be >= 0, got {samples}")
    require("matplotlib", "plot")  # both checked before any work, so a missing one costs nothing
    require("sklearn")
    results = _read_results(run_dir)
    timings = {} if timings is None else timings
    if config.task == "classify" and not _gridded(config):
        from cnnlab.train.trainer import load_run_model

        with trained_data(run_dir):  # own data: the classes and statistics the model was trained with
            model, _ = load_run_model(run_dir, "best")
            sections = image_sections(run_dir, model, config, results, samples, data_dir, timings)
        subtitle = f"{config.model} on {config.data}, {config.engine} engine"
    else:
        from cnnlab.report.gridded_report import gridded_sections

        sections = gridded_sections(run_dir, config, results, timings)
        subtitle = f"{config.model}, --task {config.task} on {config.data}"
    out = Path(out) if out else run_dir / REPORT_NAME
    seconds = time.perf_counter() - started
    footer = (f"Written by cnnlab report from {run_dir} at {time.strftime('%Y-%m-%d %H:%M:%S')} in {seconds:.1f} s. "
              "This file holds all its images and styles: it makes no network request.")
    write_text_atomic(out, render_page(f"cnnlab report: {run_dir.name}", subtitle, sections, footer))
    timings["total"] = time.perf_counter() - started
    return out


def _gridded(config) -> bool:
    from cnnlab.geo.tasks import is_geo_run

    return is_geo_run(config)


def _read_results(run_dir: Path) -> dict:
    path = run_dir / "results.json"
    if not path.is_file():
        return {}  # a run stopped before its test evaluation: the report shows what there is
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CnnlabError(f"cannot read {path}: {error}") from None
