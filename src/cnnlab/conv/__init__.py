"""cnnlab.conv: the convolution mathematics in plain NumPy (no torch import), tested against PyTorch.

ops         convolve / correlate in 1-D, 2-D, 3-D (mode, stride, padding, dilation)
layers      conv1d/2d/3d, conv_transpose1d/2d/3d with torch semantics; readable reference loops
pooling     max/avg pool 1-D and 2-D, global pools
gradients   backward of every layer and pool (the backward of a convolution is a convolution)
matrix      as_matrix: convolution as a (doubly-block) Toeplitz matrix
kernels     named kernels: box, gaussian, sobel, laplacian, sharpen, ...
arithmetic  output sizes, padding, receptive field, parameter and multiply-add counts, explained
explain     whole-layer summaries (shape, params, MACs) as `cnnlab explain` prints them
"""

from cnnlab.conv import kernels
from cnnlab.conv.arithmetic import (
    Explained,
    conv_macs,
    conv_output_size,
    conv_params,
    linear_macs,
    linear_params,
    pool_output_size,
    receptive_field,
    same_padding,
    transposed_output_size,
)
from cnnlab.conv.explain import (
    LayerExplanation,
    explain_conv,
    explain_linear,
    explain_pool,
    explain_stack,
    explain_transposed,
)
from cnnlab.conv.gradients import (
    ConvGrads,
    avg_pool_backward,
    conv_backward,
    conv_transpose_backward,
    global_avg_pool_backward,
    global_max_pool_backward,
    max_pool_backward,
)
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
from cnnlab.conv.matrix import WeightCounts, as_matrix, weight_counts
from cnnlab.conv.ops import convolve, correlate
from cnnlab.conv.pooling import avg_pool1d, avg_pool2d, global_avg_pool, global_max_pool, max_pool1d, max_pool2d
from cnnlab.conv.sequences import dice_sum, moving_average

__all__ = [
    "dice_sum",
    "moving_average",
    # ops
    "convolve",
    "correlate",
    # layers
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "conv2d_reference",
    "conv_transpose2d_reference",
    "im2col",
    "col2im",
    # pooling
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "global_avg_pool",
    "global_max_pool",
    # gradients
    "conv_backward",
    "conv_transpose_backward",
    "max_pool_backward",
    "avg_pool_backward",
    "global_avg_pool_backward",
    "global_max_pool_backward",
    "ConvGrads",
    # matrix, kernels
    "as_matrix",
    "weight_counts",
    "WeightCounts",
    "kernels",
    # arithmetic and explanations
    "Explained",
    "conv_output_size",
    "pool_output_size",
    "same_padding",
    "transposed_output_size",
    "receptive_field",
    "conv_params",
    "conv_macs",
    "linear_params",
    "linear_macs",
    "LayerExplanation",
    "explain_conv",
    "explain_pool",
    "explain_linear",
    "explain_transposed",
    "explain_stack",
]
