"""`cnnlab export RUN_DIR --format onnx|torchscript`: the trained model as a file, checked against torch."""

from __future__ import annotations

from cnnlab.cli.common import add_command, print_json

EXAMPLES = """\
  cnnlab export runs/demo                      # runs/demo/model.onnx, checked with onnxruntime
      wrote runs/demo/model.onnx (onnx, opset 17): raw pixels 0..255 in, logits out, batch size free
      onnxruntime vs torch on 100 test images: max |logit difference| 2.9e-06, same top-1 on 100/100
  cnnlab export runs/demo --format torchscript --out lenet5.pt
  cnnlab export runs/demo --json
"""


def register(subparsers) -> None:
    p = add_command(
        subparsers, "export", "Export a run's model to ONNX or TorchScript (normalisation included).", EXAMPLES, run
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by `cnnlab train`")
    p.add_argument("--format", choices=("onnx", "torchscript"), default="onnx", help="file format (default onnx)")
    p.add_argument("--out", metavar="FILE", help="where to write (default RUN_DIR/model.onnx or RUN_DIR/model.pt)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best", help="which weights (default best)")
    p.add_argument(
        "--no-check", dest="check", action="store_false", help="skip running the file against torch on 100 test images"
    )
    p.add_argument("--data-dir", help="data root for the check images (default: the run's, else $CNNLAB_DATA)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    from cnnlab.export import OPSET, export_run

    result = export_run(args.run_dir, args.format, args.out, args.checkpoint, args.check, args.data_dir)
    runtime = "onnxruntime" if result.format == "onnx" else "torch.jit.load"
    if args.json:
        print_json(
            {
                "path": str(result.path),
                "format": result.format,
                "metadata": result.metadata,
                "images_checked": result.images_checked,
                "checked_on": result.checked_on,
                "max_abs_difference": result.max_abs_difference,
                "top1_agreement": result.top1_agreement,
                "seconds": result.seconds,
            }
        )
        return 0
    opset = f", opset {OPSET}" if result.format == "onnx" else ""
    print(f"wrote {result.path} ({result.format}{opset}): raw pixels 0..255 in, logits out, batch size free")
    if result.images_checked:
        agree = round(result.top1_agreement * result.images_checked)
        print(
            f"{runtime} vs torch on {result.images_checked} {result.checked_on}: max |logit difference| "
            f"{result.max_abs_difference:.1e}, same top-1 on {agree}/{result.images_checked}"
        )
    return 0
