"""Pooling and its backward against torch, the lecture example, and max pooling's local shift invariance."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st

from cnnlab.conv import (
    avg_pool1d,
    avg_pool2d,
    avg_pool_backward,
    global_avg_pool,
    global_max_pool,
    max_pool1d,
    max_pool2d,
    max_pool_backward,
)
from cnnlab.errors import CnnlabError
from conv_testing import TOL, fast, pool_cases, t


def test_lecture_max_pool_example():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
    y = max_pool2d(x, 2)
    assert y.tolist() == [[6, 8], [3, 4]]
    assert y.tolist() == F.max_pool2d(t(x)[None].double(), 2)[0].int().tolist()


def test_pooling_halves_each_plane_and_keeps_channels():
    x = np.random.default_rng(0).standard_normal((1, 64, 16, 16))
    assert max_pool2d(x, 2, 2).shape == (1, 64, 8, 8)  # 64x224x224 -> 64x112x112 at lecture scale


def check_against_torch(torch_pool, pool, backward, x, options):
    """Forward and backward equal torch's; where torch refuses the geometry, cnnlab refuses it too."""
    xt = t(x).requires_grad_()
    try:
        y = torch_pool(xt, **options)
    except RuntimeError:
        with pytest.raises(CnnlabError, match="does not fit"):
            pool(x, **options)
        return
    np.testing.assert_allclose(pool(x, **options), y.detach().numpy(), **TOL)
    assume(torch.isfinite(y).all())  # a window wholly in the padding has no arg-max; torch picks one arbitrarily
    delta = np.random.default_rng(4).standard_normal(y.shape)
    y.backward(t(delta))
    np.testing.assert_allclose(backward(delta, x, **options), xt.grad.numpy(), **TOL)


@pytest.mark.parametrize("nd", [1, 2])
@fast
@given(data=st.data())
def test_max_pool_and_its_backward_match_torch(nd, data):
    x, options, dilation = data.draw(pool_cases(nd))
    torch_pool, pool = (F.max_pool1d, max_pool1d) if nd == 1 else (F.max_pool2d, max_pool2d)
    check_against_torch(torch_pool, pool, max_pool_backward, x, dict(options, dilation=dilation))


@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("count_include_pad", [True, False])
@fast
@given(data=st.data())
def test_avg_pool_and_its_backward_match_torch(nd, count_include_pad, data):
    x, options, _ = data.draw(pool_cases(nd, dilation=False))
    torch_pool, pool = (F.avg_pool1d, avg_pool1d) if nd == 1 else (F.avg_pool2d, avg_pool2d)

    def backward(delta, x, **o):
        return avg_pool_backward(delta, x.shape, **o)

    check_against_torch(torch_pool, pool, backward, x, dict(options, count_include_pad=count_include_pad))


def test_global_pools_match_torch():
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6))
    np.testing.assert_allclose(global_avg_pool(x), F.adaptive_avg_pool2d(t(x), 1).numpy()[:, :, 0, 0], **TOL)
    np.testing.assert_allclose(global_max_pool(x, keepdims=True), F.adaptive_max_pool2d(t(x), 1).numpy(), **TOL)


@fast
@given(st.integers(0, 2**32 - 1))
def test_max_pool_is_invariant_to_a_shift_inside_the_window(seed):
    # g(T x) = g(x) for small shifts: moving each window's maximum by one pixel within its 2x2 window
    rng = np.random.default_rng(seed)
    x = np.zeros((8, 8))
    peaks = rng.uniform(1, 2, (4, 4))
    x[0::2, 0::2] = peaks  # every maximum at the top-left of its 2x2 window
    shifted = np.roll(x, 1, axis=1)  # ... moved one column right, still inside the same window
    np.testing.assert_array_equal(max_pool2d(x, 2), max_pool2d(shifted, 2))
    np.testing.assert_array_equal(max_pool2d(x, 2), peaks)
    assert not np.array_equal(x, shifted)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: max_pool2d(np.ones((4, 4)), 2, padding=2), "at most half"),
        (lambda: max_pool2d(np.ones((1, 1)), 3), "does not fit"),
        (lambda: avg_pool1d(np.ones(4), 0), "kernel_size must be"),
        (lambda: max_pool2d(np.ones(4), 2), "needs an input of shape"),
    ],
)
def test_invalid_pools_are_one_clear_error(call, match):
    with pytest.raises(CnnlabError, match=match):
        call()
