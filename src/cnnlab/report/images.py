"""Arrays -> pictures: tiling many small maps into one grid, colouring with a colormap, PNG bytes.

The report draws its image grids here with Pillow instead of matplotlib figures: a filter bank or a stack
of feature maps is one array, coloured and enlarged with nearest-neighbour pixels, which is what a person
wants to see of a 5x5 kernel and costs milliseconds instead of a figure's tenths of a second.
"""

from __future__ import annotations

import base64
import io

import numpy as np

__all__ = ["tile", "colorize", "png_bytes", "data_uri", "figure_png", "symmetric_limit"]


def tile(maps: np.ndarray, columns: int | None = None, gap: int = 1) -> np.ndarray:
    """(N, H, W) or (N, H, W, 3) -> one (rows*(H+gap)-gap, cols*(W+gap)-gap[, 3]) array; the gaps are NaN."""
    maps = np.asarray(maps, dtype=np.float32)
    n, h, w = maps.shape[:3]
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, *maps.shape[3:]), np.nan, np.float32)
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = maps[i]
    return out


def symmetric_limit(values: np.ndarray) -> float:
    """max |v| over the finite values (1 when there are none or all are 0): the colour scale -m..m keeps 0 white."""
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    return top if top > 0 else 1.0


def colorize(
    array: np.ndarray,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    background=(255, 255, 255),
) -> np.ndarray:
    """A 2-D array -> uint8 RGB (H, W, 3) through a matplotlib colormap; NaN cells get `background`.

    (H, W, 3) arrays with values in [0, 1] are taken as RGB already."""
    array = np.asarray(array, dtype=np.float32)
    nan = ~np.isfinite(array if array.ndim == 2 else array[..., 0])
    if array.ndim == 3:
        rgb = (np.clip(np.nan_to_num(array), 0, 1) * 255).astype(np.uint8)
    else:
        from cnnlab.report.extras import require

        colormaps = require("matplotlib", "plot").colormaps
        finite = array[np.isfinite(array)]
        lo = float(finite.min()) if vmin is None and finite.size else (vmin or 0.0)
        hi = float(finite.max()) if vmax is None and finite.size else (vmax if vmax is not None else 1.0)
        scaled = (np.nan_to_num(array, nan=lo) - lo) / (hi - lo if hi > lo else 1.0)
        rgb = (colormaps[cmap](np.clip(scaled, 0, 1))[..., :3] * 255).astype(np.uint8)
    rgb[nan] = background
    return rgb


def png_bytes(rgb: np.ndarray, scale: int = 1) -> bytes:
    """uint8 (H, W, 3) or (H, W) -> PNG bytes, each pixel enlarged to scale x scale."""
    from cnnlab.report.extras import require

    image = require("PIL.Image", "image").fromarray(np.ascontiguousarray(rgb))
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), resample=0)  # 0: nearest
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def figure_png(fig, dpi: int = 100) -> bytes:
    """A matplotlib figure -> PNG bytes; the figure is closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    """PNG bytes -> a `data:image/png;base64,...` URI, so the HTML page carries its images inside."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
