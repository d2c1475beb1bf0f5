"""Which pixels a class score depends on.

saliency (Simonyan et al. 2014):  S(i, j) = max_c | d score_target / d x[c, i, j] |
Grad-CAM (Selvaraju et al. 2017): with A the last conv layer's output (K, h, w),
    alpha_k = mean_ij d score_target / d A[k, i, j],   CAM = ReLU(sum_k alpha_k A[k]),
upsampled bilinearly to the image size and scaled to [0, 1].
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnlab.report.inputs import as_batch
from cnnlab.report.layers import find_layer, last_conv

__all__ = ["saliency", "grad_cam"]


def saliency(model: nn.Module, image, target: int) -> np.ndarray:
    """|gradient of the class-`target` logit with respect to the input|, max over channels: (H, W)."""
    model.eval()
    x = as_batch(image, model)[:1].clone().requires_grad_(True)
    with torch.enable_grad():
        score = model(x)[0, target]
        (gradient,) = torch.autograd.grad(score, x)
    return gradient[0].abs().amax(0).cpu().numpy()


def grad_cam(model: nn.Module, image, target: int, layer: str | None = None) -> np.ndarray:
    """Grad-CAM heat map (H, W) in [0, 1] of class `target` at conv layer `layer` (default: the last conv)."""
    module = find_layer(model, layer) if layer else last_conv(model)[1]
    captured = {}

    def keep(module, inputs, output):
        captured["A"] = output
        return output.clone()  # later in-place ops (ReLU(inplace=True)) act on the copy, not on A

    handle = module.register_forward_hook(keep)
    model.eval()
    x = as_batch(image, model)[:1]
    try:
        with torch.enable_grad():
            score = model(x)[0, target]
            (gradient,) = torch.autograd.grad(score, captured["A"])
    finally:
        handle.remove()
    activations = captured["A"].detach()
    weights = gradient.mean(dim=(2, 3), keepdim=True)  # alpha_k, (1, K, 1, 1)
    cam = F.relu((weights * activations).sum(1, keepdim=True))
    cam = F.interpolate(cam.float(), size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
    top = cam.max()
    return (cam / top if top > 0 else cam).cpu().numpy()
