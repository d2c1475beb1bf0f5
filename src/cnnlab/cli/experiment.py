"""`cnnlab experiment NAME`: the lectures' comparisons (optimisers, init, regularisation, activations)."""

from __future__ import annotations

from cnnlab.cli.common import add_command, print_json
from cnnlab.experiments import ENGINES, EXPERIMENTS, ExperimentSettings, run_experiment
from cnnlab.experiments.common import markdown_table

EXAMPLES = """\
  cnnlab experiment optimizers --quick
      | optimizer | lr | steps | first_loss | final_loss | test_accuracy |
      | sgd | 0.01 | 300 | 3.084 | 0.3643 | 0.8505 |
      | momentum | 0.01 | 300 | 3.084 | 0.1298 | 0.921 |
      | adagrad | 0.01 | 300 | 3.084 | 0.1229 | 0.9175 |
      | adam | 0.001 | 300 | 3.084 | 0.1129 | 0.925 |
      (9.6 s) -> runs/experiment-optimizers-20261125-125300
  cnnlab experiment init --data mnist --engine numpy --out runs/init
  cnnlab experiment regularization --engine torch --quick
  cnnlab experiment activations --quick --json
Each writes table.md, table.csv, curves.csv and plot.png into its run folder and prints the table.
"""


def register(subparsers) -> None:
    p = add_command(subparsers, "experiment", "Reproduce a lecture experiment; writes a table and a plot.", EXAMPLES, run)
    p.add_argument("name", choices=list(EXPERIMENTS), help="which experiment")
    p.add_argument("--data", default="mnist", help="dataset (default mnist; synthetic-mnist needs no files)")
    p.add_argument("--engine", choices=ENGINES, default="numpy", help="numpy (cnnlab.scratch) or torch (default numpy)")
    p.add_argument("--quick", action="store_true", help="a smaller setting that finishes in under a minute")
    p.add_argument("--seed", type=int, default=0, help="weights and batch order (default 0)")
    p.add_argument("--out", default="", help="run folder (default runs/experiment-NAME-<time>)")
    p.add_argument("--data-dir", help="data root (default $CNNLAB_DATA, else ~/.cache/cnnlab)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    p.add_argument("--json", action="store_true", help="print the table as JSON")


def run(args) -> int:
    settings = ExperimentSettings(args.name, args.data, args.engine, args.quick, args.seed, args.out, args.data_dir)
    result = run_experiment(settings, overwrite=args.overwrite)
    if args.json:
        print_json({"experiment": args.name, "title": result.title, "rows": result.rows, "run_dir": str(result.run_dir),
                    "seconds": round(result.seconds, 1)})
    else:
        print(f"{result.title}\n\n{markdown_table(result.rows)}")
        for note in result.notes:
            print(note)
        print(f"\n({result.seconds:.1f} s) -> {result.run_dir}")
    return 0
