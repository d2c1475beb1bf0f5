"""Every backward pass against torch autograd, and the lecture's statement that it is a convolution."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from cnnlab.conv import (
    conv2d,
    conv_backward,
    conv_transpose_backward,
    correlate,
    global_avg_pool_backward,
    global_max_pool_backward,
    max_pool_backward,
)
from conv_testing import MODES, TOL, TORCH_TRANSPOSE, conv_cases, fast, t, torch_layer, transpose_cases


@pytest.mark.parametrize("nd", [1, 2, 3])
@fast
@given(data=st.data())
def test_conv_backward_matches_autograd(nd, data):
    x, w, b, options = data.draw(conv_cases(nd, MODES, max_size=6 if nd < 3 else 4))
    layer = torch_layer(x, w, b, options)
    xt = t(x).requires_grad_()
    y = layer(xt)
    delta = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(t(delta))
    grads = conv_backward(delta, x, w, **options)
    np.testing.assert_allclose(grads.input, xt.grad.numpy(), **TOL)
    np.testing.assert_allclose(grads.weight, layer.weight.grad.numpy(), **TOL)
    if b is not None:
        np.testing.assert_allclose(grads.bias, layer.bias.grad.numpy(), **TOL)


@pytest.mark.parametrize("nd", [1, 2, 3])
@fast
@given(data=st.data())
def test_conv_transpose_backward_matches_autograd(nd, data):
    x, w, b, o = data.draw(transpose_cases(nd))
    xt, wt = t(x).requires_grad_(), t(w).requires_grad_()
    bt = None if b is None else t(b).requires_grad_()
    y = TORCH_TRANSPOSE[nd](xt, wt, bt, o["stride"], o["padding"], o["output_padding"], o["groups"], o["dilation"])
    delta = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(t(delta))
    grads = conv_transpose_backward(delta, x, w, **o)
    np.testing.assert_allclose(grads.input, xt.grad.numpy(), **TOL)
    np.testing.assert_allclose(grads.weight, wt.grad.numpy(), **TOL)
    if b is not None:
        np.testing.assert_allclose(grads.bias, bt.grad.numpy(), **TOL)


def test_1d_weight_gradient_is_the_lecture_formula():
    # the lecture's 1-D example: h_i = sum_j V_j x_{i+j-1}  =>  dL/dV_j = sum_i delta_i x_{i+j-1}
    rng = np.random.default_rng(2)
    x, v = rng.standard_normal(9), rng.standard_normal(3)
    delta = rng.standard_normal(9 - 3 + 1)
    by_formula = np.array([sum(delta[i] * x[i + j] for i in range(len(delta))) for j in range(3)])
    grads = conv_backward(delta[None, None], x[None, None], v[None, None])
    np.testing.assert_allclose(grads.weight[0, 0], by_formula, **TOL)
    np.testing.assert_allclose(grads.weight[0, 0], correlate(x, delta), **TOL)  # ... a correlation of x with delta


@fast
@given(conv_cases(2))
def test_weight_gradient_is_a_convolution_of_input_and_delta(case):
    # dw[o,c] = conv(x as (C, N, ...), delta as (O, N, ...)) with stride and dilation swapped
    x, w, _, options = case
    options.pop("padding_mode")
    groups = options.pop("groups")
    assume(groups == 1)
    delta = np.random.default_rng(3).standard_normal(conv2d(x, w, **options).shape)
    p = options["padding"]
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    as_conv = conv2d(xp.swapaxes(0, 1), delta.swapaxes(0, 1), stride=options["dilation"], dilation=options["stride"])
    kh, kw = w.shape[2:]
    np.testing.assert_allclose(
        conv_backward(delta, x, w, **options).weight, as_conv[:, :, :kh, :kw].swapaxes(0, 1), **TOL
    )


# max/avg pool backward against autograd: tests/conv/test_conv_pooling.py, beside their forward passes.


def test_max_pool_gradient_goes_only_to_the_arg_max():
    x = np.array([[[[1.0, 9.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(max_pool_backward(np.array([[[[5.0]]]]), x, 2), [[[[0, 5.0], [0, 0]]]])


def test_float32_gradients_keep_their_dtype():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((2, 3, 6, 6), dtype=np.float32), rng.standard_normal((4, 3, 3, 3), dtype=np.float32)
    grads = conv_backward(np.ones((2, 4, 6, 6), np.float32), x, w, padding=1)
    assert grads.input.dtype == grads.weight.dtype == np.float32


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 5), (1, 2, 3, 4, 2)])
def test_global_pool_backwards_match_autograd(shape):
    x = np.random.default_rng(7).standard_normal(shape)
    delta = np.random.default_rng(8).standard_normal(shape[:2])
    axes = tuple(range(2, len(shape)))
    for reduce, backward in (
        (torch.mean, lambda: global_avg_pool_backward(delta, x.shape)),
        (torch.amax, lambda: global_max_pool_backward(delta, x)),
    ):
        xt = t(x).requires_grad_()
        reduce(xt, dim=axes).backward(t(delta))
        np.testing.assert_allclose(backward(), xt.grad.numpy(), **TOL)
