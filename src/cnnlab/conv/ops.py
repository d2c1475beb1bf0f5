"""Convolution and cross-correlation of one signal with one kernel, in 1-D, 2-D and 3-D.

    cross-correlation  (x ⋆ k)[n] = sum_m x[n*S + m*D] conj(k[m])  what a CNN layer computes (real k)
    convolution        (x * k)[n] = sum_m x[n - m] k[m]            the same with the kernel flipped

so (a * b)_n = sum over i+j=n of a_i b_j: for a = [1,2,3,4], b = [5,6,7,8] the full convolution is
[5, 16, 34, 60, 61, 52, 32]. The mode decides how much zero padding surrounds the input, exactly as in
scipy.signal: "valid" none (O = I - K + 1), "full" K-1 on each side (O = I + K - 1) and "same" K-1 in
total so that O = I (the extra one of an even kernel goes before, as scipy centres it). `padding` adds
further zeros; `stride` and `dilation` act as in a conv layer, with K read as the dilated span D(K-1)+1.

Where scipy.signal and numpy define a case, these functions agree with them: in "valid" mode a second
argument larger than the first swaps the two (correlate then returns the reversed, conjugated result);
complex correlation conjugates the kernel; a bad mode raises ValueError (CnnlabError is one) and a mode
that is not a string or 0/1/2 raises TypeError. Integer inputs give exact integer outputs: where the
sums could pass the integer type's range, the result type widens (to int64, then to Python integers).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from cnnlab.conv._nd import check_sliding, ntuple, pad, pad_widths, shape_text, windows
from cnnlab.errors import CnnlabError

__all__ = ["correlate", "convolve", "input_padding", "MODES"]

MODES = ("full", "valid", "same")
NUMPY_MODE_NUMBERS = {0: "valid", 1: "same", 2: "full"}  # numpy.convolve/correlate accept these integers
WORK_BYTES = 64 * 2**20  # the window copy that one tensordot makes is cut into blocks of at most this size


def _mode_name(mode) -> str:
    if isinstance(mode, str):
        if mode not in MODES:
            raise CnnlabError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        return mode
    if isinstance(mode, (int, np.integer)) and not isinstance(mode, bool):
        if int(mode) not in NUMPY_MODE_NUMBERS:
            raise CnnlabError(f"mode must be one of {', '.join(MODES)} (or numpy's 0, 1, 2), got {mode!r}")
        return NUMPY_MODE_NUMBERS[int(mode)]
    raise TypeError(f"mode must be a string ({', '.join(MODES)}), got {type(mode).__name__} {mode!r}")


def input_padding(mode: str, kernel_shape, padding=0, dilation=1) -> tuple[tuple[int, int], ...]:
    """Zero padding (before, after) per axis that `mode` plus `padding` put around the input.

    valid: none; full: span-1 each side; same: span-1 in total, the odd one before (scipy centres "same"
    inside "full": the output starts (span-1)//2 into the full result). span = D(K-1) + 1.
    """
    n = len(kernel_shape)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel_shape, ntuple(dilation, n, "dilation"))]
    mode = _mode_name(mode)
    if mode == "valid":
        implied = [(0, 0) for _ in spans]
    elif mode == "full":
        implied = [(s - 1, s - 1) for s in spans]
    else:
        implied = [(s - 1 - (s - 1) // 2, (s - 1) // 2) for s in spans]
    return tuple((a + c, b + d) for (a, b), (c, d) in zip(implied, pad_widths(padding, n)))


def _result_dtype(x: np.ndarray, k: np.ndarray, terms: int) -> np.dtype:
    """The inputs' common type; for integers one wide enough that no sum of `terms` products wraps around.

    The bound max|x| * max|k| * terms is computed with Python integers, which do not overflow.
    """
    dtype = np.result_type(x, k)
    if dtype.kind not in "iub":
        return dtype
    largest = [max(abs(int(a.max())), abs(int(a.min()))) for a in (x, k)]
    bound = largest[0] * largest[1] * terms
    if dtype.kind == "b":
        dtype = np.dtype(np.int64)  # True * True summed is a count, not a logical or
    for candidate in (dtype, np.dtype(np.int64)):
        info = np.iinfo(candidate)
        if bound <= info.max and (info.min < 0 or (x.min() >= 0 and k.min() >= 0)):
            return candidate
    return np.dtype(object)


def _sums(xp: np.ndarray, k: np.ndarray, stride, dilation, dtype) -> np.ndarray:
    """y[n] = sum_m xp[n*S + m*D] k[m] over the padded input, with bounded working memory.

    One tensordot copies the windows it reads (prod Out x prod K values); a large case is cut into
    blocks along the output axes so that no copy passes WORK_BYTES, whatever the sizes.
    """
    n = k.ndim
    xp, k = xp.astype(dtype, copy=False), k.astype(dtype, copy=False)
    view = windows(xp, k.shape, stride, dilation)  # (O1..On, K1..Kn), no copy
    out_shape = view.shape[:n]
    per_position = math.prod(k.shape) * dtype.itemsize
    if math.prod(out_shape) * per_position <= WORK_BYTES:
        return np.tensordot(view, k, axes=n)
    out = np.empty(out_shape, dtype=dtype)
    # the first axis `split` whose trailing output block fits; blocks of `step` along it
    split = next(a for a in range(n) if math.prod(out_shape[a + 1 :]) * per_position <= WORK_BYTES)
    step = max(1, WORK_BYTES // (math.prod(out_shape[split + 1 :]) * per_position))
    for lead in itertools.product(*(range(o) for o in out_shape[:split])):
        for start in range(0, out_shape[split], step):
            block = (*lead, slice(start, start + step))
            out[block] = np.tensordot(view[block], k, axes=n)
    return out


def _slide(x, k, mode: str, stride, padding, dilation) -> np.ndarray:
    """sum_m x_pad[n*S + m*D] k[m] (no flip, no conjugate), after checking ranks, sizes and memory."""
    n = x.ndim
    stride, dilation = ntuple(stride, n, "stride"), ntuple(dilation, n, "dilation")
    widths = input_padding(mode, k.shape, padding, dilation)
    out_shape = []
    for size, kernel, d, s, (before, after) in zip(x.shape, k.shape, dilation, stride, widths):
        span = d * (kernel - 1) + 1
        if span > size + before + after:
            raise CnnlabError(
                f"kernel {shape_text(k.shape)} (span {span}) is larger than the input "
                f"{shape_text(x.shape)} in {mode} mode: O = I + P - K + 1 = {size} + {before + after} - {span} + 1 "
                f"= {size + before + after - span + 1}; use mode same or full, or pad"
            )
        out_shape.append((size + before + after - span) // s + 1)
    dtype = _result_dtype(x, k, min(x.size, k.size))
    padded = [size + before + after for size, (before, after) in zip(x.shape, widths)]
    what = f"{shape_text(x.shape)} {mode} {shape_text(k.shape)}"
    check_sliding(what, padded, x.dtype.itemsize, out_shape, dtype.itemsize, k.shape)
    return _sums(pad(x, widths), k, stride, dilation, dtype)


def _arrays(x, k) -> tuple[np.ndarray, np.ndarray]:
    x, k = np.asarray(x), np.asarray(k)
    if x.ndim not in (1, 2, 3) or k.ndim != x.ndim:
        raise CnnlabError(
            f"input and kernel must both be 1-D, 2-D or 3-D with the same rank, got shapes {x.shape} and {k.shape}"
        )
    if x.size == 0 or k.size == 0:
        raise CnnlabError(f"input and kernel must not be empty, got shapes {x.shape} and {k.shape}")
    return x, k


def _swap_needed(mode: str, x: np.ndarray, k: np.ndarray, stride, padding, dilation) -> bool:
    """scipy's rule: in valid mode the larger argument slides over the smaller one.

    Only for plain calls (no stride, padding or dilation, which scipy does not have); one argument must
    be at least as large as the other on every axis.
    """
    if mode != "valid" or (stride, padding, dilation) != (1, 0, 1):
        return False
    x_larger = all(a >= b for a, b in zip(x.shape, k.shape))
    k_larger = all(b >= a for a, b in zip(x.shape, k.shape))
    if not (x_larger or k_larger):
        raise CnnlabError(
            f"in valid mode one argument must be at least as large as the other on every axis, "
            f"got shapes {x.shape} and {k.shape}"
        )
    return not x_larger


def correlate(x, k, mode: str = "valid", *, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Cross-correlation y[n] = sum_m x_pad[n*S + m*D] conj(k[m]) of an N-D x with an N-D k (N = 1, 2, 3).

    Shape per axis: O = floor((I + P_mode + P - D(K-1) - 1)/S) + 1. `padding` is one int, one per axis,
    or (before, after) pairs per axis. Integer inputs give exact integer outputs. Equals
    scipy.signal.correlate in every mode, and numpy.correlate in 1-D (except "same" with a longer second
    argument: numpy's output is then as long as that argument, scipy's and this one as the first). The
    default mode is "valid", what a conv layer computes.
    """
    mode = _mode_name(mode)
    x, k = _arrays(x, k)
    if _swap_needed(mode, x, k, stride, padding, dilation):
        return np.conj(np.flip(correlate(k, x, mode)))
    return _slide(x, np.conj(k) if np.iscomplexobj(k) else k, mode, stride, padding, dilation)


def convolve(x, k, mode: str = "full", *, stride=1, padding=0, dilation=1) -> np.ndarray:
    """True convolution y[n] = sum_m x[n - m] k[m]: the sliding sum with the kernel flipped on every axis.

    Default mode "full" (O = I + K - 1) as numpy.convolve; equals scipy.signal.convolve in every mode.
    """
    mode = _mode_name(mode)
    x, k = _arrays(x, k)
    if _swap_needed(mode, x, k, stride, padding, dilation):
        x, k = k, x  # convolution commutes; valid mode slides the smaller one
    return _slide(x, np.flip(k), mode, stride, padding, dilation)
