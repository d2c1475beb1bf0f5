"""What each conv and pool layer outputs for one image: the activation maps, taken with forward hooks (the
model is not changed), each layer's channels drawn side by side."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnlab.report.images import colorize, png_bytes, tile
from cnnlab.report.inputs import as_batch
from cnnlab.report.layers import find_layer, map_layers

__all__ = ["LayerMaps", "feature_maps"]


@dataclass
class LayerMaps:
    """One layer's output for one image: maps (channels, H, W)."""

    layer: str
    kind: str  # the module's class name, e.g. Conv2d, MaxPool2d
    maps: np.ndarray

    def grid(self, max_channels: int = 32) -> np.ndarray:
        return tile(self.maps[:max_channels])

    def png(self, max_channels: int = 32, size: int = 256) -> bytes:
        grid = self.grid(max_channels)
        return png_bytes(colorize(grid, "viridis"), max(1, size // max(grid.shape)))

    def figure(self, max_channels: int = 32):
        from cnnlab.report.extras import pyplot

        plt = pyplot()
        fig, ax = plt.subplots(figsize=(5, 5))
        shown = ax.imshow(self.grid(max_channels), cmap="viridis", interpolation="nearest")
        fig.colorbar(shown, ax=ax, shrink=0.7)
        ax.set_title(f"{self.layer} ({self.kind}): {self.maps.shape[0]} maps {self.maps.shape[1]}x{self.maps.shape[2]}")
        ax.axis("off")
        return fig


def feature_maps(model: nn.Module, image, layers: list[str] | None = None) -> list[LayerMaps]:
    """The outputs of `layers` (default: every conv and pool layer) for one normalised image (C, H, W), in the
    order the layers ran."""
    chosen = [(name, find_layer(model, name)) for name in layers] if layers else map_layers(model)
    seen: list[LayerMaps] = []

    def hook(name):
        def record(module, inputs, output):
            if isinstance(output, torch.Tensor) and output.ndim == 4:
                # a copy: a later in-place op (ReLU(inplace=True)) would change the output it shares memory with
                seen.append(LayerMaps(name, type(module).__name__, output[0].detach().float().cpu().numpy().copy()))

        return record

    handles = [module.register_forward_hook(hook(name)) for name, module in chosen]
    try:
        model.eval()
        with torch.no_grad():
            model(as_batch(image, model)[:1])
    finally:
        for handle in handles:
            handle.remove()
    return seen
