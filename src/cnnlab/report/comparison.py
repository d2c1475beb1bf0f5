"""The report's "Compared with" section: the runs `cnnlab compare` last put beside this one, their settings
that differ, their results and their learning curves overlaid, drawn from the runs' files when the page is
written (by `cnnlab report`, or by `cnnlab compare` into a report that exists already)."""

from __future__ import annotations

import json
from pathlib import Path

from cnnlab.report.html_page import Section, escape, img, note, table
from cnnlab.report.images import figure_png
from cnnlab.report.plots import curve_overlay_figure
from cnnlab.runs.compare import compare_runs, read_comparison

__all__ = ["comparison_section", "SECTION_ID"]

SECTION_ID = "compared"


def _value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _test(row: dict) -> str:
    if row["value"] is None:
        return "-"
    return f"{100 * row['value']:.2f}%" if row["metric"] == "accuracy" else f"{row['value']:.4g}"


def comparison_section(run_dir: str | Path) -> Section | None:
    """The section for `run_dir`'s latest recorded comparison; None when it has none."""
    run_dir = Path(run_dir)
    record = read_comparison(run_dir)
    if record is None:
        return None
    gone = f" No longer there: {', '.join(str(p) for p in record['missing'])}." if record["missing"] else ""
    if len(record["runs"]) < 2:
        return Section(
            SECTION_ID, "Compared with", note(f"Compared on {record['compared_at']}; the other runs are gone.{gone}")
        )
    comparison = compare_runs(record["runs"])
    names = comparison["runs"]
    this = next((i for i, p in enumerate(record["runs"]) if p.resolve() == run_dir.resolve()), None)
    others = ", ".join(n for i, n in enumerate(names) if i != this)
    who = f"{names[this]} beside {others}" if this is not None else others  # a record copied from another run
    parts = [
        f"<p>{escape(who)}, as <code>cnnlab compare</code> put them on {escape(record['compared_at'])}; "
        f"the numbers and curves are read from the runs now.{escape(gone)}</p>"
    ]
    if comparison["differences"]:
        parts.append("<h3>Settings that differ</h3>")
        parts.append(table([(k, *map(_value, v)) for k, v in comparison["differences"].items()], ("setting", *names)))
    else:
        parts.append("<p>The runs have the same settings.</p>")
    rows = comparison["metrics"]
    parts.append("<h3>Results</h3>")
    parts.append(
        table(
            [
                ("test", *map(_test, rows)),
                ("epochs", *(str(r["epochs"]) for r in rows)),
                ("wall time (s)", *(_value(r["wall_time_s"]) for r in rows)),
                ("images/s", *(_value(r["images_per_s"]) for r in rows)),
                ("status", *(r["status"] for r in rows)),
            ],
            ("", *names),
        )
    )
    if any(comparison["histories"]):
        figure = curve_overlay_figure(names, comparison["histories"])
        parts.append(img(figure_png(figure), "learning curves of the compared runs overlaid", plot=True))
    else:
        parts.append(note("No learning curves: none of the runs has a metrics.csv."))
    return Section(SECTION_ID, "Compared with", "\n".join(parts))
