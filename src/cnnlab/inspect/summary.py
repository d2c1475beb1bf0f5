"""A per-layer table of any torch model: output shape, parameters and multiply-adds (MACs).

Rows are the leaf modules (modules without children) in the order they run, so containers are never
counted twice. Multiply-adds per example, exact for:
  convolution        out_elements * (C_in / groups) * prod(kernel)   (stride and dilation change only out_elements)
  transposed conv    in_elements * (C_out / groups) * prod(kernel)
  linear             out_elements * in_features
  batch norm         out_elements  (y = a*x + b per element once folded for inference)
  pooling, activations, flatten, dropout: 0
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from cnnlab.conv.arithmetic import window_count
from cnnlab.errors import CnnlabError

__all__ = ["summary", "LayerRow", "ModelSummary", "layer_macs", "check_input_fits"]


@dataclass
class LayerRow:
    name: str
    type: str
    output_shape: list[int]
    params: int
    macs: int


@dataclass
class ModelSummary:
    input_shape: list[int]
    layers: list[LayerRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    total_macs: int = 0
    params_bytes: int = 0
    activations_bytes: int = 0  # all leaf outputs for one example, float32: what a backward pass keeps
    input_bytes: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        """A Keras/torchinfo-style text table (shapes channels-first, without the batch dimension)."""
        rows = [
            (f"{r.name} ({r.type})", "x".join(map(str, r.output_shape)), f"{r.params:,}", f"{r.macs:,}")
            for r in self.layers
        ]
        head = ("Layer (type)", "Output shape", "Param #", "Mult-adds")
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
        line = "  ".join(f"{{:{'<' if i < 2 else '>'}{w}}}" for i, w in enumerate(widths))
        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        mb = 1024 * 1024
        out = [rule, line.format(*head), rule]
        out += [line.format(*r) for r in rows]
        out += [
            rule,
            f"Input shape: {'x'.join(map(str, self.input_shape))}",
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}",
            f"Total mult-adds: {self.total_macs:,} ({self.total_macs / 1e6:.2f} M)",
            f"Input size (MB): {self.input_bytes / mb:.2f}",
            f"Forward/backward pass size (MB): {self.activations_bytes / mb:.2f}",
            f"Params size (MB): {self.params_bytes / mb:.2f}",
            f"Estimated total size (MB): {(self.input_bytes + self.activations_bytes + self.params_bytes) / mb:.2f}",
            rule,
        ]
        return "\n".join(out)


def layer_macs(module: nn.Module, inputs: tuple, output: torch.Tensor) -> int:
    """Multiply-adds of one leaf module for one example (see the module docstring)."""
    batch = output.shape[0] if output.dim() > 0 else 1
    out_elements = output.numel() // max(batch, 1)
    if isinstance(module, nn.modules.conv._ConvTransposeNd):
        in_elements = inputs[0].numel() // max(batch, 1)
        return in_elements * (module.out_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, nn.modules.conv._ConvNd):
        return out_elements * (module.in_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, nn.Linear):
        return out_elements * module.in_features
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return out_elements
    return 0


def _leaves(model: nn.Module):
    return [(name or type(model).__name__, m) for name, m in model.named_modules() if not list(m.children())]


def _size_error(
    name: str, module: nn.Module, in_shape: tuple, error: Exception, model_name: str, input_shape
) -> CnnlabError:
    """Turn torch's shape error into one line that names the layer and puts the numbers in the formula."""
    shown = "x".join(map(str, input_shape))
    kind = type(module).__name__
    if isinstance(module, (nn.modules.conv._ConvNd, nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd)):
        k, s, p = (module.kernel_size, module.stride, module.padding)
        d = getattr(module, "dilation", 1)
        first = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
        k, s, p, d = first(k), first(s), first(p), first(d)
        size = in_shape[-1]
        out = window_count(size + 2 * p, k, s, d)
        return CnnlabError(
            f"input {shown} is too small for {model_name}: layer {name} ({kind} {k}x{k}, stride {s}, padding {p}) "
            f"gets a {in_shape[-2]}x{in_shape[-1]} map and O = floor((I + 2P - D(K-1) - 1)/S) + 1 = "
            f"floor(({size} + 2*{p} - {d}*({k}-1) - 1)/{s}) + 1 = {out}; use a larger input or a model for small images"
        )
    reason = str(error).splitlines()[0]
    return CnnlabError(
        f"input {shown} does not fit {model_name}: layer {name} ({kind}) "
        f"got shape {'x'.join(map(str, in_shape[1:]))}: {reason}"
    )


def _trace(model: nn.Module, input_shape, model_name: str, on_leaf=None):
    """Run one example through `model` in eval mode, calling on_leaf(name, module, inputs, output)."""
    current: list = [None]
    handles = []
    for name, module in _leaves(model):
        handles.append(
            module.register_forward_pre_hook(lambda m, i, n=name: current.__setitem__(0, (n, m, tuple(i[0].shape))))
        )
        if on_leaf is not None:
            handles.append(module.register_forward_hook(lambda m, i, o, n=name: on_leaf(n, m, i, o)))
    was_training = model.training
    model.eval()
    try:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device=device))
    except RuntimeError as error:
        if current[0] is None:
            raise CnnlabError(f"input {'x'.join(map(str, input_shape))} does not fit {model_name}: {error}") from None
        raise _size_error(*current[0], error, model_name, input_shape) from None
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()


def check_input_fits(model: nn.Module, input_shape, model_name: str = "the model") -> None:
    """Raise a CnnlabError naming the layer (and the output-size formula) if `input_shape` does not fit."""
    _trace(model, tuple(input_shape), model_name)


def summary(model: nn.Module, input_shape, model_name: str | None = None) -> ModelSummary:
    """Per-layer output shapes, parameters and multiply-adds of `model` for inputs of shape (C, H, W)."""
    input_shape = tuple(int(s) for s in input_shape)
    result = ModelSummary(list(input_shape))

    def record(name, module, inputs, output):
        if not isinstance(output, torch.Tensor):
            output = output[0]
        params = sum(p.numel() for p in module.parameters(recurse=False))
        macs = layer_macs(module, inputs, output)
        result.layers.append(LayerRow(name, type(module).__name__, list(output.shape[1:]), params, macs))
        result.activations_bytes += output[0].numel() * 4

    _trace(model, input_shape, model_name or type(model).__name__, record)
    result.total_params = sum(p.numel() for p in model.parameters())
    result.trainable_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    result.total_macs = sum(r.macs for r in result.layers)
    result.params_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    result.input_bytes = math.prod(input_shape) * 4
    return result
