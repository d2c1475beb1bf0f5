"""cnnlab.conv: the convolution mathematics in plain NumPy (no torch import), tested against PyTorch."""

from cnnlab.conv.gradients import ConvGrads, avg_pool_backward, conv_backward, conv_transpose_backward, max_pool_backward
from cnnlab.conv.im2col import col2im, im2col
from cnnlab.conv.layers import (
    conv1d,
    conv2d,
    conv2d_reference,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose2d_reference,
    conv_transpose3d,
)
from cnnlab.conv.ops import convolve, correlate
from cnnlab.conv.pooling import avg_pool1d, avg_pool2d, global_avg_pool, global_max_pool, max_pool1d, max_pool2d

__all__ = [
    "convolve", "correlate",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "conv2d_reference", "conv_transpose2d_reference",
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "global_avg_pool", "global_max_pool",
    "conv_backward", "conv_transpose_backward", "max_pool_backward", "avg_pool_backward", "ConvGrads",
    "im2col", "col2im",
]
