"""Helpers for tests/conv, imported as a plain module: tolerances, and hypothesis strategies for random
layer settings that fit, small enough to keep the suite fast on two shared cores."""

import numpy as np
import torch
from hypothesis import settings, strategies as st

# Applied to every property test here: enough cases to find edge cases, few enough for two shared cores.
fast = settings(max_examples=25, deadline=None)

TOL = {"rtol": 1e-10, "atol": 1e-10}  # float64 agreement required by issue 3


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
    options = dict(stride=tuple(stride), padding=tuple(padding), dilation=tuple(dilation), groups=groups, padding_mode=mode)
    return x, w, b, options
