"""`cnnlab predict RUN_DIR FILE...`: classify image files with a trained run."""

from __future__ import annotations

import torch

from cnnlab.cli.common import add_command, print_json
from cnnlab.data import Normalise, dataset_spec
from cnnlab.data.images import load_image
from cnnlab.errors import CnnlabError
from cnnlab.train.device import resolve_device
from cnnlab.train.classify import load_run_model

EXAMPLES = """\
  cnnlab predict runs/demo digit.png
      digit.png: 7 (99.8%), 2 (0.1%), 3 (0.0%)
  cnnlab predict runs/demo a.png b.jpg c.npy --top 1 --json
"""


def register(subparsers) -> None:
    p = add_command(subparsers, "predict", "Classify PNG/JPEG/NPY images with a trained run.", EXAMPLES, run)
    p.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by `cnnlab train`")
    p.add_argument("files", nargs="+", metavar="FILE", help="images: PNG, JPEG or .npy (converted to the model's channels and size)")
    p.add_argument("--top", type=int, default=3, help="how many classes to show (default 3)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best")
    p.add_argument("--device", default="auto")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    if args.top < 1:
        raise CnnlabError(f"--top {args.top}: give how many classes to show, at least 1")
    device = resolve_device(args.device)
    model, config = load_run_model(args.run_dir, args.checkpoint, device)
    spec = dataset_spec(config.data)
    images = torch.stack([load_image(f, spec.in_shape) for f in args.files]).to(device)
    with torch.no_grad():
        probs = torch.softmax(model(Normalise(spec.mean, spec.std)(images)).float(), dim=1).cpu()
    top = max(1, min(args.top, len(spec.classes)))
    results = []
    for path, p in zip(args.files, probs):
        values, indices = p.topk(top)
        results.append({"file": path, "top": [{"class": spec.classes[i], "probability": round(float(v), 6)} for v, i in zip(values, indices)]})
    if args.json:
        print_json({"model": config.model, "data": config.data, "predictions": results})
    else:
        for r in results:
            print(f"{r['file']}: " + ", ".join(f"{t['class']} ({100 * t['probability']:.1f}%)" for t in r["top"]))
    return 0
