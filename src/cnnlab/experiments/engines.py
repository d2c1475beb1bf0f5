"""The two engines of the experiments: a scratch MultiLayerNet trained by NumPy, or its torch copy.

Both start from the same weights (the torch copy is built from the scratch network, layer by layer),
so a comparison between engines differs only in the arithmetic, not in the initialisation.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.scratch import Affine, BatchNorm, Dropout, Flatten, Network, ReLU, Sigmoid, Tanh, build_scratch_optimizer
from cnnlab.train.optimizers import build_optimizer

__all__ = ["Runner", "NumpyRunner", "TorchRunner", "make_runner", "ENGINES"]

ENGINES = ("numpy", "torch")


class Runner:
    """step(x, y) -> training loss; accuracy(x, y); grad_norms(x, y) per Affine layer;
    activations(x) per hidden layer.
    """

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        raise NotImplementedError

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        raise NotImplementedError


class NumpyRunner(Runner):
    def __init__(self, net: Network, optimizer: str, lr: float):
        self.net, self.optimizer = net, build_scratch_optimizer(optimizer, lr)

    def step(self, x, y):
        loss, grads = self.net.gradient(x, y, train=True)
        self.optimizer.step(self.net.params(), grads)
        return loss

    def accuracy(self, x, y):
        return self.net.accuracy(x, y)

    def grad_norms(self, x, y):
        self.net.gradient(x, y, train=True)
        return [float(np.linalg.norm(layer.grads["weight"])) for layer in self.net.layers if isinstance(layer, Affine)]

    def activations(self, x):
        outputs = []
        for layer in self.net.layers[:-1]:
            x = layer.forward(x, train=False)
            if isinstance(layer, (ReLU, Sigmoid, Tanh)):
                outputs.append(x)
        return outputs


def torch_copy(net: Network) -> nn.Sequential:
    """nn.Sequential with the same layers and weights as a scratch network (float32)."""
    modules: list[nn.Module] = []
    for layer in net.layers:
        if isinstance(layer, Flatten):
            modules.append(nn.Flatten())
        elif isinstance(layer, Affine):
            out_features, in_features = layer.params["weight"].shape
            modules.append(nn.Linear(in_features, out_features, bias="bias" in layer.params))
        elif isinstance(layer, BatchNorm):
            modules.append(nn.BatchNorm1d(layer.params["weight"].shape[0]))
        elif isinstance(layer, Dropout):
            modules.append(nn.Dropout(layer.p))
        elif isinstance(layer, (ReLU, Sigmoid, Tanh)):
            modules.append({ReLU: nn.ReLU, Sigmoid: nn.Sigmoid, Tanh: nn.Tanh}[type(layer)]())
        else:
            raise CnnlabError(f"the torch engine of the experiments has no copy of {type(layer).__name__}")
    model = nn.Sequential(*modules)
    state = {
        k.removeprefix("net."): torch.from_numpy(np.array(v, dtype=np.float32 if v.dtype.kind == "f" else v.dtype))
        for k, v in net.state_dict().items()
    }
    model.load_state_dict(state)
    return model


class TorchRunner(Runner):
    def __init__(self, net: Network, optimizer: str, lr: float):
        self.model = torch_copy(net)
        # L2 on weights only, as the scratch network applies it
        self.optimizer = build_optimizer(optimizer, self.model.parameters(), lr, net.weight_decay)
        self.label_smoothing = net.criterion.label_smoothing

    def _loss(self, x, y):
        return F.cross_entropy(
            self.model(torch.from_numpy(x)), torch.from_numpy(y).long(), label_smoothing=self.label_smoothing
        )

    def step(self, x, y):
        self.model.train()
        loss = self._loss(x, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def accuracy(self, x, y):
        self.model.eval()
        with torch.no_grad():
            correct = sum(
                int((self.model(torch.from_numpy(x[i : i + 1000])).argmax(1).numpy() == y[i : i + 1000]).sum())
                for i in range(0, len(x), 1000)
            )
        return correct / len(x)

    def grad_norms(self, x, y):
        self.model.train()
        self.model.zero_grad(set_to_none=True)
        self._loss(x, y).backward()
        return [float(m.weight.grad.norm()) for m in self.model if isinstance(m, nn.Linear)]

    def activations(self, x):
        self.model.eval()
        outputs, h = [], torch.from_numpy(x)
        with torch.no_grad():
            for module in list(self.model)[:-1]:
                h = module(h)
                if isinstance(module, (nn.ReLU, nn.Sigmoid, nn.Tanh)):
                    outputs.append(h.numpy())
        return outputs


def make_runner(engine: str, net: Network, optimizer: str, lr: float) -> Runner:
    if engine == "numpy":
        return NumpyRunner(net, optimizer, lr)
    if engine == "torch":
        return TorchRunner(net, optimizer, lr)
    raise CnnlabError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
