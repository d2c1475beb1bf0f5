"""AlexNet (Krizhevsky, Sutskever & Hinton 2012), scaled for 32x32 and 28x28 inputs as CIFAR variants do.

The layer pattern of the paper: five convolutions with 11x11, 5x5 and three 3x3 kernels, overlapping
3x3 max pools with stride 2 after the first, second and fifth, then three fully connected layers with
dropout 0.5 before the first two. On 224x224 images the first layer strides by 4; on 32x32 it strides
by 2 (padding 5 keeps the 11x11 kernel centred), and the pools round up (ceil mode) so that the third
pool still has a window on 28x28 inputs: 28 -> 14 -> 7 -> 3 -> 1 and 32 -> 16 -> 8 -> 4 -> 2.

`width` is the first layer's filter count (64 in the paper's one-GPU form); the other layers keep the
paper's ratios 64:192:384:256:256 and the hidden fully connected layers have 16 x width units (1,024).
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.models.registry import register_model

__all__ = ["AlexNet"]


class AlexNet(nn.Module):
    def __init__(self, in_shape: tuple[int, int, int], num_classes: int, width: int = 64, dropout: float = 0.5):
        super().__init__()
        c1, c2, c3, c4, c5 = width, 3 * width, 6 * width, 4 * width, 4 * width
        self.features = nn.Sequential(
            nn.Conv2d(in_shape[0], c1, 11, stride=2, padding=5),  # (c1, H/2, W/2)
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),  # overlapping: 3x3 windows, stride 2
            nn.Conv2d(c1, c2, 5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),
            nn.Conv2d(c2, c3, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),
        )
        with torch.no_grad():  # the flattened size for this input shape (1x1 for 28x28, 2x2 for 32x32)
            flat = self.features(torch.zeros(1, *in_shape)).numel()
        hidden = 16 * width
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(flat, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


@register_model("alexnet")
def alexnet(in_shape, num_classes, width: int = 64, dropout: float = 0.5):
    """AlexNet for 32x32/28x28: conv11-pool-conv5-pool-conv3x3x3-pool (overlapping 3x3 pools), 3 FC with dropout."""
    if int(width) < 1:
        raise CnnlabError(f"alexnet width must be at least 1 filter, got {width}")
    return AlexNet(in_shape, num_classes, int(width), float(dropout))
