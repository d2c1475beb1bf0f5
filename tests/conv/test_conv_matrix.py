"""Convolution as a matrix product, and fully connected vs shared weights on the same input."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

from cnnlab.conv import as_matrix, convolve, correlate, weight_counts
from cnnlab.errors import CnnlabError
from conv_testing import TOL, fast


@pytest.mark.parametrize("nd", [1, 2, 3])
@fast
@given(data=st.data())
def test_convolution_equals_the_matrix_product(nd, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal(tuple(data.draw(st.integers(3, 6)) for _ in range(nd)))
    k = rng.standard_normal(tuple(data.draw(st.integers(1, 3)) for _ in range(nd)))
    mode = data.draw(st.sampled_from(["valid", "same", "full"]))
    options = dict(
        stride=data.draw(st.integers(1, 2)), padding=data.draw(st.integers(0, 1)), dilation=data.draw(st.integers(1, 2))
    )
    try:
        m = as_matrix(k, x.shape, mode, **options)
    except CnnlabError:  # the kernel does not fit: correlate must refuse it too
        with pytest.raises(CnnlabError, match="larger than the input"):
            correlate(x, k, mode, **options)
        return
    np.testing.assert_allclose(m @ x.ravel(), correlate(x, k, mode, **options).ravel(), **TOL)
    m = as_matrix(k, x.shape, mode, convolution=True, **options)
    np.testing.assert_allclose(m @ x.ravel(), convolve(x, k, mode, **options).ravel(), **TOL)


def test_1d_full_convolution_matrix_is_toeplitz():
    k = np.array([5.0, 6.0, 7.0, 8.0])
    m = as_matrix(k, (4,), "full", convolution=True)
    expected = scipy.linalg.toeplitz(np.r_[k, 0, 0, 0], np.r_[k[0], 0, 0, 0])
    np.testing.assert_array_equal(m, expected)
    assert (m @ np.array([1.0, 2, 3, 4])).tolist() == [5, 16, 34, 60, 61, 52, 32]


def test_2d_matrix_is_doubly_block_toeplitz():
    # blocks (one per output row / input row) are Toeplitz, and equal along block diagonals
    k = np.arange(1.0, 5.0).reshape(2, 2)
    m = as_matrix(k, (3, 4), "valid")  # out 2x3 -> blocks of 3x4
    blocks = m.reshape(2, 3, 3, 4).transpose(0, 2, 1, 3)  # [out row, in row] -> 3x4 block
    np.testing.assert_array_equal(blocks[0, 0], blocks[1, 1])
    np.testing.assert_array_equal(blocks[0, 1], blocks[1, 2])
    np.testing.assert_array_equal(blocks[1, 0], 0)
    for block in (blocks[0, 0], blocks[0, 1]):
        np.testing.assert_array_equal(block, scipy.linalg.toeplitz(block[:, 0], block[0]))


def test_fully_connected_vs_convolution_weights_on_28x28():
    counts = weight_counts((3, 3), (28, 28))
    assert counts.matrix_shape == (26 * 26, 28 * 28)
    assert counts.fully_connected == 676 * 784 and counts.band == 676 * 9 and counts.convolution == 9


def test_kernel_that_does_not_fit_is_a_clear_error():
    with pytest.raises(CnnlabError, match="does not fit"):
        as_matrix(np.ones((4, 4)), (3, 3))
