"""Shared N-D plumbing for ops, layers, pooling and gradients: argument checks, padding, sliding windows.

A "window view" of an array is the read-only view (..., O1..On, K1..Kn): for every output position
(o1..on) the K1 x .. x Kn input values that position sees, taken with stride S and dilation D. Every
sliding-window operation in cnnlab.conv (correlation, pooling) is a reduction over the last n axes of it;
`add_windows` is its adjoint, which backward passes need.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnlab.conv.arithmetic import window_count
from cnnlab.errors import CnnlabError
from cnnlab.memory import check_bytes

__all__ = [
    "AXES",
    "ntuple",
    "pad_widths",
    "pad",
    "pad_adjoint",
    "windows",
    "add_windows",
    "PADDING_MODES",
    "check_sliding",
    "MAX_WINDOW_VALUES",
    "shape_text",
]

# A sliding-window sum or pool reads prod(Out) x prod(K) values; 1e9 multiply-adds took 2-12 s on a
# 2-core machine (idle to loaded). Past that an FFT method is the right tool, which these readable sums are not.
MAX_WINDOW_VALUES = 10**9

# How shapes name the spatial axes of 1-D, 2-D and 3-D data in messages.
AXES = {1: "L", 2: "H, W", 3: "D, H, W"}

# torch's padding_mode names -> numpy.pad modes ("reflect" excludes the edge in both).
PADDING_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def ntuple(value, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """3 -> (3, 3) for n=2; a sequence must have n entries; every entry an integer >= minimum."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(values) != n:
        raise CnnlabError(f"{name} must be one integer or {n} integers, got {value!r}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
            raise CnnlabError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def shape_text(shape) -> str:
    return "x".join(map(str, shape))


def check_sliding(what: str, padded_shape, itemsize: int, out_shape, out_itemsize: int, window) -> None:
    """Refuse, before anything is allocated, a padded input or output past the memory limit, or more
    window reads than MAX_WINDOW_VALUES; every message shows its arithmetic. Sizes are Python ints."""
    check_bytes(f"{what}: the padded input {shape_text(padded_shape)}", math.prod(padded_shape), itemsize)
    check_bytes(f"{what}: the output {shape_text(out_shape)}", math.prod(out_shape), out_itemsize)
    reads = math.prod(out_shape) * math.prod(window)
    if reads > MAX_WINDOW_VALUES:
        raise CnnlabError(
            f"{what}: {math.prod(out_shape):,} outputs x a window of {math.prod(window):,} values = {reads:,} "
            f"multiply-adds or reads, more than the {MAX_WINDOW_VALUES:,} these direct loops allow: use smaller "
            "arrays or windows (an FFT method, e.g. scipy.signal.fftconvolve, suits large convolutions)"
        )


def pad_widths(padding, n: int) -> tuple[tuple[int, int], ...]:
    """Padding -> ((before, after), ...) for n axes.

    Accepts one int (every side), n ints (per axis, both sides) or n (before, after) pairs. In 1-D a
    pair (before, after) is also accepted, since it cannot mean two axes.
    """
    if (
        isinstance(padding, (tuple, list))
        and n == 1
        and len(padding) == 2
        and all(isinstance(p, (int, np.integer)) for p in padding)
    ):
        padding = [tuple(padding)]
    if isinstance(padding, (tuple, list)) and padding and isinstance(padding[0], (tuple, list)):
        if len(padding) != n:
            raise CnnlabError(f"padding needs {n} (before, after) pairs, got {padding!r}")
        pairs = tuple(ntuple(p, 2, "padding", minimum=0) for p in padding)
        return pairs
    return tuple((p, p) for p in ntuple(padding, n, "padding", minimum=0))


def pad(x: np.ndarray, widths, mode: str = "zeros", value=0) -> np.ndarray:
    """Pad the last len(widths) axes; mode is a torch padding_mode. Negative widths crop (transposed conv)."""
    if mode not in PADDING_MODES:
        raise CnnlabError(f"padding_mode must be one of {', '.join(PADDING_MODES)}, got {mode!r}")
    lead = [(0, 0)] * (x.ndim - len(widths))
    crop = tuple(slice(max(-b, 0), x.shape[x.ndim - len(widths) + i] - max(-a, 0)) for i, (b, a) in enumerate(widths))
    x = x[(Ellipsis, *crop)]
    grow = lead + [(max(b, 0), max(a, 0)) for b, a in widths]
    if not any(b or a for b, a in grow):
        return x
    grown = [size + b + a for size, (b, a) in zip(x.shape, grow)]
    check_bytes(f"padding {shape_text(x.shape)} to {shape_text(grown)}", math.prod(grown), x.dtype.itemsize)
    if mode == "zeros":
        return np.pad(x, grow, mode="constant", constant_values=value)
    for (b, a), size in zip(grow[len(lead) :], x.shape[len(lead) :]):
        if mode == "reflect" and max(b, a) >= size:
            raise CnnlabError(f"reflect padding of {max(b, a)} needs an input larger than that, got size {size}")
        if mode == "circular" and max(b, a) > size:
            raise CnnlabError(f"circular padding of {max(b, a)} cannot exceed the input size {size}")
    return np.pad(x, grow, mode=PADDING_MODES[mode])


def pad_adjoint(grad: np.ndarray, widths, mode: str = "zeros") -> np.ndarray:
    """The adjoint of `pad`: gradient w.r.t. the unpadded array; padded copies add back to their source.

    numpy.pad applied to the index vector arange(n) says, for every padded position, which input
    position it copies; the adjoint scatter-adds along that map (zeros: the pad simply drops).
    """
    for i, (before, after) in enumerate(widths):
        axis = grad.ndim - len(widths) + i
        size = grad.shape[axis] - before - after
        if mode == "zeros":
            grad = np.take(grad, np.arange(before, before + size), axis=axis)
            continue
        source = np.pad(np.arange(size), (before, after), mode=PADDING_MODES[mode])
        moved = np.moveaxis(grad, axis, 0)
        out = np.zeros((size,) + moved.shape[1:], dtype=grad.dtype)
        np.add.at(out, source, moved)
        grad = np.moveaxis(out, 0, axis)
    return grad


def windows(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]) -> np.ndarray:
    """View (..., I1..In) -> (..., O1..On, K1..Kn) with O = floor((I - D(K-1) - 1)/S) + 1 (no copy)."""
    n = len(kernel)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    sizes = x.shape[x.ndim - n :]
    for size, k, d, span, s in zip(sizes, kernel, dilation, spans, stride):
        if span > size:
            raise CnnlabError(
                f"a kernel of {k} (dilation {d}) spans {span} > padded input {size}: "
                f"O = floor((I - D(K-1) - 1)/S) + 1 = floor(({size} - {d}*({k}-1) - 1)/{s}) + 1 = "
                f"{window_count(size, k, s, d)}"
            )
    axes = tuple(range(x.ndim - n, x.ndim))
    view = sliding_window_view(x, spans, axis=axes)  # (..., I1-span1+1, .., span1, ..)
    positions = tuple(slice(None, None, s) for s in stride)
    taps = tuple(slice(None, None, d) for d in dilation)
    return view[(Ellipsis, *positions, *taps)]


def add_windows(values: np.ndarray, size: tuple[int, ...], stride, dilation) -> np.ndarray:
    """Adjoint of `windows`: (..., O1..On, K1..Kn) -> (..., I1..In), overlapping windows add up.

    One strided slice-add per kernel tap (prod K vectorised adds), like col2im.
    """
    n = len(size)
    outs = values.shape[values.ndim - 2 * n : values.ndim - n]
    kernel = values.shape[values.ndim - n :]
    out = np.zeros(values.shape[: values.ndim - 2 * n] + tuple(size), dtype=values.dtype)
    for tap in itertools.product(*(range(k) for k in kernel)):
        target = tuple(slice(t * d, t * d + s * (o - 1) + 1, s) for t, d, s, o in zip(tap, dilation, stride, outs))
        out[(Ellipsis, *target)] += values[(Ellipsis, *(slice(None),) * n, *tap)]
    return out
