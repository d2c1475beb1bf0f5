"""Which layers of a torch model the pictures look at: its conv and pool layers, the first and the last conv,
and the classifier (the last linear layer, whose input is the penultimate-layer feature vector)."""

from __future__ import annotations

from torch import nn

from cnnlab.errors import CnnlabError

__all__ = ["conv_layers", "map_layers", "first_conv", "last_conv", "classifier_layer", "find_layer", "NO_CONV_REASON"]

POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
NO_CONV_REASON = (
    "has no convolution layers (it sees the image as one flat vector), so it has no filters or feature maps"
)


def conv_layers(model: nn.Module) -> list[tuple[str, nn.Conv2d]]:
    """(name, module) of every Conv2d, in the order they were defined."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]


def map_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of every conv and pool layer: the layers whose outputs are feature maps."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, *POOLS))]


def first_conv(model: nn.Module) -> tuple[str, nn.Conv2d]:
    """The first conv layer that learns (a frozen whitening stem, as in airbench, is fixed maths, not learnt)."""
    convs = conv_layers(model)
    if not convs:
        raise CnnlabError(f"{type(model).__name__} {NO_CONV_REASON}")
    learnt = [(n, m) for n, m in convs if m.weight.requires_grad]
    return (learnt or convs)[0]


def last_conv(model: nn.Module) -> tuple[str, nn.Conv2d]:
    convs = conv_layers(model)
    if not convs:
        raise CnnlabError(f"{type(model).__name__} {NO_CONV_REASON}")
    return convs[-1]


def classifier_layer(model: nn.Module) -> tuple[str, nn.Linear] | None:
    """The last nn.Linear (its input is the feature vector the classes are read from), or None."""
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    return linears[-1] if linears else None


def find_layer(model: nn.Module, name: str) -> nn.Module:
    modules = dict(model.named_modules())
    if name not in modules:
        names = ", ".join(n for n, _ in map_layers(model)) or "none"
        raise CnnlabError(f"the model has no layer {name!r}; its conv and pool layers are: {names}")
    return modules[name]
