"""Backward passes: given dL/dy (delta), the gradients w.r.t. input, weight and bias.

The backward pass of a convolution is again a convolution:

    dL/dw[o, c, m] = sum_n sum_j delta[n, o, j] * x_pad[n, c, j*S + m*D]     (1-D: dL/dw_i = sum_j delta_j x_{i+j-1})
                   = a correlation of the input with delta, stride and dilation swapped
    dL/dx          = conv_transpose(delta, w): delta spread by S, correlated with the flipped kernel
    dL/db[o]       = sum_{n, j} delta[n, o, j]

Pooling routes gradients: max pooling sends each delta to its window's arg-max (the first one on ties),
average pooling spreads delta / divisor over the window. One function serves every rank (1-D, 2-D, 3-D).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.conv._nd import add_windows, ntuple, pad, pad_adjoint, pad_widths, windows
from cnnlab.conv.layers import columns, conv_nd, conv_transpose_nd, resolve_padding
from cnnlab.conv.pooling import avg_divisor, lowest_value, pool_geometry

__all__ = [
    "ConvGrads",
    "conv_backward",
    "conv_transpose_backward",
    "max_pool_backward",
    "avg_pool_backward",
    "global_avg_pool_backward",
    "global_max_pool_backward",
]


@dataclass(frozen=True)
class ConvGrads:
    """dL/dx, dL/dw and dL/db of one layer, each of the shape of what it differentiates."""

    input: np.ndarray
    weight: np.ndarray
    bias: np.ndarray


def _weight_grad(xp, delta, kernel, stride, dilation, groups):
    """dw[o, c, m] = sum_{n,j} delta[n, o, j] xp[n, c, j*S + m*D]: the correlation of the input with delta.

    It is a convolution of xp (batch as channels) with delta as the kernel, stride D and dilation S
    (tests/conv/test_conv_gradients.py checks exactly that); computed here as delta (O, N*Out) times the
    im2col columns of xp transposed, one gemm per group, because that is several times faster.
    """
    n, o = delta.shape[:2]
    cols, _ = columns(xp, kernel, stride, dilation, groups)  # (G, C/G * prod K, N * prod Out)
    d = delta.reshape(n, groups, o // groups, -1).transpose(1, 2, 0, 3).reshape(groups, o // groups, -1)
    # (cols d^T)^T, 2-D per group: OpenBLAS was many times slower on d @ cols^T with its long inner
    # dimension N*Out, and a stacked matmul copies transposed views (measured, bench/conv_speed.py).
    dw = np.stack([(cols[g] @ d[g].T).T for g in range(groups)])  # (G, O/G, C/G * prod K)
    return dw.reshape(o, -1, *kernel)


def conv_backward(delta, x, w, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros") -> ConvGrads:
    """Gradients of conv1d/conv2d/conv3d(x, w, b, ...) given delta = dL/dy of shape (N, O, *Out).

    dx = pad_adjoint(conv_transpose(delta, w, stride, dilation, groups)) (reflect/replicate/circular
    padding adds the gradient of each padded copy back to the value it copied).
    """
    delta, x, w = np.asarray(delta), np.asarray(x), np.asarray(w)
    nd = x.ndim - 2
    stride, dilation = ntuple(stride, nd, "stride"), ntuple(dilation, nd, "dilation")
    kernel = w.shape[2:]
    widths = resolve_padding(padding, kernel, dilation)
    xp = pad(x, widths, padding_mode)
    # output_padding recovers the rows the forward stride skipped at the end of xp
    extra = tuple(
        i - ((o - 1) * s + d * (k - 1) + 1)
        for i, o, s, d, k in zip(xp.shape[2:], delta.shape[2:], stride, dilation, kernel)
    )
    dxp = conv_transpose_nd(delta, w, None, stride, 0, extra, dilation, groups, nd, check=False)
    return ConvGrads(
        input=pad_adjoint(dxp, widths, padding_mode),
        weight=_weight_grad(xp, delta, kernel, stride, dilation, groups),
        bias=delta.sum(axis=(0, *range(2, delta.ndim))),
    )


def conv_transpose_backward(delta, x, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1) -> ConvGrads:
    """Gradients of conv_transpose{1,2,3}d(x, w, b, ...), w of shape (C_in, C_out/G, *K).

    A transposed convolution is the adjoint of a convolution, so dx = conv(delta, w, stride, padding,
    dilation, groups) (cropped to the input size), and dw[c, o, m] = sum_{n,i} x[n,c,i] delta_pad[n,o,i*S + m*D]:
    the conv weight gradient with the roles of input and delta exchanged.
    """
    delta, x, w = np.asarray(delta), np.asarray(x), np.asarray(w)
    nd = x.ndim - 2
    stride, dilation = ntuple(stride, nd, "stride"), ntuple(dilation, nd, "dilation")
    kernel = w.shape[2:]
    dx = conv_nd(delta, w, None, stride, padding, dilation, groups, "zeros", nd)
    dx = dx[(Ellipsis, *(slice(0, i) for i in x.shape[2:]))]
    delta_pad = pad(delta, pad_widths(padding, nd))
    # keep exactly the positions the input reached: output_padding >= S would add a window per axis
    reach = tuple((i - 1) * s + d * (k - 1) + 1 for i, s, d, k in zip(x.shape[2:], stride, dilation, kernel))
    delta_pad = delta_pad[(Ellipsis, *(slice(0, r) for r in reach))]
    return ConvGrads(
        input=dx,
        weight=_weight_grad(delta_pad, x, kernel, stride, dilation, groups),
        bias=delta.sum(axis=(0, *range(2, delta.ndim))),
    )


def max_pool_backward(
    delta, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, dims=None
) -> np.ndarray:
    """dL/dx of max pooling over the last `dims` axes (default delta.ndim - 2): delta goes to the arg-max."""
    delta, x = np.asarray(delta), np.asarray(x)
    nd = dims or delta.ndim - 2
    kernel, stride, _, dilation, out, widths = pool_geometry(
        x.shape, kernel_size, stride, padding, dilation, ceil_mode, nd
    )
    xp = pad(x, widths, value=lowest_value(x.dtype))
    view = windows(xp, kernel, stride, dilation)[(Ellipsis, *(slice(0, o) for o in out), *(slice(None),) * nd)]
    flat = view.reshape(*view.shape[: x.ndim], -1)  # (..., *Out, prod K)
    one_hot = np.arange(flat.shape[-1]) == flat.argmax(axis=-1)[..., None]  # first arg-max, as torch
    routed = (one_hot * delta[..., None]).reshape(view.shape)
    return pad_adjoint(add_windows(routed, xp.shape[-nd:], stride, dilation), widths)


def avg_pool_backward(
    delta, x_shape, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, dims=None
) -> np.ndarray:
    """dL/dx of average pooling over the last `dims` axes: delta / divisor added to every position of the window."""
    delta = np.asarray(delta)
    nd = dims or delta.ndim - 2
    kernel, stride, padding, dilation, out, widths = pool_geometry(
        x_shape, kernel_size, stride, padding, 1, ceil_mode, nd
    )
    share = delta / avg_divisor(x_shape[-nd:], kernel, stride, padding, out, count_include_pad)
    spread = np.broadcast_to(share[(Ellipsis, *(None,) * nd)], share.shape + kernel)
    padded = tuple(i + b + a for i, (b, a) in zip(x_shape[-nd:], widths))
    return pad_adjoint(add_windows(spread, padded, stride, dilation), widths)


def global_avg_pool_backward(delta, x_shape) -> np.ndarray:
    """dL/dx of global_avg_pool: every position of plane (n, c) gets delta[n, c] / (number of positions)."""
    delta = np.asarray(delta)
    spatial = tuple(x_shape[2:])
    share = delta.reshape(*delta.shape[:2], *(1,) * len(spatial)) / np.prod(spatial)
    return np.broadcast_to(share, tuple(x_shape)).copy()


def global_max_pool_backward(delta, x) -> np.ndarray:
    """dL/dx of global_max_pool: delta[n, c] goes to the (first) maximum of plane (n, c)."""
    delta, x = np.asarray(delta), np.asarray(x)
    flat = x.reshape(*x.shape[:2], -1)
    one_hot = np.arange(flat.shape[-1]) == flat.argmax(axis=-1)[..., None]
    return (one_hot * delta.reshape(*delta.shape[:2], 1)).reshape(x.shape)
