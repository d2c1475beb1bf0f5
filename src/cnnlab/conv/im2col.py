"""im2col / col2im: turn every receptive field into a column so a convolution becomes one matrix product.

For an input x of shape (N, C, H, W) and a KH x KW kernel, column (oh, ow) of `im2col(x)` holds the
C*KH*KW input values that output position (oh, ow) sees, ordered (c, kh, kw) exactly as
`torch.nn.functional.unfold` orders them. `col2im` is its adjoint (it sums overlapping windows), which is
what the backward pass of a convolution needs.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnlab.conv.arithmetic import window_count
from cnnlab.errors import CnnlabError
from cnnlab.memory import check_bytes

__all__ = ["im2col", "col2im", "pair"]


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """3 -> (3, 3); (3, 5) stays (3, 5)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise CnnlabError(f"expected one number or a pair, got {value!r}")
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _output_hw(h, w, kh, kw, sh, sw, ph, pw, dh, dw):
    oh, ow = window_count(h + 2 * ph, kh, sh, dh), window_count(w + 2 * pw, kw, sw, dw)
    if oh <= 0 or ow <= 0:
        raise CnnlabError(
            f"a {kh}x{kw} kernel (dilation {dh}x{dw}) does not fit a {h}x{w} input padded by {ph}x{pw}: "
            f"O = floor((I + 2P - D(K-1) - 1)/S) + 1 gives {oh}x{ow}"
        )
    return oh, ow


def im2col(x: np.ndarray, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """(N, C, H, W) -> (N, C*KH*KW, OH*OW), zero padding, same layout as torch's unfold."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    n, c, h, w = x.shape
    oh, ow = _output_hw(h, w, kh, kw, sh, sw, ph, pw, dh, dw)
    check_bytes(f"padding {n}x{c}x{h}x{w} by {ph}x{pw}", n * c * (h + 2 * ph) * (w + 2 * pw), x.dtype.itemsize)
    check_bytes(f"im2col of a {kh}x{kw} kernel over {n}x{c}x{h}x{w}", n * c * kh * kw * oh * ow, x.dtype.itemsize)
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    windows = sliding_window_view(x, (span_h, span_w), axis=(2, 3))  # (N, C, H', W', span_h, span_w)
    windows = windows[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw, ::dh, ::dw]  # (N, C, OH, OW, KH, KW)
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)


def col2im(cols: np.ndarray, input_shape, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """(N, C*KH*KW, OH*OW) -> (N, C, H, W): the adjoint of im2col; overlapping windows add up."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(pair, (kernel_size, stride, padding, dilation))
    n, c, h, w = input_shape
    oh, ow = _output_hw(h, w, kh, kw, sh, sw, ph, pw, dh, dw)
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    padded = n * c * (h + 2 * ph) * (w + 2 * pw)
    check_bytes(f"col2im into {n}x{c}x{h + 2 * ph}x{w + 2 * pw}", padded, cols.dtype.itemsize)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    # One strided slice per kernel tap: KH*KW vectorised adds instead of a loop over every output position.
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            out[:, :, top : top + sh * (oh - 1) + 1 : sh, left : left + sw * (ow - 1) + 1 : sw] += cols[:, :, i, j]
    return out[:, :, ph : ph + h, pw : pw + w]
