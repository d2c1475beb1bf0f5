"""cnnlab.conv.convolve/correlate keep the promise of their docstrings: scipy.signal's and numpy's semantics.

The expected values below are ported from the libraries' own test suites, with the file they come from:
numpy/_core/tests/test_numeric.py (TestCorrelate, TestConvolve) and scipy/signal/tests/test_signaltools.py
(TestConvolve, TestConvolve2d, TestCorrelateReal, TestCorrelateComplex, TestCorrelate, TestCorrelate2d).
cnnlab.correlate's default mode is "valid" (a conv layer's), scipy's is "full": modes are given explicitly.
"""

from decimal import Decimal

import numpy as np
import pytest
import scipy.signal
from numpy.testing import assert_array_almost_equal, assert_array_equal

from cnnlab.conv import convolve, correlate
from cnnlab.errors import CnnlabError

# --- numpy/_core/tests/test_numeric.py :: TestCorrelate ---

NUMPY_X = [1, 2, 3, 4, 5]
NUMPY_Y = [-1, -2, -3]


@pytest.mark.parametrize("dtype", [float, Decimal])
def test_numpy_correlate_float_and_object(dtype):
    x, y = np.array(NUMPY_X, dtype=dtype), np.array(NUMPY_Y, dtype=dtype)
    z1 = np.array([-3.0, -8.0, -14.0, -20.0, -26.0, -14.0, -5.0])
    z2 = np.array([-5.0, -14.0, -26.0, -20.0, -14.0, -8.0, -3.0])
    assert_array_almost_equal(correlate(x, y, "full").astype(float), z1)
    assert_array_almost_equal(correlate(y, x, "full").astype(float), z2)
    if dtype is float:
        assert_array_almost_equal(correlate(x, y[:-1], "full"), [-2.0, -5.0, -8.0, -11.0, -14.0, -5.0])
        assert_array_almost_equal(correlate(x[::-1], y, "full"), [-15.0, -22.0, -22.0, -16.0, -10.0, -4.0, -1.0])
        assert_array_almost_equal(correlate(y, x[::-1], "full"), [-1.0, -4.0, -10.0, -16.0, -22.0, -22.0, -15.0])
        xs = np.arange(1, 20)[::3]
        assert_array_almost_equal(
            correlate(xs, y, "full"), [-3.0, -14.0, -30.0, -48.0, -66.0, -84.0, -102.0, -54.0, -19.0]
        )


def test_numpy_correlate_complex_conjugates_the_second_argument():
    x = np.array([1, 2, 3, 4 + 1j], dtype=complex)
    y = np.array([-1, -2j, 3 + 1j], dtype=complex)
    r_z = np.array([3 - 1j, 6, 8 + 1j, 11 + 5j, -5 + 8j, -4 - 1j], dtype=complex)[::-1].conjugate()
    assert_array_almost_equal(correlate(y, x, mode="full"), r_z)
    assert_array_almost_equal(correlate(x, y, mode="full"), np.correlate(x, y, mode="full"))


def test_numpy_no_overwrite():
    d, k = np.ones(100), np.ones(3)
    correlate(d, k)
    convolve(d, k)
    assert_array_equal(d, np.ones(100))
    assert_array_equal(k, np.ones(3))


def test_numpy_zero_size_is_a_value_error():
    with pytest.raises(ValueError):
        correlate(np.array([]), np.ones(1000), mode="full")
    with pytest.raises(ValueError):
        convolve(np.ones(1000), np.array([]), mode="full")


@pytest.mark.parametrize("function,default", [(correlate, "valid"), (convolve, "full")])
def test_numpy_mode_errors(function, default):
    d, k = np.ones(100), np.ones(3)
    with pytest.raises(ValueError):
        function(d, k, mode="v")
    with pytest.raises(ValueError):
        function(d, k, mode=-1)  # integer mode out of numpy's 0, 1, 2
    with pytest.raises(TypeError):
        function(d, k, mode=None)
    assert_array_equal(function(d, k, mode=2), function(d, k, mode="full"))
    assert_array_equal(function(d, k), function(d, k, mode=default))


def test_numpy_convolve_object():
    d, k = [1.0] * 100, [1.0] * 3
    assert_array_almost_equal(convolve(d, k)[2:-2], np.full(98, 3))


# --- scipy/signal/tests/test_signaltools.py :: TestConvolve ---


def test_scipy_convolve_basic_same_and_complex():
    assert_array_equal(convolve([3, 4, 5, 6, 5, 4], [1, 2, 3]), [3, 10, 22, 28, 32, 32, 23, 12])
    assert_array_equal(convolve([3, 4, 5], [1, 2, 3, 4], mode="same"), [10, 22, 34])
    assert_array_equal(convolve([3, 4, 5], [1, 2, 3], mode="same"), [10, 22, 22])
    assert_array_equal(convolve([1 + 1j, 2 + 1j, 3 + 1j], [1 + 1j, 2 + 1j]), [2j, 2 + 6j, 5 + 8j, 5 + 5j])
    assert_array_equal(convolve([4967], [3920]), [4967 * 3920])
    assert_array_equal(
        convolve([1, 2, 3, 3, 1, 2], [1, 4, 3, 4, 5, 6, 7, 4, 3, 2, 1, 1, 3], "same"), [57, 61, 63, 57, 45, 36]
    )


def test_scipy_convolve_2d_arrays():
    a, b = [[1, 2, 3], [3, 4, 5]], [[2, 3, 4], [4, 5, 6]]
    assert_array_equal(convolve(a, b), [[2, 7, 16, 17, 12], [10, 30, 62, 58, 38], [12, 31, 58, 49, 30]])


def test_scipy_convolve_input_swapping_3d():
    small = np.arange(8).reshape(2, 2, 2)
    big = 1j * np.arange(27, dtype=np.complex128).reshape(3, 3, 3)
    big += np.arange(27, dtype=np.complex128)[::-1].reshape(3, 3, 3)
    out = scipy.signal.convolve(small, big, "full", method="direct")  # the test's 4x4x4 table, recomputed
    assert out[1, 1, 1] == 632 + 96j and out[3, 3, 3] == 0 + 182j  # two entries of the table in scipy's test
    assert_array_equal(convolve(small, big, "full"), out)
    assert_array_equal(convolve(big, small, "full"), out)
    assert_array_equal(convolve(small, big, "same"), out[1:3, 1:3, 1:3])
    assert_array_equal(convolve(big, small, "same"), out[0:3, 0:3, 0:3])
    assert_array_equal(convolve(small, big, "valid"), out[1:3, 1:3, 1:3])
    assert_array_equal(convolve(big, small, "valid"), out[1:3, 1:3, 1:3])


def test_scipy_convolve_valid_mode_swaps():  # gh-5897
    a, b = [1, 2, 3, 6, 5, 3], [2, 3, 4, 5, 3, 4, 2, 2, 1]
    assert_array_equal(convolve(a, b, "valid"), [70, 78, 73, 65])
    assert_array_equal(convolve(b, a, "valid"), [70, 78, 73, 65])
    a, b = [1 + 5j, 2 - 1j, 3 + 0j], [2 - 3j, 1 + 0j]
    assert_array_equal(convolve(a, b, "valid"), [2 - 3j, 8 - 10j])
    assert_array_equal(convolve(b, a, "valid"), [2 - 3j, 8 - 10j])


@pytest.mark.parametrize("function", [convolve, correlate])
def test_scipy_invalid_shapes_and_params(function):
    a, b = np.arange(1, 7).reshape(2, 3), np.arange(-6, 0).reshape(3, 2)
    with pytest.raises(ValueError):
        function(a, b, mode="valid")
    with pytest.raises(ValueError):
        function(b, a, mode="valid")
    with pytest.raises(ValueError):
        function([3, 4, 5], [1, 2, 3], mode="spam")
    with pytest.raises(ValueError):  # mismatched dims
        function([1], [[2]])


# --- scipy/signal/tests/test_signaltools.py :: TestConvolve2d ---


def test_scipy_convolve2d_valid_modes():
    e = [[2, 3, 4, 5, 6, 7, 8], [4, 5, 6, 7, 8, 9, 10]]
    f = [[1, 2, 3], [3, 4, 5]]
    assert_array_equal(convolve(e, f, "valid"), [[62, 80, 98, 116, 134]])
    assert_array_equal(convolve(f, e, "valid"), [[62, 80, 98, 116, 134]])
    fc = np.array(f, dtype=np.complex128) + 1j
    expected = [[62.0 + 24.0j, 80.0 + 30.0j, 98.0 + 36.0j, 116.0 + 42.0j, 134.0 + 48.0j]]
    assert_array_almost_equal(convolve(e, fc, "valid"), expected)
    assert_array_equal(convolve(fc, e, "valid"), expected)
    e2 = [[1 + 1j, 2 - 3j], [3 + 1j, 4 + 0j]]
    f2 = [[2 - 1j, 3 + 2j, 4 + 0j], [4 - 0j, 5 + 1j, 6 - 3j]]
    assert_array_equal(convolve(e2, f2, "valid"), [[27 - 1j, 46.0 + 2j]])
    assert_array_equal(convolve(f2, e2, "valid"), [[27 - 1j, 46.0 + 2j]])
    assert_array_equal(convolve(f, e, "same"), [[22, 28, 34], [80, 98, 116]])


# --- scipy/signal/tests/test_signaltools.py :: TestCorrelateReal ---

RANK3_FULL = np.array(
    [
        [
            [0.0, 184.0, 504.0, 912.0, 1360.0, 888.0, 472.0, 160.0],
            [46.0, 432.0, 1062.0, 1840.0, 2672.0, 1698.0, 864.0, 266.0],
            [134.0, 736.0, 1662.0, 2768.0, 3920.0, 2418.0, 1168.0, 314.0],
            [260.0, 952.0, 1932.0, 3056.0, 4208.0, 2580.0, 1240.0, 332.0],
            [202.0, 664.0, 1290.0, 1984.0, 2688.0, 1590.0, 712.0, 150.0],
            [114.0, 344.0, 642.0, 960.0, 1280.0, 726.0, 296.0, 38.0],
        ],
        [
            [23.0, 400.0, 1035.0, 1832.0, 2696.0, 1737.0, 904.0, 293.0],
            [134.0, 920.0, 2166.0, 3680.0, 5280.0, 3306.0, 1640.0, 474.0],
            [325.0, 1544.0, 3369.0, 5512.0, 7720.0, 4683.0, 2192.0, 535.0],
            [571.0, 1964.0, 3891.0, 6064.0, 8272.0, 4989.0, 2324.0, 565.0],
            [434.0, 1360.0, 2586.0, 3920.0, 5264.0, 3054.0, 1312.0, 230.0],
            [241.0, 700.0, 1281.0, 1888.0, 2496.0, 1383.0, 532.0, 39.0],
        ],
        [
            [22.0, 214.0, 528.0, 916.0, 1332.0, 846.0, 430.0, 132.0],
            [86.0, 484.0, 1098.0, 1832.0, 2600.0, 1602.0, 772.0, 206.0],
            [188.0, 802.0, 1698.0, 2732.0, 3788.0, 2256.0, 1018.0, 218.0],
            [308.0, 1006.0, 1950.0, 2996.0, 4052.0, 2400.0, 1078.0, 230.0],
            [230.0, 692.0, 1290.0, 1928.0, 2568.0, 1458.0, 596.0, 78.0],
            [126.0, 354.0, 636.0, 924.0, 1212.0, 654.0, 234.0, 0.0],
        ],
    ]
)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int64, np.float32, np.float64])
def test_scipy_correlate_real_rank1_keeps_the_dtype(dtype):
    a, b = np.linspace(0, 3, 4).astype(dtype), np.linspace(1, 2, 2).astype(dtype)
    y_r = np.array([0, 2, 5, 8, 3], dtype=dtype)
    for mode, expected in (("full", y_r), ("same", y_r[:-1]), ("valid", y_r[1:4])):
        y = correlate(a, b, mode)
        assert_array_almost_equal(y, expected)
        assert y.dtype == dtype
    y = correlate(b, a, "valid")  # gh-5897: the larger second argument swaps, the result reverses
    assert_array_almost_equal(y, y_r[1:4][::-1])
    assert y.dtype == dtype


@pytest.mark.parametrize("dtype", [np.int32, np.float64])
def test_scipy_correlate_real_rank3(dtype):
    a = np.linspace(0, 39, 40).reshape((2, 4, 5), order="F").astype(dtype)
    b = np.linspace(0, 23, 24).reshape((2, 3, 4), order="F").astype(dtype)
    assert_array_almost_equal(correlate(a, b, "full"), RANK3_FULL)
    assert_array_almost_equal(correlate(a, b, "same"), RANK3_FULL[0:-1, 1:-1, 1:-2])
    assert_array_almost_equal(correlate(a, b, "valid"), RANK3_FULL[1:2, 2:4, 3:5])
    assert_array_almost_equal(correlate(b, a, "valid"), RANK3_FULL[1:2, 2:4, 3:5][::-1, ::-1, ::-1])


# --- scipy/signal/tests/test_signaltools.py :: TestCorrelateComplex, TestCorrelate, TestCorrelate2d ---


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
def test_scipy_correlate_complex_rank1(mode):
    rng = np.random.default_rng(9)
    a = rng.standard_normal(10) + 1j * rng.standard_normal(10)
    b = rng.standard_normal(8) + 1j * rng.standard_normal(8)
    y_r = (
        correlate(a.real, b.real, mode)
        + correlate(a.imag, b.imag, mode)
        + 1j * (-correlate(a.real, b.imag, mode) + correlate(a.imag, b.real, mode))
    )
    assert_array_almost_equal(correlate(a, b, mode), y_r, decimal=10)
    if mode == "valid":
        assert_array_almost_equal(correlate(b, a, "valid"), np.conj(y_r[::-1]), decimal=10)


def test_scipy_correlate_complex_swap_full_and_same():
    d = np.array([0.0 + 0.0j, 1.0 + 1.0j, 2.0 + 2.0j])
    k = np.array([1.0 + 3.0j, 2.0 + 4.0j, 3.0 + 5.0j, 4.0 + 6.0j])
    assert_array_almost_equal(
        correlate(d, k, "full"), [0.0 + 0.0j, 10.0 - 2.0j, 28.0 - 6.0j, 22.0 - 6.0j, 16.0 - 6.0j, 8.0 - 4.0j]
    )
    assert_array_almost_equal(correlate(d, k, "same"), [10.0 - 2.0j, 28.0 - 6.0j, 22.0 - 6.0j])


def test_scipy_correlate_complex_rank3_and_2d_inputs():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((10, 8, 6)) + 1j * rng.standard_normal((10, 8, 6))
    b = rng.standard_normal((8, 6, 4)) + 1j * rng.standard_normal((8, 6, 4))
    y_r = correlate(a.real, b.real, "full") + correlate(a.imag, b.imag, "full")
    y_r = y_r + 1j * (-correlate(a.real, b.imag, "full") + correlate(a.imag, b.real, "full"))
    assert_array_almost_equal(correlate(a, b, "full"), y_r, decimal=9)
    assert_array_equal(correlate([[1]], [[2j]], "full"), [[-2j]])
    assert_array_equal(correlate([[2j]], [[3j]], "full"), [[6 + 0j]])
    assert_array_equal(correlate([[3j]], [[4]], "full"), [[12j]])


def test_scipy_correlate_numpy_fastpath_values():
    assert_array_equal(correlate([1, 2, 3], [4, 5], mode="same"), [5, 14, 23])
    assert_array_equal(correlate([1, 2, 3], [4, 5, 6], mode="same"), [17, 32, 23])
    assert_array_equal(correlate([1, 2, 3], [4, 5, 6], mode="full"), [6, 17, 32, 23, 12])
    assert_array_equal(correlate([1, 2, 3], [4, 5, 6], mode="valid"), [32])


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_scipy_consistency_with_numpy_and_correlate2d(mode):
    a, b = np.arange(5), np.array([3.2, 1.4, 3])
    assert_array_almost_equal(correlate(a, b, mode), np.correlate(a, b, mode=mode))
    assert_array_almost_equal(
        correlate([a], [b], mode)[0] if mode != "same" else correlate([a], [b], mode)[0],
        scipy.signal.correlate2d([a], [b], mode=mode)[0],
    )
    if mode == "valid":
        assert_array_almost_equal(correlate(b, a, mode), np.correlate(b, a, mode=mode))
        assert_array_almost_equal(correlate([b], [a], mode), scipy.signal.correlate2d([b], [a], mode=mode))


# --- beyond the ported cases: random shapes against the libraries themselves ---


@pytest.mark.parametrize("seed", range(12))
def test_random_cases_equal_scipy_and_numpy(seed):
    rng = np.random.default_rng(seed)
    nd = 1 + seed % 3
    x_shape, k_shape = tuple(rng.integers(1, 7, nd)), tuple(rng.integers(1, 7, nd))
    complex_ = seed % 2 == 0
    x, k = rng.standard_normal(x_shape), rng.standard_normal(k_shape)
    if complex_:
        x, k = x + 1j * rng.standard_normal(x_shape), k + 1j * rng.standard_normal(k_shape)
    for mode in ("full", "same", "valid"):
        for ours, theirs in ((correlate, scipy.signal.correlate), (convolve, scipy.signal.convolve)):
            try:
                expected = theirs(x, k, mode=mode, method="direct")
            except ValueError:
                with pytest.raises(CnnlabError):
                    ours(x, k, mode)
                continue
            np.testing.assert_allclose(ours(x, k, mode), expected, atol=1e-12)
        if nd == 1 and (mode != "same" or x.size >= k.size):  # numpy's "same" is max(M, N) long, scipy's M
            np.testing.assert_allclose(correlate(x, k, mode), np.correlate(x, k, mode=mode), atol=1e-12)
            np.testing.assert_allclose(convolve(x, k, mode), np.convolve(x, k, mode=mode), atol=1e-12)


def test_cnnlab_errors_are_value_errors():
    assert issubclass(CnnlabError, ValueError)
