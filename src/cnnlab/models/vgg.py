"""VGG (Simonyan & Zisserman 2014), CIFAR-sized: only 3x3 convolutions (stride 1, padding 1) and 2x2 max
pooling (stride 2), with batch norm. Three stacked 3x3 layers see 7x7 with 27C^2 weights instead of
49C^2. On 32x32 inputs the five pools end at 1x1x512, so the classifier is one linear layer.
"""

from __future__ import annotations

from torch import nn

from cnnlab.models.blocks import conv_bn_relu
from cnnlab.models.registry import register_model

__all__ = ["VGG", "CONFIGS"]

# numbers are conv widths, "M" a 2x2 max pool
CONFIGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


class VGG(nn.Module):
    def __init__(self, config: list, in_channels: int, num_classes: int, batch_norm: bool = True, dropout: float = 0.0):
        super().__init__()
        layers: list[nn.Module] = []
        width = in_channels
        for item in config:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers.append(conv_bn_relu(width, item, 3, batch_norm=batch_norm))
                width = item
        self.features = nn.Sequential(*layers)
        # global average pool: 1x1 on 32x32 inputs already; it lets larger inputs through unchanged in meaning
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout) if dropout else nn.Identity(), nn.Linear(width, num_classes)
        )

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)))


@register_model("vgg11")
def vgg11(in_shape, num_classes, batch_norm: bool = True, dropout: float = 0.0):
    """VGG-11 for 32x32 inputs: 8 conv3x3 layers with batch norm, 5 max pools, linear classifier."""
    return VGG(CONFIGS["vgg11"], in_shape[0], num_classes, batch_norm, dropout)


@register_model("vgg16")
def vgg16(in_shape, num_classes, batch_norm: bool = True, dropout: float = 0.0):
    """VGG-16 for 32x32 inputs: 13 conv3x3 layers with batch norm, 5 max pools, linear classifier."""
    return VGG(CONFIGS["vgg16"], in_shape[0], num_classes, batch_norm, dropout)
