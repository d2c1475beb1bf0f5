"""`cnnlab runs [DIR]` lists run folders; `cnnlab compare RUN RUN ...` puts runs side by side."""

from __future__ import annotations

from pathlib import Path

from cnnlab.cli.common import add_command, print_json
from cnnlab.errors import CnnlabError

RUNS_EXAMPLES = """\
  cnnlab runs
      name                          data   model   epochs  test             wall    img/s  date              status
      mnist-lenet5-20261202-101500  mnist  lenet5       6  accuracy 99.32%  14.0 s  26,802  2026-12-02 10:15  finished
  cnnlab runs runs/sweep --sort accuracy
  cnnlab runs --json
"""

COMPARE_EXAMPLES = """\
  cnnlab compare runs/adam runs/sgd
      settings that differ:
        optimizer  adam     sgd
        lr         0.002    0.05
      ...
      learning curves overlaid: runs/compare.png
      "Compared with" section added to: runs/adam/report.html, runs/sgd/report.html
  cnnlab compare runs/a runs/b runs/c --out curves.png --json
"""


def register(subparsers) -> None:
    from cnnlab.runs.table import SORT_KEYS

    p = add_command(
        subparsers, "runs", "List the run folders under runs/ (or DIR) with their results.", RUNS_EXAMPLES, run_runs
    )
    p.add_argument("dir", nargs="?", default="runs", metavar="DIR", help="folder holding run folders (default runs)")
    p.add_argument(
        "--sort", choices=sorted(SORT_KEYS), default="date", help="order of the rows (default date, newest first)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = add_command(
        subparsers,
        "compare",
        "Compare runs: settings that differ, metrics side by side, curves overlaid (also in each run's report.html).",
        COMPARE_EXAMPLES,
        run_compare,
    )
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="two or more folders written by `cnnlab train`")
    p.add_argument(
        "--out", metavar="PNG", help="the overlaid learning curves (default compare.png beside the first run)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _test_cell(row: dict) -> str:
    if row["value"] is None:
        return "-"
    if row["metric"] == "accuracy":
        return f"accuracy {100 * row['value']:.2f}%"
    return f"{row['metric']} {row['value']:.4g}"


def _cells(row: dict) -> list[str]:
    wall = f"{row['wall_time_s']:.1f} s" if isinstance(row["wall_time_s"], (int, float)) else "-"
    speed = f"{row['images_per_s']:,.0f}" if isinstance(row["images_per_s"], (int, float)) else "-"
    return [
        row["name"],
        row["data"],
        row["model"],
        str(row["epochs"]),
        _test_cell(row),
        wall,
        speed,
        row["date"],
        row["status"],
    ]


def _print_table(header: list[str], lines: list[list[str]], right: set[int]) -> None:
    widths = [max(len(x) for x in column) for column in zip(header, *lines)]
    for line in [header, *lines]:
        print(
            "  ".join(
                cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths))
            ).rstrip()
        )


def run_runs(args) -> int:
    from cnnlab.runs.table import find_runs, read_run_row, sort_rows

    root = Path(args.dir)
    if not root.is_dir():
        raise CnnlabError(f"{root} is not a folder; give the folder that holds your run folders (default runs)")
    rows = sort_rows([read_run_row(run_dir) for run_dir in find_runs(root)], args.sort)
    if args.json:
        print_json({"dir": str(root), "runs": rows})
        return 0
    if not rows:
        print(f"no run folders in {root} (a run folder holds config.json; `cnnlab train` writes them)")
        return 0
    header = ["name", "data", "model", "epochs", "test", "wall", "img/s", "date", "status"]
    _print_table(header, [_cells(r) for r in rows], right={3, 5, 6})
    return 0


def _show(value) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)


def _add_to_reports(run_dirs: list[Path]) -> list[str]:
    """Draw the recorded comparison into the runs' existing report.html pages; the pages changed."""
    with_report = [run for run in run_dirs if (run / "report.html").is_file()]
    if not with_report:
        return []
    from cnnlab.report.run_report import add_comparison_to_report  # imports torch: only when there is a page

    return [str(page) for page in map(add_comparison_to_report, with_report) if page is not None]


def run_compare(args) -> int:
    from cnnlab.runs.compare import compare_runs, record_comparison

    comparison = compare_runs(args.run_dirs)
    out = Path(args.out) if args.out else Path(args.run_dirs[0]).parent / "compare.png"
    plotted, reports = None, []
    from cnnlab.report.plots import have_matplotlib, plot_curve_overlay

    if have_matplotlib() and any(comparison["histories"]):
        plot_curve_overlay(comparison["runs"], comparison["histories"], out)
        plotted = str(out)
    recorded = record_comparison(args.run_dirs)  # `cnnlab report` of each run shows the comparison from now on
    if have_matplotlib():  # the report's section is drawn with it too
        reports = _add_to_reports(recorded)
    if args.json:
        print_json({k: v for k, v in comparison.items() if k != "histories"} | {"plot": plotted, "reports": reports})
        return 0
    names = comparison["runs"]
    if comparison["differences"]:
        print("settings that differ:")
        _print_table(
            ["  setting", *names], [[f"  {k}", *map(_show, v)] for k, v in comparison["differences"].items()], set()
        )
    else:
        print("the runs have the same settings")
    print("\nresults:")
    rows = [read_row for read_row in comparison["metrics"]]
    fields = [
        ("data", "data"),
        ("model", "model"),
        ("epochs", "epochs"),
        ("test", None),
        ("wall time (s)", "wall_time_s"),
        ("images/s", "images_per_s"),
        ("status", "status"),
    ]
    lines = [[f"  {label}", *[_test_cell(r) if key is None else _show(r[key]) for r in rows]] for label, key in fields]
    _print_table(["", *names], lines, set())
    print(
        f"\nlearning curves overlaid: {plotted}"
        if plotted
        else "\nno curves plotted (no metrics.csv, or matplotlib missing)"
    )
    if reports:
        print(f'"Compared with" section added to: {", ".join(reports)}')
    return 0
