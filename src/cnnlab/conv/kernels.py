"""Named 2-D kernels from the lectures: smoothing, edges, sharpening.

All are cross-correlation kernels (what a conv layer and `cnnlab filter` apply). Smoothing kernels sum
to 1 (a flat image stays flat); edge kernels sum to 0 (a flat image gives 0). `get(name)` builds one by
name, `names()` lists them.
"""

from __future__ import annotations

import math

import numpy as np

from cnnlab.errors import CnnlabError
from cnnlab.memory import check_bytes

__all__ = [
    "identity",
    "box",
    "gaussian",
    "binomial",
    "sobel_x",
    "sobel_y",
    "prewitt_x",
    "prewitt_y",
    "laplacian4",
    "laplacian8",
    "sharpen",
    "emboss",
    "edge",
    "names",
    "get",
]


def _odd(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1 or size % 2 == 0:
        raise CnnlabError(f"kernel size must be a positive odd integer, got {size!r}")
    check_bytes(f"a {size}x{size} kernel", size * size, 8)
    return size


def identity(size: int = 3) -> np.ndarray:
    """1 in the centre, 0 elsewhere: the output equals the input."""
    k = np.zeros((_odd(size), size))
    k[size // 2, size // 2] = 1.0
    return k


def box(size: int = 3) -> np.ndarray:
    """Mean (box blur) kernel: every weight 1/size^2 (3x3: 1/9 each)."""
    return np.full((_odd(size), size), 1.0 / size**2)


def gaussian(size: int = 5, sigma: float = 1.0) -> np.ndarray:
    """Sampled Gaussian exp(-(i^2 + j^2) / (2 sigma^2)), normalised to sum 1."""
    if not sigma > 0:
        raise CnnlabError(f"sigma must be > 0, got {sigma!r}")
    r = np.arange(_odd(size)) - size // 2
    g = np.exp(-(r**2) / (2.0 * sigma**2))
    k = np.outer(g, g)
    return k / k.sum()


def binomial(size: int = 3) -> np.ndarray:
    """The integer Gaussian blur: outer product of binomial rows / 4^(size-1); 3x3 = 1/16 [[1,2,1],[2,4,2],[1,2,1]]."""
    # C(n, i) / 2^n as Python integers divided: exact to the last bit, where C(n, i) itself passes float range
    row = np.array([math.comb(_odd(size) - 1, i) / 2 ** (size - 1) for i in range(size)])
    return np.outer(row, row) / row.sum() ** 2


def sobel_x() -> np.ndarray:
    """Horizontal gradient, smoothed vertically: [1,2,1]^T x [-1,0,1]; responds to intensity rising to the right."""
    return np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])


def sobel_y() -> np.ndarray:
    """Vertical gradient: the transpose of sobel_x; responds to intensity rising downwards."""
    return sobel_x().T


def prewitt_x() -> np.ndarray:
    """Horizontal gradient with a box instead of [1,2,1]: [1,1,1]^T x [-1,0,1]."""
    return np.outer([1.0, 1.0, 1.0], [-1.0, 0.0, 1.0])


def prewitt_y() -> np.ndarray:
    """Vertical gradient: the transpose of prewitt_x."""
    return prewitt_x().T


def laplacian4() -> np.ndarray:
    """Edge detector [[0,-1,0],[-1,4,-1],[0,-1,0]] (minus the 4-neighbour Laplacian, as in the lecture table)."""
    return np.array([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])


def laplacian8() -> np.ndarray:
    """Edge detector [[-1,-1,-1],[-1,8,-1],[-1,-1,-1]] (8 neighbours)."""
    k = -np.ones((3, 3))
    k[1, 1] = 8.0
    return k


def sharpen() -> np.ndarray:
    """[[0,-1,0],[-1,5,-1],[0,-1,0]] = identity + laplacian4: the image plus its edges."""
    return identity(3) + laplacian4()


def emboss() -> np.ndarray:
    """[[-2,-1,0],[-1,1,1],[0,1,2]]: a diagonal gradient plus the image, a relief look."""
    return np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])


def edge() -> np.ndarray:
    """The lecture's zero-sum edge kernel [[0.25,0,-0.25],[0.5,0,-0.5],[0.25,0,-0.25]] (= -sobel_x / 4)."""
    return np.array([[0.25, 0.0, -0.25], [0.5, 0.0, -0.5], [0.25, 0.0, -0.25]])


# Kernels whose size can be chosen; the rest are fixed 3x3.
_SIZED = {"identity": identity, "box": box, "gaussian": gaussian, "binomial": binomial}
_FIXED = {
    "sobel_x": sobel_x,
    "sobel_y": sobel_y,
    "prewitt_x": prewitt_x,
    "prewitt_y": prewitt_y,
    "laplacian4": laplacian4,
    "laplacian8": laplacian8,
    "sharpen": sharpen,
    "emboss": emboss,
    "edge": edge,
}


def names() -> list[str]:
    """Every kernel `get` knows, in a stable order."""
    return [*_SIZED, *_FIXED]


def get(name: str, size: int | None = None, sigma: float | None = None) -> np.ndarray:
    """A kernel by name; `size` for identity/box/gaussian/binomial, `sigma` for gaussian."""
    if name in _SIZED:
        options = {} if size is None else {"size": size}
        if name == "gaussian" and sigma is not None:
            options["sigma"] = sigma
        elif sigma is not None:
            raise CnnlabError(f"--sigma only applies to gaussian, not {name}")
        return _SIZED[name](**options)
    if name in _FIXED:
        if size not in (None, 3) or sigma is not None:
            raise CnnlabError(f"{name} is a fixed 3x3 kernel: it takes no size or sigma")
        return _FIXED[name]()
    raise CnnlabError(f"unknown kernel {name!r}; known kernels: {', '.join(names())}")
