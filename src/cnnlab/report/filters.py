"""The weights of a conv layer as pictures: what the first layer has learnt to look for (often oriented edges
and colour blobs). RGB filters of a 3-channel first layer are shown in colour; any other filter one picture
per input channel. The colour scale is symmetric about 0, so a white cell is a zero weight."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.report.images import colorize, png_bytes, symmetric_limit, tile
from cnnlab.report.layers import find_layer, first_conv

__all__ = ["FilterBank", "filters"]


@dataclass
class FilterBank:
    """A conv layer's weights (out_channels, in_channels, kh, kw) and how to draw them."""

    layer: str
    weights: np.ndarray
    rgb: bool  # three input channels drawn as one colour picture per filter

    def grid(self, max_filters: int = 64, max_channels: int = 8) -> np.ndarray:
        """One array of all filters: (H, W, 3) in [0, 1] for RGB filters (0.5 = a zero weight), else (H, W)
        with one row per filter and one column per input channel, in the layer's units (NaN between cells)."""
        w = self.weights[:max_filters]
        if self.rgb:
            rgb = 0.5 + 0.5 * w.transpose(0, 2, 3, 1) / symmetric_limit(w)  # (out, kh, kw, 3)
            return tile(rgb)
        w = w[:, :max_channels]
        out, cin = w.shape[:2]
        # one filter per row, its input channels side by side; a single-channel bank is tiled square
        return tile(w.reshape(out * cin, *w.shape[2:]), columns=cin if cin > 1 else None)

    def png(self, scale: int | None = None) -> bytes:
        grid = self.grid()
        scale = scale or max(2, 160 // max(grid.shape[:2]))
        if self.rgb:
            return png_bytes(colorize(grid), scale)
        limit = symmetric_limit(grid)
        return png_bytes(colorize(grid, "RdBu_r", -limit, limit), scale)

    def figure(self):
        """A matplotlib figure of the grid with a colour bar (for notebooks)."""
        from cnnlab.report.extras import pyplot

        plt = pyplot()
        grid = self.grid()
        fig, ax = plt.subplots(figsize=(5, 5))
        if self.rgb:
            ax.imshow(np.nan_to_num(grid, nan=1.0), interpolation="nearest")
        else:
            limit = symmetric_limit(grid)
            shown = ax.imshow(grid, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
            fig.colorbar(shown, ax=ax, shrink=0.7)
        ax.set_title(
            f"{self.layer}: {self.weights.shape[0]} filters {self.weights.shape[2]}x{self.weights.shape[3]}"
            f" x {self.weights.shape[1]} channels"
        )
        ax.axis("off")
        return fig


def filters(model: nn.Module, layer: str | None = None) -> FilterBank:
    """The weights of conv layer `layer` (a name from `model.named_modules()`; default the first learnt conv)."""
    if layer is None:
        layer, module = first_conv(model)
    else:
        module = find_layer(model, layer)
        if not isinstance(module, nn.Conv2d):
            raise CnnlabError(f"layer {layer!r} is a {type(module).__name__}, not a Conv2d; filters are conv weights")
    weights = module.weight.detach().float().cpu().numpy()
    return FilterBank(layer, weights, rgb=weights.shape[1] == 3)
