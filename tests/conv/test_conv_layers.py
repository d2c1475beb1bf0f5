"""conv1d/2d/3d and conv_transpose1d/2d/3d against torch, and the readable loops against the fast path."""

import numpy as np
import pytest
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from cnnlab.conv import (
    conv1d,
    conv2d,
    conv2d_reference,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose2d_reference,
    conv_transpose3d,
)
from cnnlab.errors import CnnlabError
from conv_testing import MODES, TOL, TORCH_TRANSPOSE, conv_cases, fast, t, torch_layer, transpose_cases

CONV = {1: conv1d, 2: conv2d, 3: conv3d}
TRANSPOSE = {1: conv_transpose1d, 2: conv_transpose2d, 3: conv_transpose3d}


@pytest.mark.parametrize("nd", [1, 2, 3])
@fast
@given(data=st.data())
def test_conv_layers_match_torch(nd, data):
    x, w, b, options = data.draw(conv_cases(nd, MODES, max_size=6 if nd < 3 else 4))
    expected = torch_layer(x, w, b, options)(t(x)).detach().numpy()
    np.testing.assert_allclose(CONV[nd](x, w, b, **options), expected, **TOL)


@fast
@given(conv_cases(2))
def test_reference_loops_equal_the_im2col_path(case):
    x, w, b, options = case
    options.pop("padding_mode")
    np.testing.assert_allclose(conv2d_reference(x, w, b, **options), conv2d(x, w, b, **options), **TOL)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel", [3, 4])
def test_string_padding_matches_torch(padding, kernel):
    rng = np.random.default_rng(kernel)
    x, w = rng.standard_normal((1, 2, 7, 6)), rng.standard_normal((3, 2, kernel, kernel - 1))
    expected = F.conv2d(t(x), t(w), padding=padding, dilation=(1, 2)).numpy()
    np.testing.assert_allclose(conv2d(x, w, padding=padding, dilation=(1, 2)), expected, **TOL)


@pytest.mark.parametrize("nd", [1, 2, 3])
@fast
@given(data=st.data())
def test_transposed_conv_matches_torch(nd, data):
    x, w, b, o = data.draw(transpose_cases(nd))
    expected = TORCH_TRANSPOSE[nd](
        t(x),
        t(w),
        None if b is None else t(b),
        o["stride"],
        o["padding"],
        o["output_padding"],
        o["groups"],
        o["dilation"],
    ).numpy()
    np.testing.assert_allclose(TRANSPOSE[nd](x, w, b, **o), expected, **TOL)
    if nd == 2:
        np.testing.assert_allclose(conv_transpose2d_reference(x, w, b, **o), expected, **TOL)


@pytest.mark.parametrize("n", [2, 4, 8])
def test_transposed_rule_kernel_2n_stride_n_padding_n_over_2_upsamples_n_times(n):
    # U-Net upsampling (kernel 2N, stride N, padding N/2): O = (I-1)N - 2(N/2) + (2N-1) + 1 = N*I,
    # for even N (N/2 an integer)
    x = np.random.default_rng(n).standard_normal((1, 2, 5, 7))
    w = np.random.default_rng(n + 10).standard_normal((2, 3, 2 * n, 2 * n))
    y = conv_transpose2d(x, w, stride=n, padding=n // 2)
    assert y.shape == (1, 3, 5 * n, 7 * n)
    np.testing.assert_allclose(y, F.conv_transpose2d(t(x), t(w), stride=n, padding=n // 2).numpy(), **TOL)


@fast
@given(conv_cases(2))
def test_transposed_conv_is_the_adjoint_of_conv(case):
    # <conv(x), y> == <x, conv_transpose(y)> for zero padding: the definition of the transpose
    x, w, _, options = case
    options.pop("padding_mode")
    y = np.random.default_rng(0).standard_normal(conv2d(x, w, **options).shape)
    axes = zip(x.shape[2:], y.shape[2:], w.shape[2:], options["padding"], options["stride"], options["dilation"])
    extra = tuple(i + 2 * p - ((o - 1) * s + d * (k - 1) + 1) for i, o, k, p, s, d in axes)
    if any(e >= max(s, d) for e, s, d in zip(extra, options["stride"], options["dilation"])):
        return  # torch's output_padding limit; the gradient tests cover these shapes
    back = conv_transpose2d(y, w, output_padding=extra, **options)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.vdot(conv2d(x, w, **options), y), np.vdot(x, back), rtol=1e-10)


@fast
@given(st.integers(0, 5), st.integers(0, 6), st.integers(0, 2**32 - 1))
def test_shift_equivariance_with_circular_padding(dy, dx, seed):
    # f(T x) = T f(x): shifting the input (cyclically) shifts the output the same way
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((1, 2, 6, 7)), rng.standard_normal((3, 2, 3, 3))

    def f(a):
        return conv2d(a, w, padding=1, padding_mode="circular")

    def shift(a):
        return np.roll(a, (dy, dx), axis=(2, 3))

    np.testing.assert_allclose(f(shift(x)), shift(f(x)), **TOL)


def test_float32_stays_float32_and_close_to_torch():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 9, 9), dtype=np.float32), rng.standard_normal((4, 3, 3, 3), dtype=np.float32)
    y = conv2d(x, w, padding=1)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, F.conv2d(t(x), t(w), padding=1).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 2, 3, 3))), "does not fit 3 input channels"),
        (lambda: conv2d(np.ones((1, 4, 5, 5)), np.ones((3, 2, 3, 3)), groups=2), "divide the 3 output channels"),
        (lambda: conv2d(np.ones((1, 3, 5, 5)), np.ones((3, 1, 3, 3)), groups=2), "must be a positive integer dividing"),
        (lambda: conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))), "spans 3 > padded input 2"),
        (lambda: conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=0), "stride must be"),
        (lambda: conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), padding_mode="mirror"), "padding_mode must be"),
        (
            lambda: conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 1, 1)), padding=2, padding_mode="reflect"),
            "reflect padding",
        ),
        (lambda: conv2d(np.ones((5, 5)), np.ones((3, 3))), "expects input \\(N, C, H, W\\)"),
        (lambda: conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=2, padding="same"), "needs stride 1"),
        (
            lambda: conv_transpose2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), stride=2, output_padding=2),
            "output_padding",
        ),
    ],
)
def test_invalid_layers_are_one_clear_error(call, match):
    with pytest.raises(CnnlabError, match=match):
        call()
