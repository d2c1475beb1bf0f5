"""cnnlab.conv: the convolution mathematics in plain NumPy (no torch import), tested against PyTorch."""

from cnnlab.conv.im2col import col2im, im2col

__all__ = ["im2col", "col2im"]
