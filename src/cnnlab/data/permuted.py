"""Permuted-pixel datasets: every image's pixels shuffled by one fixed permutation.

`permuted-mnist` holds the same information as `mnist` (the permutation is invertible and the same for
every image, train and test), so a network that treats each pixel as an unrelated input, an MLP, learns
it equally well; what is lost is which pixel is next to which, the spatial structure a convolution uses.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PREFIX", "SEED", "pixel_permutation", "permute_pixels"]

PREFIX = "permuted-"
SEED = 0  # fixed: the train and test splits must be shuffled the same way


def pixel_permutation(height: int, width: int, seed: int = SEED) -> np.ndarray:
    """A permutation of the H*W pixel positions (the same for every channel)."""
    return np.random.default_rng(seed).permutation(height * width)


def permute_pixels(images: np.ndarray, seed: int = SEED) -> np.ndarray:
    """(N, C, H, W) -> the same images with pixel i of every plane moved from position permutation[i]."""
    n, c, h, w = images.shape
    order = pixel_permutation(h, w, seed)
    return np.ascontiguousarray(images.reshape(n, c, h * w)[:, :, order].reshape(n, c, h, w))
