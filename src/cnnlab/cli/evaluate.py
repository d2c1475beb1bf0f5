"""`cnnlab eval RUN_DIR`: re-evaluate a run's checkpoint on the test split, with per-class scores."""

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


def format_per_class(report: dict) -> list[str]:
    """The per-class table of `per_class_report` as text lines."""
    width = max([len("weighted avg")] + [len(r["class"]) for r in report["per_class"]])
    lines = [f"{'class':<{width}}  {'precision':>9}  {'recall':>7}  {'f1':>7}  {'support':>7}"]
    for r in report["per_class"]:
        lines.append(
            f"{r['class']:<{width}}  {r['precision']:>9.4f}  {r['recall']:>7.4f}  {r['f1']:>7.4f}  {r['support']:>7}"
        )
    for name in ("macro", "weighted"):
        a = report["average"][name]
        lines.append(
            f"{name + ' avg':<{width}}  {a['precision']:>9.4f}  {a['recall']:>7.4f}  {a['f1']:>7.4f}  "
            f"{report['support']:>7}"
        )
    return lines


def run(args) -> int:
    from cnnlab.data import Batches, Normalise, dataset_spec, load_dataset
    from cnnlab.train.device import resolve_device
    from cnnlab.train.metrics import per_class_report
    from cnnlab.train.runs import trained_data
    from cnnlab.train.trainer import EVAL_BATCH, evaluate, load_run_model

    device = resolve_device(args.device)
    with trained_data(args.run_dir):  # own data: normalised with the statistics the model was trained with
        model, config = load_run_model(args.run_dir, args.checkpoint, device)
        spec = dataset_spec(config.data)
        test = load_dataset(config.data, "test", args.data_dir or config.data_dir)
    batches = Batches(test, EVAL_BATCH, Normalise(spec.mean, spec.std), device)
    metrics, confusion = evaluate(model, batches, config.precision, device, len(spec.classes))
    report = per_class_report(confusion, list(spec.classes))
    if args.json:
        print_json(
            {
                "model": config.model,
                "data": config.data,
                "checkpoint": args.checkpoint,
                "images": len(test),
                "test": metrics,
                "per_class": report["per_class"],
                "average": report["average"],
            }
        )
    else:
        print(
            f"{config.model} on {config.data} ({args.checkpoint}.safetensors): "
            f"test accuracy {100 * metrics['accuracy']:.2f}%  loss {metrics['loss']:.4f}  ({len(test):,} images)"
        )
        print("\n".join(format_per_class(report)))
    return 0
