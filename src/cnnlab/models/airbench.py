"""Speed-record CNNs in the style of airbench (Keller Jordan 2024, "94% on CIFAR-10 in 3.29 seconds").

  whitening  frozen 2x2 conv whose filters are the eigenvectors of the training set's 2x2 patch
             covariance, scaled by 1/sqrt(eigenvalue), each with its negation: outputs are decorrelated
             with unit variance (PCA whitening of patches), so the first layer needs no training
  groups     three of: conv3x3 -> maxpool2 -> BN -> GELU -> conv3x3 -> BN -> GELU
  BN tweak   batch norm with its scale frozen at 1 (only the shift trains), momentum 0.4, tiny eps
  head       global max pool -> linear without bias -> logits / 9 (a temperature that keeps early
             logits small, as airbench does)

`airbench` is the CIFAR-10 net of airbench94 (widths 64/256/256, 32x32x3 in); `fast-cnn` is the same
design, narrower by default, for 28x28 MNIST-like images. Call `fit_whitening(images)` with normalised
training images before training; the trainer does this when the model has the method.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cnnlab.models.registry import register_model

__all__ = ["PatchWhitening", "FrozenScaleBatchNorm", "ConvGroup", "AirbenchNet", "patch_whitening_weights"]


def patch_whitening_weights(images: torch.Tensor, patch: int = 2, eps: float = 5e-4) -> torch.Tensor:
    """Filters (2*C*p*p, C, p, p) that whiten the p x p patches of `images` (N, C, H, W).

    Sigma = cov(patches) = V diag(lambda) V^T;  W = diag(1/sqrt(lambda + eps)) V^T, then [W; -W].
    """
    n, c, h, w = images.shape
    patches = F.unfold(images.double(), patch).transpose(1, 2).reshape(-1, c * patch * patch)  # (N*L, C*p*p)
    patches = patches - patches.mean(0)
    sigma = patches.T @ patches / (len(patches) - 1)
    eigenvalues, eigenvectors = torch.linalg.eigh(sigma)  # ascending
    filters = (eigenvectors.T / (eigenvalues + eps).sqrt()[:, None]).flip(0)  # largest variance first
    filters = filters.reshape(-1, c, patch, patch).float()
    return torch.cat([filters, -filters])


class PatchWhitening(nn.Conv2d):
    """2x2 conv (no padding) with frozen PCA-whitening filters; 2*C*4 outputs."""

    def __init__(self, in_channels: int, patch: int = 2):
        super().__init__(in_channels, 2 * in_channels * patch * patch, patch, bias=False)
        self.weight.requires_grad_(False)

    @torch.no_grad()
    def fit(self, images: torch.Tensor) -> None:
        self.weight.copy_(patch_whitening_weights(images.float().cpu(), self.kernel_size[0]).to(self.weight))


class FrozenScaleBatchNorm(nn.BatchNorm2d):
    """Batch norm whose scale stays 1: only the shift trains (airbench's BN tweak)."""

    def __init__(self, channels: int, momentum: float = 0.4, eps: float = 1e-12):
        super().__init__(channels, eps=eps, momentum=momentum)
        self.weight.requires_grad_(False)


class ConvGroup(nn.Module):
    """conv3x3 -> maxpool2 -> BN -> GELU -> conv3x3 -> BN -> GELU; halves the map."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.norm1 = FrozenScaleBatchNorm(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.norm2 = FrozenScaleBatchNorm(c_out)
        self.act = nn.GELU()

    def forward(self, x):
        x = self.conv1(x)
        x = self.pool(x)
        x = self.act(self.norm1(x))
        x = self.conv2(x)
        return self.act(self.norm2(x))


class AirbenchNet(nn.Module):
    def __init__(self, in_channels: int, num_classes: int, widths: tuple[int, ...], logit_scale: float = 1 / 9):
        super().__init__()
        self.whiten = PatchWhitening(in_channels)
        self.act = nn.GELU()
        width = self.whiten.out_channels
        groups = []
        for w in widths:
            groups.append(ConvGroup(width, w))
            width = w
        self.groups = nn.Sequential(*groups)
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.head = nn.Linear(width, num_classes, bias=False)
        self.logit_scale = logit_scale

    def fit_whitening(self, images: torch.Tensor) -> None:
        """Set the frozen first layer from normalised training images (N, C, H, W); a few thousand suffice."""
        self.whiten.fit(images)

    def forward(self, x):
        x = self.act(self.whiten(x))  # (B, 8C, H-1, W-1)
        x = self.groups(x)  # (B, widths[-1], (H-1)/8, (W-1)/8)
        x = self.pool(x).flatten(1)
        return self.head(x) * self.logit_scale


@register_model("airbench")
def airbench(in_shape, num_classes, widths: tuple = (64, 256, 256)):
    """airbench94 CIFAR-10 net: frozen 2x2 whitening, 3 conv groups (64/256/256), frozen-scale BN, 1/9 logits."""
    return AirbenchNet(in_shape[0], num_classes, tuple(int(w) for w in widths))


@register_model("fast-cnn")
def fast_cnn(in_shape, num_classes, widths: tuple = (32, 64, 96)):
    """airbench design for small images (MNIST-like): whitening stem, 3 conv groups (32/64/96 by default)."""
    return AirbenchNet(in_shape[0], num_classes, tuple(int(w) for w in widths))
