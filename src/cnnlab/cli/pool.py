"""`cnnlab pool`: max or average pooling of a 1-D or 2-D array, as a pooling layer does it."""

from __future__ import annotations

import numpy as np

from cnnlab.cli._arrays import ARRAY_HELP, add_json_option, array_json, check_finite, format_array, parse_array
from cnnlab.cli.common import add_command, print_json
from cnnlab.conv import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d

EXAMPLES = """\
  $ cnnlab pool '1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4' --size 2
  6 8
  3 4
  $ cnnlab pool '1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4' --size 2 --kind avg
  3.25 5.25
     2    2
  $ cnnlab pool 1,5,2,8,3 --size 2 --ceil-mode
  5 8 3
"""

POOLS = {("max", 1): max_pool1d, ("max", 2): max_pool2d, ("avg", 1): avg_pool1d, ("avg", 2): avg_pool2d}


def run(args) -> int:
    x = parse_array(args.input, "input")
    options = {"padding": args.padding, "ceil_mode": args.ceil_mode}
    if args.kind == "avg":
        options["count_include_pad"] = not args.exclude_pad
    with np.errstate(all="ignore"):  # an overflow is reported by check_finite, in one line
        result = check_finite(POOLS[args.kind, x.ndim](x, args.size, args.stride, **options), "average")
    if args.json:
        print_json(array_json(result))
    else:
        print("\n".join(format_array(result)))
    return 0


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "pool", "max or average pooling of a 1-D or 2-D array (no learnable weights)", EXAMPLES, run
    )
    parser.add_argument("input", help=ARRAY_HELP)
    parser.add_argument("--size", type=int, required=True, help="window size K (K x K in 2-D)")
    parser.add_argument("--stride", type=int, default=None, help="step between windows (default: the size)")
    parser.add_argument("--padding", type=int, default=0, help="padding on every side, at most size/2 (default 0)")
    parser.add_argument("--kind", choices=["max", "avg"], default="max", help="max (default) or avg")
    parser.add_argument("--ceil-mode", action="store_true", help="round the output size up (a last partial window)")
    parser.add_argument(
        "--exclude-pad", action="store_true", help="avg: divide by the real values only, not the padding"
    )
    add_json_option(parser)
