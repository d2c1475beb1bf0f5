"""Networks as a list of layers, and the four networks of the lectures.

    Network.loss(x, t)  = softmax cross-entropy(logits) + (lambda / 2) sum_W ||W||^2   (L2 weight decay)
    Network.gradient()  = backpropagation: the loss layer's (p - q)/N through every layer in reverse,
                          then dL/dW += lambda W for every weight (biases and batch-norm scales are not decayed,
                          as torch.optim's weight_decay groups in cnnlab.train do)

Each layer is named as the module of the equivalent torch model (cnnlab.models.from_scratch), so
`state_dict()` gives the keys of that model's state_dict and a safetensors file moves between the two.
"""

from __future__ import annotations

import numpy as np

from cnnlab.conv.arithmetic import window_count
from cnnlab.errors import CnnlabError
from cnnlab.scratch.activations import activation_layer
from cnnlab.scratch.base import Layer
from cnnlab.scratch.conv import Conv2d, MaxPool2d
from cnnlab.scratch.dense import Affine, Flatten
from cnnlab.scratch.loss import SoftmaxCrossEntropy
from cnnlab.scratch.regularization import BatchNorm, Dropout

__all__ = ["Network", "TwoLayerNet", "MultiLayerNet", "SimpleConvNet", "DeepConvNet", "DEEP_CONV_LAYOUT"]


class Network:
    """layers -> logits; loss with label smoothing and weight decay; backward; named parameters."""

    def __init__(self, layers: list[Layer], weight_decay: float = 0.0, label_smoothing: float = 0.0):
        if weight_decay < 0:
            raise CnnlabError(f"weight decay must be >= 0, got {weight_decay}")
        names = [layer.name for layer in layers]
        if len(set(names)) != len(names):
            raise CnnlabError(f"layer names must be unique, got {names}")
        self.layers = layers
        self.weight_decay = weight_decay
        self.criterion = SoftmaxCrossEntropy(label_smoothing)

    # -- parameters, named as torch's state_dict names them ----------------------------------------
    def params(self) -> dict[str, np.ndarray]:
        return {f"{layer.name}.{k}": v for layer in self.layers for k, v in layer.params.items()}

    def grads(self) -> dict[str, np.ndarray]:
        return {f"{layer.name}.{k}": v for layer in self.layers for k, v in layer.grads.items()}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters and buffers (batch-norm statistics) under torch's key names."""
        state = self.params()
        state.update({f"{layer.name}.{k}": v for layer in self.layers for k, v in layer.buffers.items()})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays in by name; every key must be present with the right shape (a clear error otherwise)."""
        own = self.state_dict()
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise CnnlabError(f"weights do not fit this network: missing {missing[:3]}, unexpected {unexpected[:3]}")
        for layer in self.layers:
            for store in (layer.params, layer.buffers):
                for k, v in store.items():
                    new = np.asarray(state[f"{layer.name}.{k}"])
                    if new.shape != v.shape:
                        raise CnnlabError(
                            f"weights do not fit: {layer.name}.{k} has shape {new.shape}, the network needs {v.shape}"
                        )
                    store[k] = new.astype(v.dtype, copy=True)

    def num_params(self) -> int:
        return sum(v.size for v in self.params().values())

    def astype(self, dtype) -> "Network":
        """All parameters and float buffers in `dtype` (float64 for gradient checks, float32 to train)."""
        for layer in self.layers:
            for store in (layer.params, layer.buffers):
                for k, v in store.items():
                    if np.issubdtype(v.dtype, np.floating):
                        store[k] = v.astype(dtype)
        return self

    @property
    def dtype(self):
        return next(iter(self.params().values())).dtype

    # -- forward and backward ------------------------------------------------------------------------
    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """Logits (N, classes); `train` switches batch norm and dropout to their training behaviour."""
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def _decay_term(self) -> float:
        if not self.weight_decay:
            return 0.0
        return 0.5 * self.weight_decay * sum(float((w.astype(np.float64) ** 2).sum()) for k, w in self._decayed())

    def _decayed(self):
        return [(k, w) for k, w in self.params().items() if w.ndim > 1]

    def loss(self, x: np.ndarray, labels: np.ndarray, train: bool = True) -> float:
        self.logits = self.forward(x, train)
        return self.criterion.forward(self.logits, labels) + self._decay_term()

    def backward(self) -> dict[str, np.ndarray]:
        """dL/dparam for every parameter, after `loss` (the L2 term included)."""
        dout = self.criterion.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
            if dout is None:  # a first convolution built with input_grad=False: nothing lies before it
                break
        grads = self.grads()
        for key, w in self._decayed():
            if self.weight_decay:
                grads[key] = grads[key] + self.weight_decay * w
        return grads

    def gradient(self, x: np.ndarray, labels: np.ndarray, train: bool = True) -> tuple[float, dict[str, np.ndarray]]:
        loss = self.loss(x, labels, train)
        return loss, self.backward()

    def accuracy(self, x: np.ndarray, labels: np.ndarray, batch_size: int = 1000) -> float:
        correct = sum(
            int((self.forward(x[i : i + batch_size]).argmax(1) == labels[i : i + batch_size]).sum())
            for i in range(0, len(x), batch_size)
        )
        return correct / len(x)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(\n  "
            + "\n  ".join(map(repr, self.layers))
            + f"\n)  {self.num_params():,} parameters"
        )


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class TwoLayerNet(Network):
    """Flatten -> Affine(fc1) -> activation -> Affine(fc2): the first network of the lectures.

    Torch twin: `two-layer-net` (modules flatten, fc1, act, fc2).
    """

    def __init__(
        self,
        input_size=784,
        hidden_size=50,
        output_size=10,
        init="std",
        activation="relu",
        weight_decay=0.0,
        seed=0,
        dtype=np.float32,
    ):
        rng = _rng(seed)
        super().__init__(
            [
                Flatten("flatten"),
                Affine(input_size, hidden_size, init, rng, dtype, "fc1"),
                activation_layer(activation, "act"),
                Affine(hidden_size, output_size, init, rng, dtype, "fc2"),
            ],
            weight_decay,
        )


class MultiLayerNet(Network):
    """Flatten -> [Affine -> (BatchNorm) -> activation -> (Dropout)] * len(hidden) -> Affine.

    Layers are named net.0, net.1, ... in this order, the indices of torch's nn.Sequential: without batch
    norm this is exactly the `mlp` model of cnnlab.models (Flatten, Linear, act, [Dropout], ..., Linear).
    `init` defaults to He for ReLU and Xavier for sigmoid/tanh.
    """

    def __init__(
        self,
        input_size=784,
        hidden_sizes=(100,),
        output_size=10,
        activation="relu",
        init=None,
        batch_norm=False,
        dropout=0.0,
        weight_decay=0.0,
        seed=0,
        dtype=np.float32,
    ):
        rng = _rng(seed)
        init = init or ("he" if activation == "relu" else "xavier")
        layers: list[Layer] = [Flatten("net.0")]
        width = input_size
        for size in hidden_sizes:
            # a bias before batch norm is subtracted again with the mean: leave it out (its gradient is 0)
            layers.append(Affine(width, size, init, rng, dtype, f"net.{len(layers)}", bias=not batch_norm))
            if batch_norm:
                layers.append(BatchNorm(size, False, dtype=dtype, name=f"net.{len(layers)}"))
            layers.append(activation_layer(activation, f"net.{len(layers)}"))
            if dropout:
                layers.append(Dropout(dropout, rng, f"net.{len(layers)}"))
            width = size
        layers.append(Affine(width, output_size, init, rng, dtype, f"net.{len(layers)}"))
        super().__init__(layers, weight_decay)
        self.hidden_layers = [layer for layer in layers if isinstance(layer, Affine)][:-1]


class SimpleConvNet(Network):
    """Conv(conv1) -> ReLU -> MaxPool 2x2 -> Flatten -> Affine(fc1) -> ReLU -> Affine(fc2).

    Defaults as in the lectures: 30 filters of 5x5, stride 1, no padding, 100 hidden units
    (1x28x28 -> 30x24x24 -> 30x12x12 = 4320 -> 100 -> 10). Torch twin: `simple-convnet`.
    """

    def __init__(
        self,
        in_shape=(1, 28, 28),
        filters=30,
        kernel_size=5,
        padding=0,
        hidden_size=100,
        num_classes=10,
        init="he",
        weight_decay=0.0,
        seed=0,
        dtype=np.float32,
    ):
        rng = _rng(seed)
        c, h, w = in_shape
        oh, ow = window_count(h + 2 * padding, kernel_size), window_count(w + 2 * padding, kernel_size)
        if oh < 2 or ow < 2:
            raise CnnlabError(
                f"SimpleConvNet: a {kernel_size}x{kernel_size} kernel leaves {oh}x{ow} of a {h}x{w} input; "
                "use a larger input"
            )
        flat = filters * window_count(oh, 2, 2) * window_count(ow, 2, 2)
        super().__init__(
            [
                Conv2d(c, filters, kernel_size, 1, padding, init, rng, dtype, "conv1", input_grad=False),
                activation_layer("relu", "relu1"),
                MaxPool2d(2, name="pool"),
                Flatten("flatten"),
                Affine(flat, hidden_size, init, rng, dtype, "fc1"),
                activation_layer("relu", "relu2"),
                Affine(hidden_size, num_classes, init, rng, dtype, "fc2"),
            ],
            weight_decay,
        )


# VGG-style: 3x3 convs (stride 1, padding 1) and 2x2 max pools ("M"), then fc-ReLU-dropout-fc
DEEP_CONV_LAYOUT = (16, 16, "M", 32, 32, "M", 64, 64, "M")


class DeepConvNet(Network):
    """conv3x3-16 x2, pool, conv3x3-32 x2, pool, conv3x3-64 x2, pool, fc 50, ReLU, dropout 0.5, fc.

    Layers are named features.i / classifier.i as in the torch twin `deep-convnet` (two nn.Sequential).
    1x28x28 -> 16x14x14 -> 32x7x7 -> 64x3x3 = 576 -> 50 -> 10. He initialisation.
    """

    def __init__(
        self,
        in_shape=(1, 28, 28),
        num_classes=10,
        hidden_size=50,
        dropout=0.5,
        layout=DEEP_CONV_LAYOUT,
        init="he",
        weight_decay=0.0,
        seed=0,
        dtype=np.float32,
    ):
        rng = _rng(seed)
        c, h, w = in_shape
        layers: list[Layer] = []
        for item in layout:
            name = f"features.{len(layers)}"
            if item == "M":
                if h < 2 or w < 2:
                    raise CnnlabError(
                        f"DeepConvNet: a {c}x{h}x{w} feature map is too small for another 2x2 pool; use a larger input"
                    )
                layers.append(MaxPool2d(2, name=name))
                h, w = window_count(h, 2, 2), window_count(w, 2, 2)
            else:
                layers.append(Conv2d(c, item, 3, 1, 1, init, rng, dtype, name, input_grad=bool(layers)))
                layers.append(activation_layer("relu", f"features.{len(layers)}"))
                c = item
        classifier: list[Layer] = [
            Flatten("classifier.0"),
            Affine(c * h * w, hidden_size, init, rng, dtype, "classifier.1"),
            activation_layer("relu", "classifier.2"),
        ]
        if dropout:
            classifier.append(Dropout(dropout, rng, "classifier.3"))
        classifier.append(Affine(hidden_size, num_classes, init, rng, dtype, f"classifier.{len(classifier)}"))
        super().__init__(layers + classifier, weight_decay)
