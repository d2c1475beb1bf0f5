"""The CIFAR-10 CNN of the PyTorch practice lecture: unpadded 5x5 convolutions,
[5x5x3]x32 -> 28x28x32, [5x5x32]x32 -> 24x24x32, pooling, then two 3x3 layers of 64 and a classifier.
"""

from __future__ import annotations

from torch import nn

from cnnlab.conv.arithmetic import stack_output_size
from cnnlab.models.registry import register_model


@register_model("cifar-cnn")
def cifar_cnn(in_shape, num_classes, batch_norm: bool = False, dropout: float = 0.5):
    """CIFAR CNN (PyTorch lecture): conv5x32 -> 28x28x32, conv5x32 -> 24x24x32, pool, 2x conv3x64, pool, fc256, fc."""
    c, h, w = in_shape

    def conv(c_in, c_out, k):
        layers = [nn.Conv2d(c_in, c_out, k, bias=not batch_norm)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(c_out))
        return layers + [nn.ReLU(inplace=True)]

    conv_pool_stack = [5, 5, (2, 2), 3, 3, (2, 2)]
    side_h, side_w = (stack_output_size(n, conv_pool_stack) for n in (h, w))  # 4x4 for 32x32, 3x3 for 28x28
    return nn.Sequential(
        *conv(c, 32, 5),  # (32, H-4, W-4)
        *conv(32, 32, 5),  # (32, H-8, W-8)
        nn.MaxPool2d(2),
        *conv(32, 64, 3),
        *conv(64, 64, 3),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * max(side_h, 1) * max(side_w, 1), 256),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(256, num_classes),
    )
