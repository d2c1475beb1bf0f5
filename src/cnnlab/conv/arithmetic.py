"""Layer arithmetic: output sizes, padding, receptive fields, parameter and multiply-add counts.

Every function returns an `Explained`: the number, the formula, and the formula with the numbers put in,
so `str(conv_output_size(7, 3, stride=2))` reads `O = floor((I - K + 2P)/S) + 1 = floor((7 - 3 + 2*0)/2) + 1 = 3`.
Sizes are per spatial axis; counts take a kernel as one int (square, 2-D) or a tuple (any rank).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnnlab.errors import CnnlabError

__all__ = [
    "Explained",
    "window_count",
    "stack_output_size",
    "conv_output_size",
    "pool_output_size",
    "same_padding",
    "transposed_output_size",
    "receptive_field",
    "conv_params",
    "conv_macs",
    "linear_params",
    "linear_macs",
]


@dataclass(frozen=True)
class Explained:
    """A value with its formula: `formula` is symbolic, `numbers` the same with the inputs filled in."""

    value: int | tuple[int, ...]
    formula: str
    numbers: str
    note: str = ""

    def __int__(self) -> int:
        return int(self.value)

    def __index__(self) -> int:
        return int(self.value)

    def __str__(self) -> str:
        value = f"{self.value:,}" if isinstance(self.value, int) else str(self.value)
        return f"{self.formula} = {self.numbers} = {value}" if self.numbers else f"{self.formula}: {value}"


def _ints(**values) -> None:
    minimum = {"padding": 0, "output_padding": 0}
    for name, v in values.items():
        low = minimum.get(name, 1)
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise CnnlabError(f"{name} must be an integer >= {low}, got {v!r}")


def window_count(padded_size: int, kernel: int, stride: int = 1, dilation: int = 1) -> int:
    """O = floor((I - D(K-1) - 1)/S) + 1: how many windows fit along an axis of (already padded) length I.

    The bare number behind conv_output_size, for code that words its own errors: <= 0 when the kernel
    spans more than the input. Every output size in cnnlab comes from here.
    """
    return (padded_size - dilation * (kernel - 1) - 1) // stride + 1


def stack_output_size(size: int, layers) -> int:
    """The size left after a chain of unpadded windows, each K, (K, S) or (K, S, D) as in receptive_field.

    A LeNet-5 on 32x32 (conv 5, pool 2, conv 5, pool 2): stack_output_size(32, [5, (2, 2), 5, (2, 2)]) == 5.
    Stops at the first layer whose kernel no longer fits and returns that size (<= 0).
    """
    for layer in layers:
        k, s, d = (tuple(layer) + (1, 1))[:3] if isinstance(layer, (tuple, list)) else (layer, 1, 1)
        size = window_count(size, k, s, d)
        if size <= 0:
            break
    return size


def conv_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    exact: bool = False,
) -> Explained:
    """O = floor((I + 2P - D(K-1) - 1)/S) + 1, written (I - K + 2P)/S + 1 when D = 1.

    ceil_mode rounds up instead but, as torch does, drops a last window that would start in the right
    padding. exact=True refuses a stride that leaves input rows uncovered (a non-integer (I-K+2P)/S).
    """
    _ints(size=size, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
    span = dilation * (kernel - 1) + 1
    numerator = size + 2 * padding - span
    rounding = "ceil" if ceil_mode else "floor"
    if dilation == 1:
        formula = f"O = {rounding}((I - K + 2P)/S) + 1"
        numbers = f"{rounding}(({size} - {kernel} + 2*{padding})/{stride}) + 1"
    else:
        formula = f"O = {rounding}((I + 2P - D(K-1) - 1)/S) + 1"
        numbers = f"{rounding}(({size} + 2*{padding} - {dilation}*({kernel}-1) - 1)/{stride}) + 1"
    out = -(-numerator // stride) + 1 if ceil_mode else window_count(size + 2 * padding, kernel, stride, dilation)
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # torch: the last window must start inside the input or the left padding
    if out <= 0:
        raise CnnlabError(
            f"the kernel does not fit: {formula} = {numbers} = {out} "
            f"(kernel span {span} > padded input {size + 2 * padding})"
        )
    note = ""
    if numerator % stride:
        note = f"{numerator}/{stride} is not an integer: " + (
            f"the last {numerator % stride} input position(s) are never covered"
            if not ceil_mode
            else "the last window runs past the input"
        )
        if exact:
            raise CnnlabError(f"the layer does not tile the input exactly: {formula} = {numbers}; {note}")
    return Explained(out, formula, numbers, note)


def pool_output_size(
    size: int, kernel: int, stride: int | None = None, padding: int = 0, dilation: int = 1, ceil_mode: bool = False
) -> Explained:
    """Pooling output size: the conv formula with stride defaulting to the kernel; padding <= K/2 (torch)."""
    stride = kernel if stride is None else stride
    _ints(kernel=kernel, padding=padding)
    if 2 * padding > kernel:
        raise CnnlabError(f"pool padding {padding} must be at most half the kernel size {kernel}")
    return conv_output_size(size, kernel, stride, padding, dilation, ceil_mode)


def same_padding(kernel: int, stride: int = 1, dilation: int = 1, size: int | None = None) -> Explained:
    """(before, after) zero padding that keeps O = ceil(I/S) ("same"); the odd one goes after, as TF/torch.

    Stride 1: P = D(K-1) in total. Stride S > 1 needs the input size: P = max((O-1)S + D(K-1) + 1 - I, 0).
    """
    _ints(kernel=kernel, stride=stride, dilation=dilation)
    if stride == 1:
        total = dilation * (kernel - 1)
        formula, numbers = "P = D(K-1)", f"{dilation}*({kernel}-1)"
    else:
        if size is None:
            raise CnnlabError("'same' padding with stride > 1 depends on the input size: give size")
        _ints(size=size)
        out = -(-size // stride)
        total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
        formula = "P = max((ceil(I/S) - 1)S + D(K-1) + 1 - I, 0)"
        numbers = f"max(({out} - 1)*{stride} + {dilation}*({kernel}-1) + 1 - {size}, 0)"
    before = total // 2
    return Explained((before, total - before), formula + ", split (P//2, P - P//2)", f"{numbers} = {total}")


def transposed_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> Explained:
    """O = (I - 1)S - 2P + D(K-1) + output_padding + 1 (torch ConvTranspose).

    Kernel 2N, stride N, padding N/2 gives O = N*I.
    """
    _ints(size=size, kernel=kernel, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    out = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    formula = "O = (I - 1)S - 2P + D(K-1) + OP + 1"
    numbers = f"({size} - 1)*{stride} - 2*{padding} + {dilation}*({kernel}-1) + {output_padding} + 1"
    if out <= 0:
        raise CnnlabError(f"the transposed convolution has no output: {formula} = {numbers} = {out}")
    return Explained(out, formula, numbers)


def receptive_field(layers) -> Explained:
    """R = 1 + sum_l D_l (K_l - 1) prod_{i<l} S_i for a stack of layers given as K, (K, S) or (K, S, D).

    L stacked K x K layers of stride 1: R = 1 + L(K-1) (three 3x3 layers see 7x7).
    """
    terms, r, jump = [], 1, 1
    if not layers:
        raise CnnlabError("receptive_field needs at least one layer")
    for layer in layers:
        k, s, d = (tuple(layer) + (1, 1))[:3] if isinstance(layer, (tuple, list)) else (layer, 1, 1)
        _ints(kernel=k, stride=s, dilation=d)
        r += d * (k - 1) * jump
        terms.append(f"{d}*({k}-1)*{jump}")
        jump *= s
    return Explained(r, "R = 1 + sum_l D_l(K_l - 1) prod_{i<l} S_i", "1 + " + " + ".join(terms))


def _kernel(kernel) -> tuple[int, ...]:
    kernel = tuple(kernel) if isinstance(kernel, (tuple, list)) else (kernel, kernel)
    for k in kernel:
        _ints(kernel=k)
    return kernel


def _per_filter(in_channels: int, kernel: tuple[int, ...], groups: int) -> tuple[int, str, str]:
    _ints(in_channels=in_channels, groups=groups)
    if in_channels % groups:
        raise CnnlabError(f"groups={groups} must divide the {in_channels} input channels")
    names = {1: ["K"], 2: ["KH", "KW"], 3: ["KD", "KH", "KW"]}.get(len(kernel), [f"K{i}" for i in range(len(kernel))])
    channels = ("C", str(in_channels)) if groups == 1 else ("C/G", f"{in_channels}/{groups}")
    symbols = " x ".join([channels[0], *names])
    numbers = " x ".join([channels[1], *map(str, kernel)])
    return in_channels // groups * math.prod(kernel), symbols, numbers


def conv_params(in_channels: int, out_channels: int, kernel, groups: int = 1, bias: bool = True) -> Explained:
    """params = O x (C/G x prod K + 1): each of the O filters has C/G x K x K weights and one bias."""
    _ints(out_channels=out_channels)
    per_filter, symbols, numbers = _per_filter(in_channels, _kernel(kernel), groups)
    plus = " + 1" if bias else ""
    return Explained(
        out_channels * (per_filter + bool(bias)),
        f"params = O x ({symbols}{plus})",
        f"{out_channels} x ({numbers}{plus})",
    )


def conv_macs(in_channels: int, out_channels: int, kernel, output_size, groups: int = 1) -> Explained:
    """MACs = O x prod(output size) x (C/G x prod K): one multiply-add per weight per output value."""
    _ints(out_channels=out_channels)
    kernel = _kernel(kernel)
    out = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * len(kernel)
    per_filter, symbols, numbers = _per_filter(in_channels, kernel, groups)
    axes = {1: ["OL"], 2: ["OH", "OW"], 3: ["OD", "OH", "OW"]}.get(len(out), [f"O{i}" for i in range(len(out))])
    return Explained(
        out_channels * math.prod(out) * per_filter,
        f"MACs = O x {' x '.join(axes)} x ({symbols})",
        f"{out_channels} x {' x '.join(map(str, out))} x ({numbers})",
    )


def linear_params(in_features: int, out_features: int, bias: bool = True) -> Explained:
    """params = in x out + out: a weight for every (input, output) pair and one bias per output."""
    _ints(in_features=in_features, out_features=out_features)
    plus = " + out" if bias else ""
    return Explained(
        in_features * out_features + (out_features if bias else 0),
        f"params = in x out{plus}",
        f"{in_features} x {out_features}" + (f" + {out_features}" if bias else ""),
    )


def linear_macs(in_features: int, out_features: int) -> Explained:
    """MACs = in x out: every output sums every input once."""
    _ints(in_features=in_features, out_features=out_features)
    return Explained(in_features * out_features, "MACs = in x out", f"{in_features} x {out_features}")
