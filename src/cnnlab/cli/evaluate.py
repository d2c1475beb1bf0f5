"""`cnnlab eval RUN_DIR`: re-evaluate a run's checkpoint on the test split (any task; per-class scores for images)."""

from __future__ import annotations

from cnnlab.cli.common import add_command, print_json

EXAMPLES = """\
  cnnlab eval runs/demo
      lenet5 on mnist (best.safetensors): test accuracy 99.06%  loss 0.0281  (10,000 images)
      class         precision  recall      f1  support
      0                0.9909  0.9959  0.9934      980
      ...
      macro avg        0.9905  0.9904  0.9904    10000
      weighted avg     0.9906  0.9906  0.9906    10000
  cnnlab eval runs/demo --checkpoint last --json
  cnnlab eval runs/forecast          # a forecast run: rmse per lead, as in its results.json
      unet on air_temperature (best.safetensors), 1,454 test samples
      lead 6h: rmse 1.2732 (persistence 2.3301, climatology 3.626)
  cnnlab eval runs/storms            # a detect/segment run: presence F1, IoU, centre error
"""


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "eval",
        "Evaluate a run's checkpoint on the test split (per-class precision/recall/F1).",
        EXAMPLES,
        run,
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by `cnnlab train`")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best", help="which weights (default best)")
    p.add_argument("--data-dir", help="data root (default: the run's, else $CNNLAB_DATA, else ~/.cache/cnnlab)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps (default auto)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    from cnnlab.train.evaluation import evaluate_run, evaluation_text

    evaluation = evaluate_run(args.run_dir, args.checkpoint, args.device, args.data_dir)
    if args.json:
        print_json(evaluation)
    else:
        print(evaluation_text(evaluation))
    return 0
