"""`write_report(run_dir)`: a run folder -> report.html, one self-contained page of pictures of the run."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

from cnnlab.errors import CnnlabError, CnnlabWarning
from cnnlab.files import write_text_atomic
from cnnlab.report.comparison import comparison_section
from cnnlab.report.extras import require
from cnnlab.report.html_page import put_section, render_page
from cnnlab.report.image_report import DEFAULT_SAMPLES, image_sections
from cnnlab.train.runs import open_run, trained_data

__all__ = ["write_report", "add_comparison_to_report", "REPORT_NAME"]

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
        from cnnlab.train.classify import load_run_model

        with trained_data(run_dir):  # own data: the classes and statistics the model was trained with
            model, _ = load_run_model(run_dir, "best")
            sections = image_sections(run_dir, model, config, results, samples, data_dir, timings)
        subtitle = f"{config.model} on {config.data}, {config.engine} engine"
    else:
        from cnnlab.report.gridded_report import gridded_sections

        sections = gridded_sections(run_dir, config, results, timings)
        subtitle = f"{config.model}, --task {config.task} on {config.data}"
    compared = comparison_section(run_dir)  # the runs `cnnlab compare` last put beside this one
    if compared is not None:
        sections.append(compared)
    out = Path(out) if out else run_dir / REPORT_NAME
    seconds = time.perf_counter() - started
    footer = (
        f"Written by cnnlab report from {run_dir} at {time.strftime('%Y-%m-%d %H:%M:%S')} in {seconds:.1f} s. "
        "This file holds all its images and styles: it makes no network request."
    )
    write_text_atomic(out, render_page(f"cnnlab report: {run_dir.name}", subtitle, sections, footer))
    timings["total"] = time.perf_counter() - started
    return out


def add_comparison_to_report(run_dir) -> Path | None:
    """Put the run's latest comparison (`cnnlab compare`) into its existing report.html, replacing an older one,
    atomically; the rest of the page stays as it is, so neither the model nor the data is needed. Returns the
    page, or None when there is no report or no comparison; a page of another layout is left alone (warning)."""
    page_path = Path(run_dir) / REPORT_NAME
    section = comparison_section(run_dir) if page_path.is_file() else None
    if section is None:
        return None
    updated = put_section(page_path.read_text(encoding="utf-8"), section)
    if updated is None:
        warnings.warn(
            f"{page_path} is not laid out as cnnlab report writes it; `cnnlab report {run_dir}` writes it "
            f"again with the comparison",
            CnnlabWarning,
            stacklevel=2,
        )
        return None
    write_text_atomic(page_path, updated)
    return page_path


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
