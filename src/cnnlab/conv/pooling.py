"""Max and average pooling with torch semantics, and global pooling.

Each channel plane is downsampled on its own: y[n, c, o] = max (or mean) of x_pad[n, c, o*S + m*D] over
the K window taps m. Output size per axis = pool_output_size (floor, or ceil with ceil_mode; stride
defaults to the kernel). Max pooling pads with -inf, so padding never wins; average pooling divides by
the window's size including the zero padding (count_include_pad=True, torch's default) or by the number
of real input values in it. Pooling has no learnable parameters.
"""

from __future__ import annotations

import numpy as np

from cnnlab.conv._nd import AXES, check_sliding, ntuple, pad, windows
from cnnlab.conv.arithmetic import pool_output_size
from cnnlab.errors import CnnlabError

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "global_avg_pool",
    "global_max_pool",
    "pool_geometry",
]


def pool_geometry(shape, kernel, stride, padding, dilation, ceil_mode, nd):
    """Resolve the arguments -> (kernel, stride, padding, dilation, out_size, pad widths) for the last nd axes.

    ceil_mode may need extra padding after the input so the last (partial) window exists.
    """
    kernel = ntuple(kernel, nd, "kernel_size")
    stride = kernel if stride is None else ntuple(stride, nd, "stride")
    padding = ntuple(padding, nd, "padding", minimum=0)
    dilation = ntuple(dilation, nd, "dilation")
    if len(shape) < nd:
        raise CnnlabError(f"pooling {nd}-D needs an input of shape (..., {AXES[nd]}), got {tuple(shape)}")
    size = shape[len(shape) - nd :]
    axes = list(zip(size, kernel, stride, padding, dilation))
    out = tuple(pool_output_size(i, k, s, p, d, ceil_mode).value for i, k, s, p, d in axes)
    # after the input: the padding, or more where the last ceil_mode window reaches further
    widths = tuple((p, max(p, (o - 1) * s + d * (k - 1) + 1 - i - p)) for (i, k, s, p, d), o in zip(axes, out))
    lead = tuple(shape[: len(shape) - nd])
    padded = (*lead, *(i + b + a for i, (b, a) in zip(size, widths)))
    check_sliding(
        f"pooling {'x'.join(map(str, shape))} with a {'x'.join(map(str, kernel))} window",
        padded,
        8,
        (*lead, *out),
        8,
        kernel,
    )
    return kernel, stride, padding, dilation, out, widths


def lowest_value(dtype):
    return np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf  # object arrays of Python ints compare with -inf


def _max_pool(x, kernel, stride, padding, dilation, ceil_mode, nd):
    x = np.asarray(x)
    kernel, stride, _, dilation, out, widths = pool_geometry(x.shape, kernel, stride, padding, dilation, ceil_mode, nd)
    view = windows(pad(x, widths, value=lowest_value(x.dtype)), kernel, stride, dilation)
    view = view[(Ellipsis, *(slice(0, o) for o in out), *(slice(None),) * nd)]
    return view.max(axis=tuple(range(-nd, 0)))


def avg_divisor(size, kernel, stride, padding, out, count_include_pad) -> np.ndarray:
    """The divisor of every output window (the outer product over axes), as torch computes it.

    A window starting at o*S - P ends at min(start + K, I + P): it may include padding but not the extra
    ceil_mode overhang. Without count_include_pad only the real input positions [0, I) count.
    """
    divisor = np.ones(out)
    for axis, (i, k, s, p, o) in enumerate(zip(size, kernel, stride, padding, out)):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, i + p)
        counts = end - start if count_include_pad else np.minimum(end, i) - np.maximum(start, 0)
        divisor = divisor * counts.reshape([-1 if a == axis else 1 for a in range(len(out))])
    return divisor


def _avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad, nd):
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    kernel, stride, padding, dilation, out, widths = pool_geometry(x.shape, kernel, stride, padding, 1, ceil_mode, nd)
    view = windows(pad(x, widths), kernel, stride, dilation)
    view = view[(Ellipsis, *(slice(0, o) for o in out), *(slice(None),) * nd)]
    divisor = avg_divisor(x.shape[-nd:], kernel, stride, padding, out, count_include_pad)
    return view.sum(axis=tuple(range(-nd, 0))) / divisor.astype(x.dtype)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False) -> np.ndarray:
    """torch.nn.functional.max_pool1d on (..., L): y[o] = max_m x_pad[o*S + m*D]."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, 1)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False) -> np.ndarray:
    """torch.nn.functional.max_pool2d on (..., H, W). 2x2 stride 2 on
    [[1,1,2,4],[5,6,7,8],[3,2,1,0],[1,2,3,4]] gives [[6,8],[3,4]]."""
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, 2)


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True) -> np.ndarray:
    """torch.nn.functional.avg_pool1d on (..., L): y[o] = sum_m x_pad[o*S + m] / divisor[o]."""
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, 1)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True) -> np.ndarray:
    """torch.nn.functional.avg_pool2d on (..., H, W) (no divisor_override)."""
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, 2)


def global_avg_pool(x, keepdims: bool = False) -> np.ndarray:
    """(N, C, *spatial) -> (N, C): the mean of each channel plane (adaptive_avg_pool to 1 when keepdims)."""
    x = np.asarray(x)
    return x.mean(axis=tuple(range(2, x.ndim)), keepdims=keepdims)


def global_max_pool(x, keepdims: bool = False) -> np.ndarray:
    """(N, C, *spatial) -> (N, C): the maximum of each channel plane."""
    x = np.asarray(x)
    return x.max(axis=tuple(range(2, x.ndim)), keepdims=keepdims)
