"""Helpers for tests/conv, imported as a plain module: tolerances, and hypothesis strategies for random
layer settings that fit, small enough to keep the suite fast on two shared cores."""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import settings
from hypothesis import strategies as st

# Applied to every property test here: enough cases to find edge cases, few enough for two shared cores.
fast = settings(max_examples=25, deadline=None)

TOL = {"rtol": 1e-10, "atol": 1e-10}  # float64 results must agree to rounding error
MODES = ("zeros", "reflect", "replicate", "circular")
TORCH_CONV = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}
TORCH_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


@st.composite
def conv_cases(draw, nd: int, padding_modes=("zeros",), max_size=7):
    """(x, w, b, options) for a conv layer of rank nd whose kernel fits the padded input."""
    groups = draw(st.integers(1, 3))
    c = groups * draw(st.integers(1, 2))
    o = groups * draw(st.integers(1, 2))
    n = draw(st.integers(1, 2))
    mode = draw(st.sampled_from(padding_modes))
    kernel, stride, padding, dilation, size = [], [], [], [], []
    for _ in range(nd):
        k, d, s = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
        i = draw(st.integers(max(1, d * (k - 1) + 1 - 2), max_size))
        limit = i - 1 if mode == "reflect" else i  # torch: reflect padding must be smaller than the input
        p = draw(st.integers(0, min(2, limit)))
        if i + 2 * p < d * (k - 1) + 1:
            p = min(limit, 2)
            if i + 2 * p < d * (k - 1) + 1:
                k = 1
        kernel.append(k), stride.append(s), padding.append(p), dilation.append(d), size.append(i)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, c, *size))
    w = rng.standard_normal((o, c // groups, *kernel))
    b = rng.standard_normal(o) if draw(st.booleans()) else None
    options = dict(
        stride=tuple(stride), padding=tuple(padding), dilation=tuple(dilation), groups=groups, padding_mode=mode
    )
    return x, w, b, options


def torch_layer(x, w, b, options):
    """The same layer built as torch.nn.ConvNd (padding_mode lives on the module, not in F.convNd)."""
    nd = x.ndim - 2
    layer = TORCH_CONV[nd](x.shape[1], w.shape[0], w.shape[2:], bias=b is not None, **options).double()
    with torch.no_grad():
        layer.weight.copy_(t(w))
        if b is not None:
            layer.bias.copy_(t(b))
    return layer


@st.composite
def transpose_cases(draw, nd):
    groups = draw(st.integers(1, 2))
    c, o = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    size = tuple(draw(st.integers(1, 4 if nd < 3 else 3)) for _ in range(nd))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    # output size (I-1)S - 2P + D(K-1) + OP + 1 must stay >= 1
    padding = tuple(
        draw(st.integers(0, max(0, ((i - 1) * s + d * (k - 1) + op) // 2)))
        for i, s, d, k, op in zip(size, stride, dilation, kernel, output_padding)
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), c, *size))
    w = rng.standard_normal((c, o // groups, *kernel))
    b = rng.standard_normal(o) if draw(st.booleans()) else None
    return (
        x,
        w,
        b,
        dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups),
    )


@st.composite
def pool_cases(draw, nd, dilation=True):
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = tuple(draw(st.integers(1, 2)) if dilation else 1 for _ in range(nd))
    size = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 7)) for k, p, d in zip(kernel, padding, dil))
    x = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal((draw(st.integers(1, 2)), 2, *size))
    return x, dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=draw(st.booleans())), dil
