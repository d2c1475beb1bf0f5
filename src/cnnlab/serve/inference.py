"""One run's model answering one image: the top classes with probabilities, and the activations of every
conv and pooling layer (forward hooks, the model unchanged) for the page's layer views and stepper."""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cnnlab.data import Normalise, dataset_spec
from cnnlab.data.images import fit_to_shape
from cnnlab.data.mnist_style import MNIST_SIDE, centre_like_mnist
from cnnlab.train.classify import load_run_model
from cnnlab.train.runs import trained_data

__all__ = ["Predictor", "encode_floats", "MAX_CHANNELS_SHOWN"]

MAX_CHANNELS_SHOWN = 16  # per layer, in the page's maps and the stepper's filters
TOP = 5
LAYER_TYPES = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def encode_floats(array) -> str:
    """float32 little-endian bytes as base64: what the page's JavaScript reads into a Float32Array."""
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def _pair(value) -> list[int]:
    return list(value) if isinstance(value, (tuple, list)) else [value, value]


@dataclass
class Predictor:
    model: nn.Module
    classes: tuple[str, ...]
    in_shape: tuple[int, int, int]
    normalise: Normalise
    layer_names: list[tuple[str, nn.Module]]
    # Each request thread collects the activations of its own forward pass here: two predictions may run
    # at once on the one model, and hooks shared between them would mix their activations.
    captured: threading.local = field(default_factory=threading.local)

    def __post_init__(self):
        for name, module in self.layer_names:
            module.register_forward_hook(self._keeper(name))

    def _keeper(self, name: str):
        def keep(module, inputs, output):
            store = getattr(self.captured, "maps", None)
            if store is not None:  # clone: an in-place ReLU after a conv would overwrite what was kept
                store[name] = output.detach()[0].clone()

        return keep

    @classmethod
    def from_run(cls, run_dir: Path) -> "Predictor":
        with trained_data(run_dir):
            model, config = load_run_model(run_dir, "best", torch.device("cpu"))
            spec = dataset_spec(config.data)
        layers = [(name, module) for name, module in model.named_modules() if isinstance(module, LAYER_TYPES)]
        return cls(model, tuple(spec.classes), tuple(spec.in_shape), Normalise(spec.mean, spec.std), layers)

    @property
    def mnist_like(self) -> bool:
        """A one-channel 28x28 model: a drawing is centred and scaled the way MNIST digits are."""
        return self.in_shape == (1, MNIST_SIDE, MNIST_SIDE)

    def prepare(self, image: torch.Tensor, centre: bool) -> torch.Tensor:
        """uint8 (C, H, W) of any size -> uint8 in_shape; `centre` applies MNIST's centring on 28x28 grey models."""
        if centre and self.mnist_like:
            grey = fit_to_shape(image, (1, *image.shape[1:]))
            return torch.from_numpy(centre_like_mnist(grey[0].numpy()))[None]
        return fit_to_shape(image, self.in_shape)

    def first_conv(self) -> tuple[str, nn.Conv2d] | None:
        return next(((n, m) for n, m in self.layer_names if isinstance(m, nn.Conv2d)), None)

    def predict(self, image: torch.Tensor, centre: bool = False, maps: bool = False) -> dict:
        """Top classes and layer shapes for one uint8 (C, H, W) image; with `maps`, also the model's input
        and the first channels of every layer's activations (float32, base64)."""
        prepared = self.prepare(image, centre)
        x = self.normalise(prepared[None])
        captured: dict[str, torch.Tensor] = {}
        self.captured.maps = captured
        try:
            with torch.inference_mode():
                probabilities = torch.softmax(self.model(x).float(), dim=1)[0]
        finally:
            self.captured.maps = None
        values, indices = probabilities.topk(min(TOP, len(self.classes)))
        result = {
            "top": [{"class": self.classes[i], "probability": round(float(v), 6)} for v, i in zip(values, indices)],
            "layers": [
                {"name": name, "kind": type(module).__name__, "shape": list(captured[name].shape)}
                for name, module in self.layer_names
                if name in captured
            ],
        }
        if maps:
            result["input"] = {
                "shape": list(x.shape[1:]),
                "data": encode_floats(x[0].float()),
                "pixels": base64.b64encode(prepared.numpy().tobytes()).decode("ascii"),
            }
            for layer in result["layers"]:
                shown = captured[layer["name"]][:MAX_CHANNELS_SHOWN].float()
                if shown.ndim == 3:
                    layer.update(
                        channels=shown.shape[0],
                        data=encode_floats(shown),
                        min=float(shown.min()),
                        max=float(shown.max()),
                    )
        return result

    def first_layer(self) -> dict | None:
        """The first conv layer's filters (the first 16) with bias, stride, padding and dilation: what the
        page's stepper slides over the input."""
        found = self.first_conv()
        if found is None:
            return None
        name, conv = found
        weight = conv.weight.detach().float()[:MAX_CHANNELS_SHOWN]
        bias = conv.bias.detach().float()[:MAX_CHANNELS_SHOWN] if conv.bias is not None else torch.zeros(len(weight))
        padding = conv.padding
        if isinstance(padding, str):  # 'same' / 'valid'
            padding = (
                [d * (k - 1) // 2 for d, k in zip(_pair(conv.dilation), _pair(conv.kernel_size))]
                if padding == "same"
                else [0, 0]
            )
        return {
            "name": name,
            "out_channels": conv.out_channels,
            "shown": len(weight),
            "groups": conv.groups,
            "padding_mode": conv.padding_mode,
            "weight": weight.tolist(),
            "bias": bias.tolist(),
            "stride": _pair(conv.stride),
            "padding": _pair(padding),
            "dilation": _pair(conv.dilation),
        }
