"""Convolution as a matrix: the Toeplitz (1-D) / doubly-block Toeplitz (2-D) matrix of a kernel.

A correlation is linear in its input, so y = M x with x and y flattened (row-major). Row j of M holds the
kernel at the input positions output j sees: M[j, j*S + m*D - P] = k[m], zero elsewhere. The same band
of K weights repeats on every row (weight sharing), where a fully connected layer on the same input and
output would learn every one of the prod(Out) x prod(I) entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.conv._nd import ntuple
from cnnlab.conv.arithmetic import window_count
from cnnlab.conv.ops import input_padding
from cnnlab.errors import CnnlabError

__all__ = ["as_matrix", "WeightCounts", "weight_counts"]


def as_matrix(
    kernel, input_shape, mode: str = "valid", *, stride=1, padding=0, dilation=1, convolution: bool = False
) -> np.ndarray:
    """M of shape (prod Out, prod I) with correlate(x, kernel, mode, ...).ravel() == M @ x.ravel().

    convolution=True flips the kernel, so M @ x.ravel() == convolve(x, kernel, ...).ravel().
    """
    k = np.asarray(kernel, dtype=float)
    input_shape = tuple(input_shape)
    nd = k.ndim
    if len(input_shape) != nd:
        raise CnnlabError(f"input shape {input_shape} and kernel shape {k.shape} must have the same rank")
    if convolution:
        k = np.flip(k)
    stride, dilation = ntuple(stride, nd, "stride"), ntuple(dilation, nd, "dilation")
    widths = input_padding(mode, k.shape, padding, dilation)
    out_shape = tuple(
        window_count(i + b + a, kk, s, d) for i, (b, a), kk, s, d in zip(input_shape, widths, k.shape, stride, dilation)
    )
    if min(out_shape) <= 0:
        raise CnnlabError(f"kernel {k.shape} does not fit input {input_shape} in {mode} mode")
    m = np.zeros((int(np.prod(out_shape)), int(np.prod(input_shape))))
    outputs = np.indices(out_shape).reshape(nd, -1)  # (nd, prod Out): the multi-index of every output
    rows = np.arange(outputs.shape[1])
    for tap in np.ndindex(k.shape):
        # input position seen by every output through this kernel tap: j*S + m*D - P_before
        pos = outputs * np.array(stride)[:, None] + (np.array(tap) * dilation - [b for b, _ in widths])[:, None]
        inside = np.all((pos >= 0) & (pos < np.array(input_shape)[:, None]), axis=0)
        m[rows[inside], np.ravel_multi_index(tuple(pos[:, inside]), input_shape)] += k[tap]
    return m


@dataclass(frozen=True)
class WeightCounts:
    """Weights a fully connected layer needs for the same input -> output map, vs the shared kernel."""

    matrix_shape: tuple[int, int]
    fully_connected: int  # every entry of M is its own weight
    band: int  # entries of M a kernel tap lands on (the non-zero structure)
    convolution: int  # distinct weights: the kernel itself


def weight_counts(kernel_shape, input_shape, mode: str = "valid", **options) -> WeightCounts:
    """E.g. a 3x3 kernel on 28x28 (valid): M is 676 x 784 = 529,984 entries, 6,084 in the band, 9 distinct."""
    m = as_matrix(np.ones(kernel_shape), input_shape, mode, **options)
    return WeightCounts(m.shape, m.size, int(np.count_nonzero(m)), int(np.prod(kernel_shape)))
