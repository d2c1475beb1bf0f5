"""The kernel playground: a named or typed-in kernel applied to a picture with cnnlab.conv's correlate
(zero padding, output the size of the input: what `cnnlab filter` computes), for input | kernel | output."""

from __future__ import annotations

import numpy as np

from cnnlab.conv import correlate, kernels
from cnnlab.errors import CnnlabError
from cnnlab.serve.inference import encode_floats

__all__ = ["SAMPLES", "sample_image", "apply_kernel", "MAX_KERNEL_SIDE", "MAX_PLAYGROUND_SIDE"]

# grey photographs shipped with scikit-image (no download)
SAMPLES = ("camera", "coins", "moon", "text", "page", "astronaut", "coffee")
MAX_KERNEL_SIDE = 31
MAX_PLAYGROUND_SIDE = 256  # larger pictures are shrunk first, so every answer comes back at once


def sample_image(name: str) -> np.ndarray:
    """A scikit-image sample photograph as grey floats in [0, 1], at most 256 pixels on a side."""
    if name not in SAMPLES:
        raise CnnlabError(f"unknown sample image {name!r}; samples: {', '.join(SAMPLES)}")
    try:
        import skimage.data
        from skimage.color import rgb2gray
        from skimage.transform import rescale
    except ImportError:
        raise CnnlabError("sample images need scikit-image: pip install 'cnnlab[serve]'") from None
    image = getattr(skimage.data, name)()
    image = rgb2gray(image) if image.ndim == 3 else image.astype(np.float64) / 255.0
    side = max(image.shape)
    if side > MAX_PLAYGROUND_SIDE:
        image = rescale(image, MAX_PLAYGROUND_SIDE / side, anti_aliasing=True)
    return np.clip(image, 0.0, 1.0)


def _kernel(spec, size, sigma) -> tuple[str, np.ndarray]:
    if isinstance(spec, str):
        if size is not None and (not isinstance(size, int) or size > MAX_KERNEL_SIDE):
            raise CnnlabError(f"kernel size must be an odd integer up to {MAX_KERNEL_SIDE}, got {size!r}")
        if sigma is not None and not isinstance(sigma, (int, float)):
            raise CnnlabError(f"sigma must be a number, got {sigma!r}")
        return spec, kernels.get(spec, size, sigma)
    try:
        kernel = np.asarray(spec, dtype=np.float64)
    except (TypeError, ValueError):
        raise CnnlabError(
            "a typed kernel must be rows of numbers, e.g. [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]"
        ) from None
    if kernel.ndim != 2 or kernel.size == 0 or max(kernel.shape) > MAX_KERNEL_SIDE or not np.isfinite(kernel).all():
        raise CnnlabError(
            f"a typed kernel must be a 2-D array of finite numbers, at most "
            f"{MAX_KERNEL_SIDE}x{MAX_KERNEL_SIDE}; got shape {kernel.shape}"
        )
    return "custom", kernel


def apply_kernel(image: np.ndarray, kernel_spec, size: int | None = None, sigma: float | None = None) -> dict:
    """Grey floats (H, W) * kernel -> the JSON the page draws: input, kernel values, output and its range."""
    name, kernel = _kernel(kernel_spec, size, sigma)
    output = correlate(image, kernel, "same")
    return {
        "kernel_name": name,
        "kernel": kernel.tolist(),
        "input": {"shape": list(image.shape), "data": encode_floats(image)},
        "output": {
            "shape": list(output.shape),
            "data": encode_floats(output),
            "min": float(output.min()),
            "max": float(output.max()),
        },
    }
