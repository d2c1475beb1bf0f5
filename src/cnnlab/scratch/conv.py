"""Convolution and pooling layers on (N, C, H, W) arrays, built on cnnlab.conv.

Conv2d is im2col + one matrix product (cnnlab.conv.layers.columns gives every receptive field of the
whole batch as one column, so a layer is a single gemm):

    cols = im2col(x_pad)                      (C*KH*KW, N*OH*OW)
    y    = W_mat cols + b                     W_mat = W reshaped to (O, C*KH*KW)
    dW   = dout_mat cols^T                    dout_mat = dout as (O, N*OH*OW)
    dx   = col2im(W_mat^T dout_mat)           the adjoint of im2col adds overlapping windows

which is the lecture's statement that the backward pass of a convolution is again a convolution
(dL/dw_i = sum_j delta_j x_{i+j-1}); cnnlab.conv.conv_backward computes the same thing and the tests
check the two agree with torch.

Pooling with stride == kernel and no padding (the usual 2x2, stride 2) works on the KH*KW strided views
x[:, :, p::KH, q::KW], one per window position (p, q): the maximum is KH*KW element-wise np.maximum
calls, with no copy of the windows (measured 2-3x faster than a reshape to (..., KH*KW) and argmax).
Other settings use cnnlab.conv's general pooling functions.
"""

from __future__ import annotations

import numpy as np

from cnnlab.conv.arithmetic import window_count
from cnnlab.conv.gradients import avg_pool_backward, max_pool_backward
from cnnlab.conv.im2col import col2im, pair
from cnnlab.conv.layers import columns
from cnnlab.conv.pooling import avg_pool2d, max_pool2d
from cnnlab.errors import CnnlabError
from cnnlab.scratch.base import Layer, expect_shape
from cnnlab.scratch.init import init_weight

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d"]


class Conv2d(Layer):
    """y[n,o,i,j] = b[o] + sum_{c,p,q} W[o,c,p,q] x_pad[n, c, i*S + p, j*S + q]  (nn.Conv2d, groups=1).

    `input_grad=False` skips dL/dx (the first layer of a network never needs it).
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        init="he",
        rng=None,
        dtype=np.float32,
        name="",
        input_grad=True,
    ):
        super().__init__(name)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.kernel, self.stride, self.padding = pair(kernel_size), pair(stride), pair(padding)
        self.input_grad = input_grad
        self.params["weight"] = init_weight((out_channels, in_channels, *self.kernel), init, rng, dtype)
        self.params["bias"] = np.zeros(out_channels, dtype=dtype)

    def forward(self, x, train=True):
        w = self.params["weight"]
        expect_shape(self, x, 4, 1, w.shape[1], "in_channels")
        n = x.shape[0]
        (ph, pw) = self.padding
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        if xp.shape[2] < self.kernel[0] or xp.shape[3] < self.kernel[1]:
            raise CnnlabError(
                f"layer {self.name} (Conv2d): a {self.kernel[0]}x{self.kernel[1]} kernel does not fit "
                f"an input of {x.shape[2]}x{x.shape[3]} padded by {ph}x{pw}; use a smaller kernel or more padding"
            )
        cols, (oh, ow) = columns(xp, self.kernel, self.stride, (1, 1), 1)
        self.cols, self.x_shape = cols[0], x.shape  # (C*KH*KW, N*OH*OW)
        y = w.reshape(w.shape[0], -1) @ self.cols  # (O, N*OH*OW)
        y = y.reshape(w.shape[0], n, oh, ow).transpose(1, 0, 2, 3)  # (N, O, OH, OW)
        return y + self.params["bias"].reshape(1, -1, 1, 1)

    def backward(self, dout):
        w = self.params["weight"]
        o = w.shape[0]
        n, _, oh, ow = dout.shape
        d = dout.transpose(1, 0, 2, 3).reshape(o, -1)  # (O, N*OH*OW)
        # (cols d^T)^T: OpenBLAS is much slower on d cols^T with its long inner dimension (cnnlab.conv's note)
        self.grads["weight"] = (self.cols @ d.T).T.reshape(w.shape)
        self.grads["bias"] = d.sum(axis=1)
        if not self.input_grad:
            return None
        dcols = w.reshape(o, -1).T @ d  # (C*KH*KW, N*OH*OW)
        dcols = dcols.reshape(-1, n, oh * ow).transpose(1, 0, 2)  # (N, C*KH*KW, OH*OW), col2im's layout
        return col2im(dcols, self.x_shape, self.kernel, self.stride, self.padding)


def _taps(x, kh, kw):
    """The KH*KW strided views x[:, :, p::KH, q::KW] (cut to whole windows, floor mode): tap (p, q) of every window."""
    oh, ow = window_count(x.shape[2], kh, kh), window_count(x.shape[3], kw, kw)
    return [((p, q), x[:, :, p : oh * kh : kh, q : ow * kw : kw]) for p in range(kh) for q in range(kw)]


class _Pool2d(Layer):
    def __init__(self, kernel_size, stride=None, padding=0, name=""):
        super().__init__(name)
        self.kernel = pair(kernel_size)
        self.stride = self.kernel if stride is None else pair(stride)
        self.padding = pair(padding)
        self.blockwise = self.stride == self.kernel and self.padding == (0, 0)

    def _check(self, x):
        if x.ndim != 4:
            raise CnnlabError(
                f"layer {self.name} ({type(self).__name__}) expects (N, C, H, W), got shape {tuple(x.shape)}"
            )
        if x.shape[2] < self.kernel[0] or x.shape[3] < self.kernel[1]:
            raise CnnlabError(
                f"layer {self.name} ({type(self).__name__}): a {self.kernel[0]}x{self.kernel[1]} window "
                f"does not fit an input of {x.shape[2]}x{x.shape[3]}; the network is too deep for this image size"
            )


class MaxPool2d(_Pool2d):
    """y = max over each KxK window; dL/dx routes dout to the window's (first) arg-max, as torch does."""

    def forward(self, x, train=True):
        self._check(x)
        self.x = x
        if not self.blockwise:
            return max_pool2d(x, self.kernel, self.stride, self.padding)
        taps = _taps(x, *self.kernel)
        y = taps[0][1].copy()
        for _, tap in taps[1:]:
            np.maximum(y, tap, out=y)
        self.y = y
        return y

    def backward(self, dout):
        if not self.blockwise:
            return max_pool_backward(dout, self.x, self.kernel, self.stride, self.padding)
        (kh, kw), dx = self.kernel, np.zeros(self.x.shape, dtype=dout.dtype)
        unclaimed = np.ones(dout.shape, dtype=bool)  # windows whose arg-max is still to be found
        for (p, q), tap in _taps(self.x, kh, kw):  # taps in row-major order: the first maximum wins a tie
            hit = (tap == self.y) & unclaimed
            unclaimed &= ~hit
            dx[:, :, p : dout.shape[2] * kh : kh, q : dout.shape[3] * kw : kw] = dout * hit
        return dx


class AvgPool2d(_Pool2d):
    """y = mean over each KxK window (zero padding counted, torch's default); dL/dx = dout / (KH*KW) spread over it."""

    def forward(self, x, train=True):
        self._check(x)
        self.x_shape = x.shape
        if not self.blockwise:
            return avg_pool2d(x, self.kernel, self.stride, self.padding).astype(x.dtype, copy=False)
        taps = _taps(x, *self.kernel)
        y = taps[0][1].copy()
        for _, tap in taps[1:]:
            y += tap
        return y / len(taps)

    def backward(self, dout):
        if not self.blockwise:
            return avg_pool_backward(dout, self.x_shape, self.kernel, self.stride, self.padding).astype(
                dout.dtype, copy=False
            )
        (kh, kw), dx = self.kernel, np.zeros(self.x_shape, dtype=dout.dtype)
        share = dout / (kh * kw)
        for p in range(kh):
            for q in range(kw):
                dx[:, :, p : dout.shape[2] * kh : kh, q : dout.shape[3] * kw : kw] = share
        return dx
