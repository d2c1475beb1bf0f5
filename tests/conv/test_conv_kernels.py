"""Named kernels: their defining properties, checked by applying them."""

import numpy as np
import pytest
import scipy.ndimage

from cnnlab.conv import correlate, kernels
from cnnlab.errors import CnnlabError

SMOOTHING = ["identity", "box", "gaussian", "binomial"]
ZERO_SUM = ["sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "laplacian4", "laplacian8", "edge"]


def test_names_cover_every_kernel_and_get_builds_each():
    assert set(kernels.names()) == set(SMOOTHING + ZERO_SUM + ["sharpen", "emboss"])
    for name in kernels.names():
        k = kernels.get(name)
        assert k.ndim == 2 and k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1


@pytest.mark.parametrize("name", SMOOTHING + ["sharpen", "emboss"])
def test_brightness_preserving_kernels_leave_a_flat_image_flat(name):
    flat = np.full((9, 9), 0.7)
    np.testing.assert_allclose(correlate(flat, kernels.get(name)), 0.7, atol=1e-12)


@pytest.mark.parametrize("name", ZERO_SUM)
def test_edge_kernels_give_zero_on_a_flat_image(name):
    np.testing.assert_allclose(correlate(np.full((9, 9), 0.7), kernels.get(name)), 0, atol=1e-12)


def test_lecture_kernels_have_the_lecture_values():
    np.testing.assert_array_equal(kernels.box(3), np.full((3, 3), 1 / 9))
    np.testing.assert_array_equal(kernels.binomial(3) * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    np.testing.assert_array_equal(kernels.laplacian4(), [[0, -1, 0], [-1, 4, -1], [0, -1, 0]])
    np.testing.assert_array_equal(kernels.laplacian8(), [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    np.testing.assert_array_equal(kernels.sharpen(), [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    np.testing.assert_array_equal(kernels.edge(), [[0.25, 0, -0.25], [0.5, 0, -0.5], [0.25, 0, -0.25]])


def test_sobel_measures_the_slope_of_a_ramp():
    ramp = np.tile(np.arange(8.0), (8, 1)) * 0.5  # rises by 0.5 per column
    np.testing.assert_allclose(correlate(ramp, kernels.sobel_x()), 4 * 2 * 0.5)  # (1+2+1) x (x+1 - (x-1))
    np.testing.assert_allclose(correlate(ramp, kernels.sobel_y()), 0)
    np.testing.assert_allclose(correlate(ramp, kernels.sobel_x()), scipy.ndimage.sobel(ramp, axis=1)[1:-1, 1:-1])


def test_gaussian_matches_scipy_gaussian_filter_on_an_impulse():
    impulse = np.zeros((11, 11))
    impulse[5, 5] = 1.0
    k = kernels.gaussian(5, sigma=1.2)
    blurred = scipy.ndimage.gaussian_filter(impulse, 1.2, mode="constant", truncate=2 / 1.2)
    np.testing.assert_allclose(correlate(impulse, k, "same")[3:8, 3:8], blurred[3:8, 3:8] / blurred.sum(), atol=1e-12)


def test_binomial_5_is_the_1_over_256_kernel():
    row = np.array([1, 4, 6, 4, 1])
    np.testing.assert_array_equal(kernels.binomial(5) * 256, np.outer(row, row))


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: kernels.get("blur"), "unknown kernel 'blur'; known kernels: identity"),
        (lambda: kernels.box(4), "positive odd integer"),
        (lambda: kernels.gaussian(5, 0), "sigma must be > 0"),
        (lambda: kernels.get("sobel_x", size=5), "fixed 3x3"),
    ],
)
def test_bad_kernel_requests_are_clear_errors(call, match):
    with pytest.raises(CnnlabError, match=match):
        call()
