"""`cnnlab convolve` and `cnnlab correlate`: the 1-D / 2-D operation of a slide, with its exact numbers."""

from __future__ import annotations

import numpy as np

from cnnlab.cli._arrays import (
    ARRAY_HELP,
    add_array_options,
    add_json_option,
    array_json,
    check_finite,
    format_array,
    parse_array,
)
from cnnlab.cli.common import add_command, print_json
from cnnlab.conv import convolve, correlate

CONVOLVE_EXAMPLES = """\
  $ cnnlab convolve 1,2,3,4 5,6,7,8
  5 16 34 60 61 52 32
  $ cnnlab convolve 1,2,3,4 5,6,7,8 --mode same
  16 34 60 61
  $ cnnlab convolve 1,1,1,1,1,1 1,1,1,1,1,1        # two dice: counts of each sum 2..12
  1 2 3 4 5 6 5 4 3 2 1
  $ cnnlab convolve '1,2;3,4' '0,1;1,0'
  0 1 2
  1 5 4
  3 4 0
--json prints {"shape": [...], "result": [...]} (nested lists for 2-D).
Start an array with a minus after `--`: cnnlab convolve -- -1,2 3,4
"""

CORRELATE_EXAMPLES = """\
  $ cnnlab correlate '0,1,2;3,4,5;6,7,8' '0,1;2,3'          # what a conv layer computes
  19 25
  37 43
  $ cnnlab correlate 1,2,3,4,5,6,7 1,0,-1 --stride 2
  -2 -2 -2
  $ cnnlab correlate '1,2;3,4' '1,1;1,1' --mode full
   1  3  2
   4 10  6
   3  7  4
"""


def _run(operation):
    def run(args) -> int:
        a, b = parse_array(args.input, "input"), parse_array(args.kernel, "kernel")
        with np.errstate(all="ignore"):  # an overflow is reported by check_finite, in one line
            result = operation(a, b, args.mode, stride=args.stride, padding=args.padding, dilation=args.dilation)
        check_finite(result, "result")
        if args.json:
            print_json(array_json(result))
        else:
            print("\n".join(format_array(result)))
        return 0

    return run


def register(subparsers) -> None:
    for name, operation, default, help_text, examples in (
        (
            "convolve",
            convolve,
            "full",
            "true convolution (a*b)_n = sum_{i+j=n} a_i b_j (the kernel is flipped)",
            CONVOLVE_EXAMPLES,
        ),
        (
            "correlate",
            correlate,
            "valid",
            "cross-correlation y_n = sum_m x_{n*S+m*D} k_m, what a CNN layer computes",
            CORRELATE_EXAMPLES,
        ),
    ):
        parser = add_command(subparsers, name, help_text, examples, _run(operation))
        parser.add_argument("input", help=f"the signal or image; {ARRAY_HELP}")
        parser.add_argument("kernel", help="the kernel, written the same way")
        add_array_options(parser, default)
        add_json_option(parser)
