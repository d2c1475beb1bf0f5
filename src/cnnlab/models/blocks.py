"""Small building blocks shared by the model families."""

from __future__ import annotations

from torch import nn

__all__ = ["activation", "conv_bn_relu", "ACTIVATIONS"]

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "gelu": nn.GELU, "leaky_relu": nn.LeakyReLU}


def activation(name: str) -> nn.Module:
    from cnnlab.errors import CnnlabError

    if name not in ACTIVATIONS:
        raise CnnlabError(f"unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def conv_bn_relu(c_in: int, c_out: int, kernel: int = 3, stride: int = 1, batch_norm: bool = True) -> nn.Sequential:
    """kernel x kernel conv with 'same' padding (odd kernels), optional batch norm, ReLU."""
    layers = [nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)
