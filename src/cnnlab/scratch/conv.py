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

Pooling with stride == kernel and no padding (the usual 2x2, stride 2) is a reshape: every window is a
block of the (N, C, OH, KH, OW, KW) view. Other settings use cnnlab.conv's general pooling functions.
"""

from __future__ import annotations

import numpy as np

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

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, init="he", rng=None,
                 dtype=np.float32, name="", input_grad=True):
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
            raise CnnlabError(f"layer {self.name} (Conv2d): a {self.kernel[0]}x{self.kernel[1]} kernel does not fit "
                              f"an input of {x.shape[2]}x{x.shape[3]} padded by {ph}x{pw}; use a smaller kernel or more padding")
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


def _blocks(x, kh, kw):
    """(N, C, H, W) -> (N, C, OH, OW, KH*KW): the non-overlapping windows (the cut-off edge is dropped, floor mode)."""
    n, c, h, w = x.shape
    oh, ow = h // kh, w // kw
    x = x[:, :, : oh * kh, : ow * kw].reshape(n, c, oh, kh, ow, kw)
    return x.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, kh * kw)


def _unblocks(blocks, x_shape, kh, kw):
    """The adjoint of _blocks: (N, C, OH, OW, KH*KW) back to (N, C, H, W), zeros where the edge was dropped."""
    n, c, oh, ow, _ = blocks.shape
    inner = blocks.reshape(n, c, oh, ow, kh, kw).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh * kh, ow * kw)
    if inner.shape == tuple(x_shape):
        return inner
    out = np.zeros(x_shape, dtype=blocks.dtype)
    out[:, :, : oh * kh, : ow * kw] = inner
    return out


class _Pool2d(Layer):
    def __init__(self, kernel_size, stride=None, padding=0, name=""):
        super().__init__(name)
        self.kernel = pair(kernel_size)
        self.stride = self.kernel if stride is None else pair(stride)
        self.padding = pair(padding)
        self.blockwise = self.stride == self.kernel and self.padding == (0, 0)

    def _check(self, x):
        if x.ndim != 4:
            raise CnnlabError(f"layer {self.name} ({type(self).__name__}) expects (N, C, H, W), got shape {tuple(x.shape)}")
        if x.shape[2] < self.kernel[0] or x.shape[3] < self.kernel[1]:
            raise CnnlabError(f"layer {self.name} ({type(self).__name__}): a {self.kernel[0]}x{self.kernel[1]} window "
                              f"does not fit an input of {x.shape[2]}x{x.shape[3]}; the network is too deep for this image size")


class MaxPool2d(_Pool2d):
    """y = max over each KxK window; dL/dx routes dout to the window's (first) arg-max, as torch does."""

    def forward(self, x, train=True):
        self._check(x)
        self.x_shape = x.shape
        if not self.blockwise:
            self.x = x
            return max_pool2d(x, self.kernel, self.stride, self.padding)
        blocks = _blocks(x, *self.kernel)
        self.argmax = blocks.argmax(axis=-1)[..., None]
        return np.take_along_axis(blocks, self.argmax, axis=-1)[..., 0]

    def backward(self, dout):
        if not self.blockwise:
            return max_pool_backward(dout, self.x, self.kernel, self.stride, self.padding)
        grad = np.zeros((*dout.shape, self.kernel[0] * self.kernel[1]), dtype=dout.dtype)
        np.put_along_axis(grad, self.argmax, dout[..., None], axis=-1)
        return _unblocks(grad, self.x_shape, *self.kernel)


class AvgPool2d(_Pool2d):
    """y = mean over each KxK window (zero padding counted, torch's default); dL/dx = dout / (KH*KW) spread over it."""

    def forward(self, x, train=True):
        self._check(x)
        self.x_shape = x.shape
        if not self.blockwise:
            return avg_pool2d(x, self.kernel, self.stride, self.padding).astype(x.dtype, copy=False)
        return _blocks(x, *self.kernel).mean(axis=-1)

    def backward(self, dout):
        if not self.blockwise:
            return avg_pool_backward(dout, self.x_shape, self.kernel, self.stride, self.padding).astype(dout.dtype, copy=False)
        kk = self.kernel[0] * self.kernel[1]
        share = np.broadcast_to((dout / kk)[..., None], (*dout.shape, kk))
        return _unblocks(np.ascontiguousarray(share), self.x_shape, *self.kernel)
