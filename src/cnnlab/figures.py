"""Pictures as files: matplotlib set up once for every plot cnnlab draws (matplotlib is an optional extra).

Plots are drawn with the Agg backend (files only, never a window, works without a display) and saved as
PNG through the atomic writer, so a reader never sees half a picture.
"""

from __future__ import annotations

import os

from cnnlab.files import atomic_write

__all__ = ["have_matplotlib", "pyplot", "save_png"]


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def pyplot():
    """matplotlib.pyplot on the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path: str | os.PathLike, dpi: int = 120) -> None:
    """Write `fig` as a PNG (tight bounding box) atomically, then close it to free its memory."""
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight"))
    finally:
        pyplot().close(fig)
