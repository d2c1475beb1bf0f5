"""`cnnlab report RUN_DIR`: write the run's report.html (pictures of what the network learnt)."""

from __future__ import annotations

from cnnlab.cli.common import add_command, print_json

EXAMPLES = """\
  cnnlab report runs/demo
      runs/demo/report.html  (5.1 s)
  cnnlab report runs/demo --out /tmp/demo.html --samples 1000   # a denser t-SNE map, slower
  cnnlab report runs/forecast                                    # gridded runs: maps, RMSE by lead, filters
  cnnlab report runs/demo --json
"""


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "report",
        "Write a run's report.html: one self-contained page of curves, filters, feature maps, t-SNE, "
        "saliency and mistakes.",
        EXAMPLES,
        run,
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by `cnnlab train`")
    p.add_argument("--out", metavar="FILE", help="where to write the page (default RUN_DIR/report.html)")
    p.add_argument(
        "--samples",
        type=int,
        metavar="N",
        help="test images in the t-SNE maps (default 250; the time grows faster than N)",
    )
    p.add_argument("--data-dir", help="data root (default: the run's, else $CNNLAB_DATA, else ~/.cache/cnnlab)")
    p.add_argument("--json", action="store_true", help="print the path and the seconds each part took as JSON")


def run(args) -> int:
    from cnnlab.report import write_report

    timings: dict = {}
    chosen = {} if args.samples is None else {"samples": args.samples}
    path = write_report(args.run_dir, args.out, data_dir=args.data_dir, timings=timings, **chosen)
    if args.json:
        print_json({"report": str(path), "seconds": {k: round(v, 3) for k, v in timings.items()}})
    else:
        print(f"{path}  ({timings['total']:.1f} s)")
    return 0
