"""Images as the model sees them: one (C, H, W) or a batch (N, C, H, W), float, normalised like in training."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cnnlab.errors import CnnlabError

__all__ = ["as_batch", "model_device", "predict_probabilities"]


def model_device(model: nn.Module) -> torch.device:
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def as_batch(images, model: nn.Module) -> torch.Tensor:
    """An image (C, H, W) or images (N, C, H, W), array or tensor -> a float32 batch on the model's device."""
    x = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        raise CnnlabError(f"expected an image (C, H, W) or a batch (N, C, H, W), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise CnnlabError(
            "expected normalised float images (as the model was trained on), got integers; "
            "normalise uint8 images with cnnlab.data.Normalise first"
        )
    return x.float().to(model_device(model))


def predict_probabilities(model: nn.Module, images, batch_size: int = 1000) -> np.ndarray:
    """Softmax class probabilities (N, classes) for normalised images (N, C, H, W), in batches."""
    model.eval()
    chunks = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            chunks.append(torch.softmax(model(as_batch(images[start : start + batch_size], model)).float(), 1).cpu())
    return torch.cat(chunks).numpy()
