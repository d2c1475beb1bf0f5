"""`cnnlab experiment NAME`: the lectures' comparisons and claims (optimisers, init, regularisation, activations,
mlp-vs-cnn, features, depth, kernels, invariance)."""

from __future__ import annotations

import argparse

from cnnlab.cli.common import add_command, print_json
from cnnlab.experiments import DEFAULT_DATA, ENGINES, EXPERIMENTS, ExperimentSettings, run_experiment
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
  cnnlab experiment activations --quick --json      # also epochs to 10% training error, ReLU vs sigmoid CNN
  cnnlab experiment mlp-vs-cnn --quick               # MLPs vs CNNs, and the pixel-permutation test
  cnnlab experiment features --run runs/mnist-lenet5-20261125-130000   # pixels / HoG / that CNN's features
  cnnlab experiment depth --quick                    # plain20/56 vs resnet20/56, Fashion-MNIST by default
  cnnlab experiment kernels --quick                  # one 7x7 vs three 3x3 convolutions
  cnnlab experiment invariance --quick               # accuracy vs shift; equivariance, circular vs zero padding
Each writes table.md, table.csv, curves.csv and plot.png into its run folder and prints the table; the
experiments that test a lecture's claim also write results.json {"claim", "reproduced", "rows", ...}, print
the claim with "reproduced" or "not reproduced", and keep each trained model's run folder under models/.
"""


def register(subparsers) -> None:
    p = add_command(
        subparsers, "experiment", "Reproduce a lecture experiment; writes a table and a plot.", EXAMPLES, run
    )
    p.add_argument("name", choices=list(EXPERIMENTS), help="which experiment")
    p.add_argument("--data", help="dataset (default mnist, fashion-mnist for depth; synthetic-mnist needs no files)")
    p.add_argument("--engine", choices=ENGINES, default="numpy", help="numpy (cnnlab.scratch) or torch (default numpy)")
    p.add_argument("--quick", action="store_true", help="a smaller setting (minutes at most on a 2-core CPU)")
    p.add_argument("--seed", type=int, default=0, help="weights and batch order (default 0)")
    p.add_argument("--out", default="", help="run folder (default runs/experiment-NAME-<time>)")
    p.add_argument("--data-dir", help="data root (default $CNNLAB_DATA, else ~/.cache/cnnlab)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    p.add_argument("--json", action="store_true", help="print the table as JSON (results.json where there is a claim)")
    p.add_argument(
        "--run",
        dest="source_run",
        metavar="RUN_DIR",
        help="features: take the CNN from this trained run folder instead of training one",
    )
    p.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)  # tests: a fraction of every budget


def run(args) -> int:
    data = args.data or DEFAULT_DATA.get(args.name, "mnist")
    settings = ExperimentSettings(
        args.name,
        data,
        args.engine,
        args.quick,
        args.seed,
        args.out,
        args.data_dir,
        scale=args.scale,
        run=args.source_run or "",
    )
    result = run_experiment(settings, overwrite=args.overwrite)
    if args.json:
        extra = result.results() if result.claim else {"rows": result.rows, "seconds": round(result.seconds, 1)}
        print_json({"experiment": args.name, "title": result.title, **extra, "run_dir": str(result.run_dir)})
    else:
        print(f"{result.title}\n\n{markdown_table(result.rows)}")
        for note in result.notes:
            print(note)
        if result.claim:
            print(f"\nclaim: {result.claim}\nmeasured: {result.measured}\n-> {result.verdict()}")
        print(f"\n({result.seconds:.1f} s) -> {result.run_dir}")
    return 0
