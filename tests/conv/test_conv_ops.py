"""convolve / correlate against numpy.convolve, scipy.signal and torch, plus the algebra of convolution."""

import numpy as np
import pytest
import scipy.signal
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from cnnlab.conv import convolve, correlate
from cnnlab.errors import CnnlabError
from conv_testing import TOL, fast, t


def arrays(nd, low=1, high=6):
    shapes = st.tuples(*(st.integers(low, high) for _ in range(nd)))
    return shapes.flatmap(
        lambda s: st.integers(0, 2**32 - 1).map(lambda seed: np.random.default_rng(seed).standard_normal(s))
    )


# --- worked examples from the lectures ---


def test_lecture_1d_convolution():
    a, b = [1, 2, 3, 4], [5, 6, 7, 8]
    result = convolve(a, b)
    assert result.tolist() == [5, 16, 34, 60, 61, 52, 32]
    assert result.tolist() == np.convolve(a, b).tolist()


def test_lecture_2d_cross_correlation_first_output_is_19():
    x = np.arange(9).reshape(3, 3)
    k = np.array([[0, 1], [2, 3]])
    y = correlate(x, k)
    assert y[0, 0] == 0 * 0 + 1 * 1 + 2 * 3 + 3 * 4 == 19
    np.testing.assert_array_equal(y, scipy.signal.correlate(x, k, mode="valid"))


def test_two_dice_sum_distribution_is_a_convolution():
    die = np.full(6, 1 / 6)
    two = convolve(die, die)
    brute = np.zeros(11)
    for i in range(6):
        for j in range(6):
            brute[i + j] += 1 / 36  # sums 2..12
    np.testing.assert_allclose(two, brute, **TOL)


def test_moving_average_is_convolution_with_a_box():
    x = np.random.default_rng(0).standard_normal(20)
    expected = np.array([x[i : i + 3].mean() for i in range(18)])
    np.testing.assert_allclose(convolve(x, np.full(3, 1 / 3), mode="valid"), expected, **TOL)


# --- against numpy and scipy ---


@fast
@given(arrays(1, high=9), arrays(1, high=9))
def test_1d_matches_numpy_convolve_full_and_valid(a, b):
    np.testing.assert_allclose(convolve(a, b), np.convolve(a, b), **TOL)
    if len(b) <= len(a):
        np.testing.assert_allclose(convolve(a, b, "valid"), np.convolve(a, b, "valid"), **TOL)
        np.testing.assert_allclose(correlate(a, b, "valid"), np.correlate(a, b, "valid"), **TOL)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@fast
@given(data=st.data())
def test_matches_scipy_signal_in_every_mode(nd, mode, data):
    x = data.draw(arrays(nd, low=3, high=6))
    k = data.draw(arrays(nd, low=1, high=3))
    np.testing.assert_allclose(convolve(x, k, mode), scipy.signal.convolve(x, k, mode, method="direct"), **TOL)
    np.testing.assert_allclose(correlate(x, k, mode), scipy.signal.correlate(x, k, mode, method="direct"), **TOL)


@pytest.mark.parametrize("nd", [1, 2, 3])
@fast
@given(data=st.data())
def test_stride_padding_dilation_match_torch_conv(nd, data):
    x = data.draw(arrays(nd, low=4, high=7))
    k = data.draw(arrays(nd, low=1, high=3))
    stride, padding, dilation = data.draw(st.integers(1, 3)), data.draw(st.integers(0, 2)), data.draw(st.integers(1, 2))
    if any(i + 2 * padding < dilation * (kk - 1) + 1 for i, kk in zip(x.shape, k.shape)):
        return
    conv = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
    expected = conv(t(x)[None, None], t(k)[None, None], stride=stride, padding=padding, dilation=dilation)[0, 0]
    got = correlate(x, k, "valid", stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_allclose(got, expected.numpy(), **TOL)


def test_per_side_padding_matches_torch_pad():
    x = np.random.default_rng(1).standard_normal((5, 6))
    k = np.random.default_rng(2).standard_normal((2, 3))
    got = correlate(x, k, padding=((1, 0), (2, 3)))
    padded = F.pad(t(x), (2, 3, 1, 0))  # torch lists the last axis first
    np.testing.assert_allclose(got, F.conv2d(padded[None, None], t(k)[None, None])[0, 0].numpy(), **TOL)


def test_integer_inputs_give_exact_integers():
    y = correlate(np.arange(9).reshape(3, 3), np.array([[0, 1], [2, 3]]))
    assert y.dtype.kind == "i" and y.tolist() == [[19, 25], [37, 43]]


# --- algebra ---


@fast
@given(arrays(2), arrays(2))
def test_full_convolution_is_commutative(a, b):
    np.testing.assert_allclose(convolve(a, b), convolve(b, a), **TOL)


@fast
@given(arrays(1), arrays(1), arrays(1))
def test_full_convolution_is_associative(a, b, c):
    np.testing.assert_allclose(convolve(convolve(a, b), c), convolve(a, convolve(b, c)), **TOL)


def test_correlation_is_not_commutative():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 5.0])
    assert not np.allclose(correlate(a, b, "full"), correlate(b, a, "full"))
    np.testing.assert_allclose(correlate(a, b, "full"), correlate(b, a, "full")[::-1], **TOL)  # it reverses


@fast
@given(
    arrays(2, low=3), arrays(2, low=3), st.floats(-3, 3), st.floats(-3, 3), st.sampled_from(["full", "same", "valid"])
)
def test_linearity(x, y, alpha, beta, mode):
    if x.shape != y.shape:
        y = np.resize(y, x.shape)
    k = np.random.default_rng(3).standard_normal((2, 2))
    lhs = convolve(alpha * x + beta * y, k, mode)
    rhs = alpha * convolve(x, k, mode) + beta * convolve(y, k, mode)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-9)


def test_convolution_flips_the_kernel():
    x, k = np.array([0.0, 0, 1, 0, 0]), np.array([1.0, 2, 3])
    np.testing.assert_array_equal(convolve(x, k, "same"), [0, 1, 2, 3, 0])  # an impulse returns the kernel
    np.testing.assert_array_equal(correlate(x, k, "same"), [0, 3, 2, 1, 0])  # reversed


# --- errors ---


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: correlate([1, 2], [1, 2, 3], stride=2), "larger than the input"),  # no swap with a stride
        (lambda: correlate(np.ones((2, 3)), np.ones((3, 2))), "at least as large as the other"),
        (lambda: correlate([1, 2, 3], [1], stride=0), "stride must be an integer >= 1"),
        (lambda: correlate([1, 2, 3], [1], mode="middle"), "mode must be one of"),
        (lambda: correlate(np.ones((2, 2)), [1]), "same rank"),
        (lambda: correlate(np.ones((2, 2, 2, 2)), np.ones((1, 1, 1, 1))), "1-D, 2-D or 3-D"),
        (lambda: correlate([1, 2, 3], [1], padding=-1), "padding must be an integer >= 0"),
    ],
)
def test_invalid_input_is_one_clear_error(call, match):
    with pytest.raises(CnnlabError, match=match):
        call()
