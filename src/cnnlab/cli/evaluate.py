"""`cnnlab eval RUN_DIR`: re-evaluate a run's checkpoint on the test split."""

from __future__ import annotations

from cnnlab.cli.common import add_command, print_json
from cnnlab.data import Batches, Normalise, dataset_spec, load_dataset
from cnnlab.train.device import resolve_device
from cnnlab.train.trainer import EVAL_BATCH, evaluate, load_run_model

EXAMPLES = """\
  cnnlab eval runs/demo
      lenet5 on mnist (best.safetensors): test accuracy 99.06%  loss 0.0281  (10,000 images)
  cnnlab eval runs/demo --checkpoint last --json
"""


def register(subparsers) -> None:
    p = add_command(subparsers, "eval", "Evaluate a run's checkpoint on the test split.", EXAMPLES, run)
    p.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by `cnnlab train`")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best", help="which weights (default best)")
    p.add_argument("--data-dir", help="data root (default: the run's, else $CNNLAB_DATA, else ~/.cache/cnnlab)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps (default auto)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    device = resolve_device(args.device)
    model, config = load_run_model(args.run_dir, args.checkpoint, device)
    spec = dataset_spec(config.data)
    test = load_dataset(config.data, "test", args.data_dir or config.data_dir)
    batches = Batches(test, EVAL_BATCH, Normalise(spec.mean, spec.std), device)
    metrics, _ = evaluate(model, batches, config.precision, device, len(spec.classes))
    if args.json:
        print_json({"model": config.model, "data": config.data, "checkpoint": args.checkpoint, "images": len(test), "test": metrics})
    else:
        print(f"{config.model} on {config.data} ({args.checkpoint}.safetensors): test accuracy {100 * metrics['accuracy']:.2f}%  "
              f"loss {metrics['loss']:.4f}  ({len(test):,} images)")
    return 0
