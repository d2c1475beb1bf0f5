"""`cnnlab explain conv|pool|linear|transposed|stack`: a layer's output shape, parameters and
multiply-adds, each with its formula and the numbers put in; `cnnlab explain dice|moving-average`:
lecture A's convolutions outside images."""

from __future__ import annotations

import argparse

from cnnlab.cli._arrays import ARRAY_HELP, add_json_option, parse_array
from cnnlab.cli.common import EXAMPLES as EXAMPLES_HEADER
from cnnlab.cli.common import add_command, parse_shape, print_json
from cnnlab.conv import (
    dice_sum,
    explain_conv,
    explain_linear,
    explain_pool,
    explain_stack,
    explain_transposed,
    moving_average,
)
from cnnlab.errors import CnnlabError

EXAMPLES = """\
  $ cnnlab explain linear --in 784 --out 10 --no-bias
  linear: input 784 -> output 10
    parameters           7,840   params = in x out = 784 x 10
    multiply-adds        7,840   MACs = in x out = 784 x 10
layers: conv, pool, linear, transposed, stack; convolutions outside images: dice, moving-average.
See `cnnlab explain LAYER --help` for each. --json for programs.
"""

CONV_EXAMPLES = """\
  $ cnnlab explain conv --input 3x32x32 --filters 10 --kernel 5 --padding 2
  conv2d: input 3x32x32 -> output 10x32x32
    height                  32   O = floor((I - K + 2P)/S) + 1 = floor((32 - 5 + 2*2)/1) + 1
    width                   32   O = floor((I - K + 2P)/S) + 1 = floor((32 - 5 + 2*2)/1) + 1
    parameters             760   params = O x (C x KH x KW + 1) = 10 x (3 x 5 x 5 + 1)
    multiply-adds      768,000   MACs = O x OH x OW x (C x KH x KW) = 10 x 32 x 32 x (3 x 5 x 5)
  $ cnnlab explain conv --input 32x28x28 --filters 64 --kernel 3 --groups 32 --no-bias
  conv2d: input 32x28x28 -> output 64x26x26
    height                  26   O = floor((I - K + 2P)/S) + 1 = floor((28 - 3 + 2*0)/1) + 1
    width                   26   O = floor((I - K + 2P)/S) + 1 = floor((28 - 3 + 2*0)/1) + 1
    parameters             576   params = O x (C/G x KH x KW) = 64 x (32/32 x 3 x 3)
    multiply-adds      389,376   MACs = O x OH x OW x (C/G x KH x KW) = 64 x 26 x 26 x (32/32 x 3 x 3)
--json gives {"output_shape": [10, 32, 32], "params": 760, "macs": 768000, "formulas": {...}, ...}.
"""

POOL_EXAMPLES = """\
  $ cnnlab explain pool --input 64x224x224 --kernel 2
  pool2d: input 64x224x224 -> output 64x112x112
    height                 112   O = floor((I - K + 2P)/S) + 1 = floor((224 - 2 + 2*0)/2) + 1
    width                  112   O = floor((I - K + 2P)/S) + 1 = floor((224 - 2 + 2*0)/2) + 1
    parameters               0   pooling has no learnable weights
"""

LINEAR_EXAMPLES = """\
  $ cnnlab explain linear --in 3072 --out 128
  linear: input 3072 -> output 128
    parameters         393,344   params = in x out + out = 3072 x 128 + 128
    multiply-adds      393,216   MACs = in x out = 3072 x 128
"""

STACK_EXAMPLES = """\
  $ cnnlab explain stack --kernel 3 --layers 3 --channels 64
  stack of 3 conv 3x3: input 64 -> output 64
    receptive field          7   R = 1 + sum_l D_l(K_l - 1) prod_{i<l} S_i = 1 + 1*(3-1)*1 + 1*(3-1)*1 + 1*(3-1)*1
    stack params       110,592   params = L x O x (C x KH x KW) = 3 x 64 x (64 x 3 x 3)
    single params      200,704   params = O x (C x KH x KW) = 64 x (64 x 7 x 7)
    note: 3 stacked 3x3 layers see 7x7 with 110,592 weights; one 7x7 layer needs 200,704
"""

TRANSPOSED_EXAMPLES = """\
  $ cnnlab explain transposed --input 16x8x8 --filters 8 --kernel 4 --stride 2 --padding 1
  conv_transpose2d: input 16x8x8 -> output 8x16x16
    height                  16   O = (I - 1)S - 2P + D(K-1) + OP + 1 = (8 - 1)*2 - 2*1 + 1*(4-1) + 0 + 1
    width                   16   O = (I - 1)S - 2P + D(K-1) + OP + 1 = (8 - 1)*2 - 2*1 + 1*(4-1) + 0 + 1
    parameters           2,056   params = C_in x (C_out x KH x KW) + C_out = 16 x (8 x 4 x 4) + 8
    multiply-adds      131,072   MACs = C_in x IH x IW x (C_out x KH x KW) = 16 x 8 x 8 x (8 x 4 x 4)
    note: kernel 2N, stride N, padding N/2 with N = 2: upsamples 2 times
"""


DICE_EXAMPLES = """\
  $ cnnlab explain dice
  sum of 2 dice with 6 sides = the convolution of their distributions (36 outcomes)
    P(S = n) = sum_{i+j=n} P(X = i) P(Y = j): [1/6]*6 convolved with [1/6]*6
    sum  2   1/36  0.0278  #
    sum  3   2/36  0.0556  ##
    sum  4   3/36  0.0833  ###
    sum  5   4/36  0.1111  ####
    sum  6   5/36  0.1389  #####
    sum  7   6/36  0.1667  ######
    sum  8   5/36  0.1389  #####
    sum  9   4/36  0.1111  ####
    sum 10   3/36  0.0833  ###
    sum 11   2/36  0.0556  ##
    sum 12   1/36  0.0278  #
--json (e.g. --dice 3 --json) gives {"dice": 3, "sides": 6, "outcomes": 216, "sums": [3, ..., 18],
"counts": [1, 3, 6, ...], "probabilities": [...]}.
"""

MOVING_AVERAGE_EXAMPLES = """\
  $ cnnlab explain moving-average --values 1,2,3,4,5,6 --window 3
  moving average of 6 values, window 3 = convolution with [1/3, 1/3, 1/3] (valid mode) -> 4 values
    y_n = (x_n + ... + x_{n+2}) / 3
    [2, 3, 4, 5]
"""


def _fraction(count: int, total: int) -> str:
    return f"{count}/{total}"


def run_dice(args) -> int:
    result = dice_sum(args.dice, args.sides)
    if args.json:
        print_json(result.to_dict())
        return 0
    print(
        f"sum of {result.dice} dice with {result.sides} sides = the convolution of their distributions "
        f"({result.outcomes:,} outcomes)"
    )
    face = f"[1/{result.sides}]*{result.sides}"
    print(f"  P(S = n) = sum_{{i+j=n}} P(X = i) P(Y = j): {' convolved with '.join([face] * result.dice)}")
    width, top = len(str(result.sums[-1])), max(result.counts)
    for total, count, p in zip(result.sums, result.counts, result.probabilities):
        bar = "#" * max(1, round(40 * count / top)) if result.dice > 2 or result.sides > 40 else "#" * count
        fraction = _fraction(count, result.outcomes)
        print(f"  sum {total:>{width}}  {fraction:>{2 * len(str(result.outcomes)) + 1}}  {p:.4f}  {bar}")
    return 0


def run_moving_average(args) -> int:
    values = parse_array(args.values, "--values")
    if values.ndim != 1:
        raise CnnlabError("--values takes a 1-D sequence like 1,2,3,4 (no ';')")
    averaged = moving_average(values, args.window)
    kernel = [1.0 / args.window] * args.window
    if args.json:
        print_json(
            {
                "values": values.tolist(),
                "window": args.window,
                "kernel": kernel,
                "mode": "valid",
                "moving_average": averaged.tolist(),
                "formula": f"y_n = (x_n + ... + x_(n+{args.window - 1})) / {args.window}: x convolved with [1/w]*w",
            }
        )
        return 0
    print(
        f"moving average of {values.size} values, window {args.window} = convolution with "
        f"[{', '.join([f'1/{args.window}'] * args.window)}] (valid mode) -> {averaged.size} values"
    )
    print(f"  y_n = (x_n + ... + x_{{n+{args.window - 1}}}) / {args.window}")
    print("  [" + ", ".join(f"{v:.6g}" for v in averaged) + "]")
    return 0


def sizes(text: str) -> tuple[int, ...] | int:
    """`2` -> 2, `3x5` -> (3, 5) (one per spatial axis); 0 allowed (padding)."""
    try:
        values = tuple(int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or NxM") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return values[0] if len(values) == 1 else values


def _show(explanation, as_json: bool) -> int:
    if as_json:
        print_json(explanation.to_dict())
    else:
        print("\n".join(explanation.lines()))
    return 0


def run_conv(args) -> int:
    return _show(
        explain_conv(
            parse_shape(args.input),
            args.filters,
            args.kernel,
            args.stride,
            args.padding,
            args.dilation,
            args.groups,
            not args.no_bias,
            strict=args.strict,
        ),
        args.json,
    )


def run_pool(args) -> int:
    return _show(
        explain_pool(parse_shape(args.input), args.kernel, args.stride, args.padding, args.dilation, args.ceil_mode),
        args.json,
    )


def run_linear(args) -> int:
    return _show(explain_linear(args.in_features, args.out_features, not args.no_bias), args.json)


def run_stack(args) -> int:
    return _show(explain_stack(args.kernel, args.layers, args.channels), args.json)


def run_transposed(args) -> int:
    return _show(
        explain_transposed(
            parse_shape(args.input),
            args.filters,
            args.kernel,
            args.stride,
            args.padding,
            args.output_padding,
            args.dilation,
            args.groups,
            not args.no_bias,
        ),
        args.json,
    )


def run_missing(args) -> int:
    raise CnnlabError(
        "say what to explain: conv, pool, linear, transposed, stack, dice or moving-average (see cnnlab explain --help)"
    )


def _sub(layers, name: str, help_text: str, examples: str, run) -> argparse.ArgumentParser:
    parser = layers.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=EXAMPLES_HEADER + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    add_json_option(parser)
    return parser


def _window_options(parser, what: str) -> None:
    parser.add_argument("--input", required=True, help="input shape CxHxW (or CxL, CxDxHxW), e.g. 3x32x32")
    parser.add_argument("--kernel", type=sizes, required=True, help=f"{what} size K, or KHxKW")
    parser.add_argument("--padding", type=sizes, default=0, help="zero padding per side (default 0)")
    parser.add_argument("--dilation", type=sizes, default=1, help="spacing between kernel taps (default 1)")


def register(subparsers) -> None:
    parser = add_command(
        subparsers,
        "explain",
        "output shape, parameters and multiply-adds of a layer, with formulas",
        EXAMPLES,
        run_missing,
    )
    layers = parser.add_subparsers(dest="layer", metavar="LAYER")

    conv = _sub(layers, "conv", "a convolution layer", CONV_EXAMPLES, run_conv)
    _window_options(conv, "kernel")
    conv.add_argument("--filters", type=int, required=True, help="number of filters = output channels")
    conv.add_argument("--stride", type=sizes, default=1, help="step between outputs (default 1)")
    conv.add_argument("--groups", type=int, default=1, help="channel groups (default 1; = C is depthwise)")
    conv.add_argument("--no-bias", action="store_true", help="the layer has no bias")
    conv.add_argument("--strict", action="store_true", help="fail unless (I - K + 2P)/S is an integer")

    pool = _sub(layers, "pool", "a max or average pooling layer", POOL_EXAMPLES, run_pool)
    _window_options(pool, "window")
    pool.add_argument("--stride", type=sizes, default=None, help="step between windows (default: the kernel)")
    pool.add_argument("--ceil-mode", action="store_true", help="round the output size up")

    linear = _sub(layers, "linear", "a fully connected layer", LINEAR_EXAMPLES, run_linear)
    linear.add_argument("--in", dest="in_features", type=int, required=True, help="input features")
    linear.add_argument("--out", dest="out_features", type=int, required=True, help="output features")
    linear.add_argument("--no-bias", action="store_true", help="the layer has no bias")

    stack = _sub(
        layers, "stack", "L stacked KxK convs vs one kernel with the same receptive field", STACK_EXAMPLES, run_stack
    )
    stack.add_argument("--kernel", type=int, required=True, help="kernel size K of every layer")
    stack.add_argument("--layers", type=int, required=True, help="number of stacked layers L")
    stack.add_argument("--channels", type=int, default=1, help="channels C in and out of every layer (default 1)")

    transposed = _sub(
        layers, "transposed", "a transposed convolution (upsampling) layer", TRANSPOSED_EXAMPLES, run_transposed
    )
    _window_options(transposed, "kernel")
    transposed.add_argument("--filters", type=int, required=True, help="output channels")
    transposed.add_argument("--stride", type=sizes, default=1, help="upsampling step (default 1)")
    transposed.add_argument("--output-padding", type=sizes, default=0, help="extra rows/columns after (default 0)")
    transposed.add_argument("--groups", type=int, default=1, help="channel groups (default 1)")
    transposed.add_argument("--no-bias", action="store_true", help="the layer has no bias")

    dice = _sub(layers, "dice", "the distribution of a sum of dice as a convolution", DICE_EXAMPLES, run_dice)
    dice.add_argument("--dice", type=int, default=2, help="number of dice (default 2)")
    dice.add_argument("--sides", type=int, default=6, help="faces per die (default 6)")

    average = _sub(
        layers,
        "moving-average",
        "a moving average as a convolution with a box kernel",
        MOVING_AVERAGE_EXAMPLES,
        run_moving_average,
    )
    average.add_argument("--values", required=True, help=ARRAY_HELP.split(" or ")[0] + " (1-D)")
    average.add_argument("--window", type=int, default=3, help="values per average (default 3)")
