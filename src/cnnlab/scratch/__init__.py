"""cnnlab.scratch: neural networks from scratch in NumPy (no torch import), tested against PyTorch.

base            the Layer interface: forward(x, train) / backward(dout), params, grads, buffers
dense           Flatten, Affine
conv            Conv2d (im2col + one gemm), MaxPool2d, AvgPool2d
activations     ReLU, Sigmoid, Tanh
loss            SoftmaxCrossEntropy (label smoothing)
regularization  BatchNorm (1-D, 2-D), Dropout
init            std 0.01, Xavier, He
optimizers      SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam (torch.optim's definitions)
networks        Network, TwoLayerNet, MultiLayerNet, SimpleConvNet, DeepConvNet
gradcheck       numerical gradient checks (float64)
zoo             scratch twins of the registered torch models, by name
"""

from cnnlab.scratch.activations import ReLU, Sigmoid, Tanh
from cnnlab.scratch.base import Layer
from cnnlab.scratch.conv import AvgPool2d, Conv2d, MaxPool2d
from cnnlab.scratch.dense import Affine, Flatten
from cnnlab.scratch.gradcheck import (
    GradCheck,
    check_gradients,
    check_layer,
    check_network,
    numerical_gradient,
    relative_error,
)
from cnnlab.scratch.init import INITS, init_std, init_weight
from cnnlab.scratch.loss import SoftmaxCrossEntropy, softmax
from cnnlab.scratch.networks import DeepConvNet, MultiLayerNet, Network, SimpleConvNet, TwoLayerNet
from cnnlab.scratch.optimizers import (
    SCRATCH_OPTIMIZERS,
    SGD,
    AdaGrad,
    Adam,
    Momentum,
    Nesterov,
    Optimizer,
    RMSprop,
    build_scratch_optimizer,
)
from cnnlab.scratch.regularization import BatchNorm, Dropout
from cnnlab.scratch.zoo import SCRATCH_MODELS, create_scratch_model

__all__ = [
    "Layer",
    "Affine",
    "Flatten",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "SoftmaxCrossEntropy",
    "softmax",
    "BatchNorm",
    "Dropout",
    "INITS",
    "init_std",
    "init_weight",
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "AdaGrad",
    "RMSprop",
    "Adam",
    "SCRATCH_OPTIMIZERS",
    "build_scratch_optimizer",
    "Network",
    "TwoLayerNet",
    "MultiLayerNet",
    "SimpleConvNet",
    "DeepConvNet",
    "numerical_gradient",
    "relative_error",
    "check_gradients",
    "check_layer",
    "check_network",
    "GradCheck",
    "SCRATCH_MODELS",
    "create_scratch_model",
]
