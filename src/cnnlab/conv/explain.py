"""Whole-layer explanations built from `arithmetic`: output shape, parameters and multiply-adds of one
conv / pool / linear / transposed-conv layer, or of a stack of small kernels, each with its formula.

`explain_conv((3, 32, 32), filters=10, kernel=5, padding=2)` gives output 10x32x32, 760 parameters and
768,000 multiply-adds. `.lines()` is the text `cnnlab explain` prints, `.to_dict()` its JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cnnlab.conv._nd import ntuple
from cnnlab.conv.arithmetic import (
    Explained,
    conv_macs,
    conv_output_size,
    conv_params,
    linear_macs,
    linear_params,
    pool_output_size,
    receptive_field,
    transposed_output_size,
)
from cnnlab.errors import CnnlabError

__all__ = ["LayerExplanation", "explain_conv", "explain_pool", "explain_linear", "explain_transposed", "explain_stack"]

_AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
_LABELS = {"params": "parameters", "macs": "multiply-adds"}


@dataclass(frozen=True)
class LayerExplanation:
    """One layer: its shapes and every derived number (an `Explained`) under a short name."""

    layer: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    quantities: dict[str, Explained] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        values = {name: q.value for name, q in self.quantities.items()}
        return {
            "layer": self.layer,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            **{k: list(v) if isinstance(v, tuple) else v for k, v in values.items()},
            "formulas": {name: str(q) for name, q in self.quantities.items()},
            "notes": list(self.notes),
        }

    def lines(self) -> list[str]:
        shape = "x".join(map(str, self.output_shape))
        out = [f"{self.layer}: input {'x'.join(map(str, self.input_shape))} -> output {shape}"]
        for name, q in self.quantities.items():
            value = f"{q.value:,}" if isinstance(q.value, int) else str(q.value)
            label = _LABELS.get(name, name.replace("_", " "))
            out.append(f"  {label:<16}{value:>10}   {q.formula}" + (f" = {q.numbers}" if q.numbers else ""))
        out.extend(f"  note: {note}" for note in self.notes)
        return out


def _spatial(input_shape, min_rank=2) -> tuple[int, tuple[int, ...]]:
    shape = tuple(input_shape)
    if not min_rank <= len(shape) <= 4:
        raise CnnlabError(f"input shape must be CxL, CxHxW or CxDxHxW, got {'x'.join(map(str, shape))}")
    return shape[0], shape[1:]


def explain_conv(
    input_shape,
    filters: int,
    kernel,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
    bias: bool = True,
    strict: bool = False,
) -> LayerExplanation:
    """A conv layer on a C x *I input: output O x *Out, params O(C/G prod K + 1), MACs O prod(Out) C/G prod K.

    strict=True refuses a stride that leaves input positions uncovered (see conv_output_size(exact=True)).
    """
    c, size = _spatial(input_shape)
    nd = len(size)
    kernel, stride, dilation = (
        ntuple(v, nd, n) for v, n in ((kernel, "kernel"), (stride, "stride"), (dilation, "dilation"))
    )
    padding = ntuple(padding, nd, "padding", minimum=0)
    sizes = {
        axis: conv_output_size(i, k, s, p, d, exact=strict)
        for axis, i, k, s, p, d in zip(_AXES[nd], size, kernel, stride, padding, dilation)
    }
    out = tuple(q.value for q in sizes.values())
    quantities = {
        **sizes,
        "params": conv_params(c, filters, kernel, groups, bias),
        "macs": conv_macs(c, filters, kernel, out, groups),
    }
    notes = tuple(f"{axis}: {q.note}" for axis, q in sizes.items() if q.note)
    return LayerExplanation(f"conv{nd}d", (c, *size), (filters, *out), quantities, notes)


def explain_pool(input_shape, kernel, stride=None, padding=0, dilation=1, ceil_mode: bool = False) -> LayerExplanation:
    """A pooling layer: each of the C planes shrinks by the pool formula; no parameters."""
    c, size = _spatial(input_shape)
    nd = len(size)
    kernel = ntuple(kernel, nd, "kernel")
    stride = kernel if stride is None else ntuple(stride, nd, "stride")
    padding, dilation = ntuple(padding, nd, "padding", minimum=0), ntuple(dilation, nd, "dilation")
    sizes = {
        axis: pool_output_size(i, k, s, p, d, ceil_mode)
        for axis, i, k, s, p, d in zip(_AXES[nd], size, kernel, stride, padding, dilation)
    }
    params = Explained(0, "pooling has no learnable weights", "")
    notes = tuple(f"{axis}: {q.note}" for axis, q in sizes.items() if q.note)
    return LayerExplanation(
        f"pool{nd}d", (c, *size), (c, *(q.value for q in sizes.values())), {**sizes, "params": params}, notes
    )


def explain_linear(in_features: int, out_features: int, bias: bool = True) -> LayerExplanation:
    """A fully connected layer in -> out: params in*out (+ out), MACs in*out."""
    quantities = {
        "params": linear_params(in_features, out_features, bias),
        "macs": linear_macs(in_features, out_features),
    }
    return LayerExplanation("linear", (in_features,), (out_features,), quantities)


def explain_transposed(
    input_shape,
    filters: int,
    kernel,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups: int = 1,
    bias: bool = True,
) -> LayerExplanation:
    """A transposed conv: O = (I-1)S - 2P + D(K-1) + OP + 1; weight (C, O/G, *K).

    Each input value is multiplied by the O/G x prod K weights of its group and scattered: that is the MAC count.
    """
    c, size = _spatial(input_shape)
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 or c % groups or filters % groups:
        raise CnnlabError(f"groups={groups} must divide both the {c} input and the {filters} output channels")
    nd = len(size)
    kernel, stride, dilation = (
        ntuple(v, nd, n) for v, n in ((kernel, "kernel"), (stride, "stride"), (dilation, "dilation"))
    )
    padding = ntuple(padding, nd, "padding", minimum=0)
    output_padding = ntuple(output_padding, nd, "output_padding", minimum=0)
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise CnnlabError(
            f"output_padding {output_padding} must be smaller than the stride {stride} or the dilation {dilation} "
            "on every axis (torch's rule: a larger one adds rows no input reaches); lower --output-padding"
        )
    sizes = {
        axis: transposed_output_size(i, k, s, p, op, d)
        for axis, i, k, s, p, op, d in zip(_AXES[nd], size, kernel, stride, padding, output_padding, dilation)
    }
    per_input = " x ".join(["C_out" if groups == 1 else "C_out/G", *("KD", "KH", "KW")[3 - nd :]])
    per_numbers = " x ".join([str(filters) if groups == 1 else f"{filters}/{groups}", *map(str, kernel)])
    weights = c * filters // groups * math.prod(kernel)
    plus, plus_n = (" + C_out", f" + {filters}") if bias else ("", "")
    params = Explained(
        weights + (filters if bias else 0), f"params = C_in x ({per_input}){plus}", f"{c} x ({per_numbers}){plus_n}"
    )
    # every input value is multiplied by every weight of its group once, and scattered
    in_axes = " x ".join(("ID", "IH", "IW")[3 - nd :])
    macs = Explained(
        weights * math.prod(size),
        f"MACs = C_in x {in_axes} x ({per_input})",
        f"{c} x {' x '.join(map(str, size))} x ({per_numbers})",
    )
    notes = ()
    if all(k == 2 * s and 2 * p == s for k, s, p in zip(kernel, stride, padding)):
        notes = (f"kernel 2N, stride N, padding N/2 with N = {stride[0]}: upsamples {stride[0]} times",)
    return LayerExplanation(
        f"conv_transpose{nd}d",
        (c, *size),
        (filters, *(q.value for q in sizes.values())),
        {**sizes, "params": params, "macs": macs},
        notes,
    )


def explain_stack(kernel: int, layers: int, channels: int = 1) -> LayerExplanation:
    """L stacked K x K stride-1 convs (C -> C, no bias) vs one kernel with the same receptive field R = 1 + L(K-1).

    Three 3x3 layers see 7x7 with 27C^2 weights where one 7x7 layer needs 49C^2 (VGG).
    """
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
        raise CnnlabError(f"layers must be an integer >= 1, got {layers!r}")
    field_ = receptive_field([kernel] * layers)
    r = field_.value
    one = conv_params(channels, channels, kernel, bias=False)
    stack = Explained(
        layers * one.value, f"params = L x {one.formula.removeprefix('params = ')}", f"{layers} x {one.numbers}"
    )
    single = conv_params(channels, channels, r, bias=False)
    quantities = {"receptive_field": field_, "stack_params": stack, "single_params": single}
    note = (
        f"{layers} stacked {kernel}x{kernel} layers see {r}x{r} with {stack.value:,} weights; "
        f"one {r}x{r} layer needs {single.value:,}"
    )
    return LayerExplanation(f"stack of {layers} conv {kernel}x{kernel}", (channels,), (channels,), quantities, (note,))
