"""Convolution and cross-correlation of one signal with one kernel, in 1-D, 2-D and 3-D.

    cross-correlation  (x ⋆ k)[n] = sum_m x[n*S + m*D] k[m]        what a CNN layer computes
    convolution        (x * k)[n] = sum_m x[n - m] k[m]            the same with the kernel flipped

so (a * b)_n = sum over i+j=n of a_i b_j: for a = [1,2,3,4], b = [5,6,7,8] the full convolution is
[5, 16, 34, 60, 61, 52, 32]. The mode decides how much zero padding surrounds the input, exactly as in
scipy.signal: "valid" none (O = I - K + 1), "full" K-1 on each side (O = I + K - 1) and "same" K-1 in
total so that O = I (the extra one of an even kernel goes before, as scipy centres it). `padding` adds
further zeros; `stride` and `dilation` act as in a conv layer, with K read as the dilated span D(K-1)+1.
"""

from __future__ import annotations

import numpy as np

from cnnlab.conv._nd import ntuple, pad, pad_widths, windows
from cnnlab.conv.arithmetic import window_count
from cnnlab.errors import CnnlabError

__all__ = ["correlate", "convolve", "input_padding", "MODES"]

MODES = ("full", "valid", "same")


def input_padding(mode: str, kernel_shape, padding=0, dilation=1) -> tuple[tuple[int, int], ...]:
    """Zero padding (before, after) per axis that `mode` plus `padding` put around the input.

    valid: none; full: span-1 each side; same: span-1 in total, the odd one before (scipy centres "same"
    inside "full": the output starts (span-1)//2 into the full result). span = D(K-1) + 1.
    """
    n = len(kernel_shape)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel_shape, ntuple(dilation, n, "dilation"))]
    if mode == "valid":
        implied = [(0, 0) for _ in spans]
    elif mode == "full":
        implied = [(s - 1, s - 1) for s in spans]
    elif mode == "same":
        implied = [(s - 1 - (s - 1) // 2, (s - 1) // 2) for s in spans]
    else:
        raise CnnlabError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    return tuple((a + c, b + d) for (a, b), (c, d) in zip(implied, pad_widths(padding, n)))


def correlate(x, k, mode: str = "valid", *, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Cross-correlation y[n] = sum_m x_pad[n*S + m*D] k[m] of an N-D x with an N-D k (N = 1, 2, 3).

    Shape per axis: O = floor((I + P_mode + P - D(K-1) - 1)/S) + 1. `padding` is one int, one per axis,
    or (before, after) pairs per axis. Integer inputs give integer outputs.
    """
    x, k = np.asarray(x), np.asarray(k)
    if x.ndim not in (1, 2, 3) or k.ndim != x.ndim:
        raise CnnlabError(
            f"input and kernel must both be 1-D, 2-D or 3-D with the same rank, got shapes {x.shape} and {k.shape}"
        )
    if x.size == 0 or k.size == 0:
        raise CnnlabError(f"input and kernel must not be empty, got shapes {x.shape} and {k.shape}")
    n = x.ndim
    stride, dilation = ntuple(stride, n, "stride"), ntuple(dilation, n, "dilation")
    widths = input_padding(mode, k.shape, padding, dilation)
    for size, kernel, d, (before, after) in zip(x.shape, k.shape, dilation, widths):
        span = d * (kernel - 1) + 1
        if span > size + before + after:
            raise CnnlabError(
                f"kernel {'x'.join(map(str, k.shape))} (span {span}) is larger than the input "
                f"{'x'.join(map(str, x.shape))} in {mode} mode: O = I + P - K + 1 = {size} + {before + after} - {span} + 1 "
                f"= {window_count(size + before + after, kernel, 1, d)}; use mode same or full, or pad"
            )
    view = windows(pad(x, widths), k.shape, stride, dilation)  # (O1..On, K1..Kn)
    return np.tensordot(view, k, axes=n)


def convolve(x, k, mode: str = "full", *, stride=1, padding=0, dilation=1) -> np.ndarray:
    """True convolution y[n] = sum_m x[n - m] k[m]: cross-correlation with the kernel flipped on every axis.

    Default mode "full" (O = I + K - 1) as numpy.convolve; equals scipy.signal.convolve in every mode.
    """
    k = np.asarray(k)
    return correlate(x, np.flip(k), mode, stride=stride, padding=padding, dilation=dilation)
