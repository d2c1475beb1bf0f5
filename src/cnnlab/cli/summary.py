"""`cnnlab summary MODEL --input CxHxW`: per-layer shapes, parameters and multiply-adds."""

from __future__ import annotations

import math

from cnnlab.cli.common import add_command, parse_shape, print_json
from cnnlab.cli.options import parse_options
from cnnlab.errors import CnnlabError
from cnnlab.inspect import summary
from cnnlab.models import create_model
from cnnlab.picture_files import MAX_PIXELS

EXAMPLES = """\
  cnnlab summary keras-cnn --input 1x28x28
      conv2d (Conv2dReLU)          32x26x26          320    194,688
      max_pooling2d (MaxPool2d)    32x13x13            0          0
      ...
      dense_1 (Linear)             10                650        640
      Total params: 93,322
  cnnlab summary resnet20 --input 3x32x32 --json
"""


def register(subparsers) -> None:
    p = add_command(
        subparsers, "summary", "Per-layer table of a model: output shape, parameters, multiply-adds.", EXAMPLES, run
    )
    p.add_argument("model", metavar="MODEL", help="a model name from `cnnlab models`")
    p.add_argument("--input", default="1x28x28", help="input shape CxHxW (default 1x28x28)")
    p.add_argument("--classes", type=int, default=10, help="number of outputs (default 10)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE", help="model option (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    if args.classes < 1:
        raise CnnlabError(f"--classes {args.classes}: a model needs at least 1 output class")
    shape = parse_shape(args.input)
    pixels = math.prod(shape[1:])
    if pixels > MAX_PIXELS:  # the summary runs a forward pass: activations are many times the input
        raise CnnlabError(
            f"--input {args.input}: {pixels:,} pixels, more than the {MAX_PIXELS:,} cnnlab "
            "runs a model on; give an image size"
        )
    model = create_model(args.model, shape, args.classes, **parse_options(args.option))
    result = summary(model, shape, args.model)
    if args.json:
        d = result.to_dict()
        print_json(
            {
                "model": args.model,
                "input_shape": d["input_shape"],
                "layers": d["layers"],
                "total_params": d["total_params"],
                "trainable_params": d["trainable_params"],
                "total_macs": d["total_macs"],
                "memory_mb": {
                    "input": d["input_bytes"] / 2**20,
                    "activations": d["activations_bytes"] / 2**20,
                    "params": d["params_bytes"] / 2**20,
                },
            }
        )
    else:
        print(f"{args.model}")
        print(result.table())
    return 0
