"""The model registry: every model is built by `create_model(name, in_shape, num_classes, **options)`.

A family file registers its entry points with `@register_model("name")`; an entry point takes
`in_shape=(C, H, W)`, `num_classes` and its own keyword options and returns an `nn.Module`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.inspect.summary import check_input_fits
from cnnlab.models.option_checks import check_model_options, check_parameter_memory

__all__ = ["register_model", "create_model", "list_models", "model_info", "ModelInfo"]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    family: str
    summary: str
    builder: Callable[..., nn.Module]
    lr: float | None = None  # suggested peak learning rate (Adam, one-cycle) where the common default does badly

    @property
    def options(self) -> dict[str, object]:
        """Keyword options of the builder with their defaults (beyond in_shape and num_classes)."""
        params = inspect.signature(self.builder).parameters.values()
        return {p.name: p.default for p in params if p.name not in ("in_shape", "num_classes")}


_REGISTRY: dict[str, ModelInfo] = {}


def register_model(name: str, lr: float | None = None):
    """Decorator: add a builder to the registry under `name`; its docstring's first line is the summary.

    `lr` is the model's suggested peak learning rate, used by training when none is given.
    """

    def decorate(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        summary = (builder.__doc__ or "").strip().splitlines()[0] if builder.__doc__ else ""
        family = builder.__module__.rsplit(".", 1)[-1]
        _REGISTRY[name] = ModelInfo(name, family, summary, builder, lr)
        return builder

    return decorate


def _load_families() -> None:
    # Importing the package imports every family file, which fills the registry.
    import cnnlab.models  # noqa: F401


def list_models() -> list[str]:
    _load_families()
    return sorted(_REGISTRY)


def model_info(name: str) -> ModelInfo:
    _load_families()
    if name not in _REGISTRY:
        from difflib import get_close_matches

        close = get_close_matches(name, list(_REGISTRY), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise CnnlabError(f"unknown model {name!r}; {hint}choose one of: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


OUTPUTS = ("classes", "field")  # what a task needs: one score per class, or a map of num_classes channels


def create_model(
    name: str, in_shape: tuple[int, int, int] = (1, 28, 28), num_classes: int = 10, output: str | None = None, **options
) -> nn.Module:
    """Build a registered model for inputs of shape `in_shape` (C, H, W) and `num_classes` outputs.

    Before any weight is allocated, the options are checked (types, ranges, list lengths), the model is built
    on torch's "meta" device (shapes without memory) to check that the input fits every layer, that the
    weights fit in memory and, when `output` is given, that it gives what the task needs ("classes": a
    vector of num_classes scores; "field": num_classes channels on the input grid)."""
    info = model_info(name)
    unknown = set(options) - set(info.options)
    if unknown:
        valid = ", ".join(info.options) or "none"
        raise CnnlabError(f"model {name!r} has no option {', '.join(sorted(unknown))}; its options are: {valid}")
    if len(in_shape) != 3 or any(isinstance(s, bool) or int(s) <= 0 for s in in_shape):
        raise CnnlabError(f"in_shape must be (C, H, W) with positive sizes, got {tuple(in_shape)}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise CnnlabError(f"model {name!r} needs at least 1 output (class or channel), got {num_classes!r}")
    options = check_model_options(name, info.options, options)
    in_shape = tuple(int(s) for s in in_shape)
    if not _fits_on_meta(info, name, in_shape, num_classes, output, options):
        model = info.builder(in_shape=in_shape, num_classes=num_classes, **options)
        check_input_fits(model, in_shape, name)
        return model
    return info.builder(in_shape=in_shape, num_classes=num_classes, **options)


def _fits_on_meta(
    info: ModelInfo, name: str, in_shape: tuple, num_classes: int, output: str | None, options: dict
) -> bool:
    """The checks of create_model on a model without memory; False where a builder cannot build on "meta"."""
    import torch

    try:
        with torch.device("meta"):
            probe = info.builder(in_shape=in_shape, num_classes=num_classes, **options)
    except (NotImplementedError, RuntimeError):
        return False
    check_parameter_memory(name, sum(p.numel() for p in probe.parameters()), options)
    check_input_fits(probe, in_shape, name)
    if output is not None:
        with torch.no_grad():
            shape = tuple(probe.eval()(torch.zeros(1, *in_shape, device="meta")).shape[1:])
        check_output(name, shape, in_shape, num_classes, output)
    return True


def check_output(name: str, shape: tuple, in_shape: tuple, num_classes: int, output: str) -> None:
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    shown = "x".join(map(str, shape))
    if output == "classes" and shape != (num_classes,):
        raise CnnlabError(
            f"model {name!r} gives a {shown} map per image, not {num_classes} class scores: image "
            f"classification needs a classifier such as lenet5, resnet20 or vgg11 (see cnnlab models)"
        )
    if output == "field" and shape != (num_classes, *in_shape[1:]):
        raise CnnlabError(
            f"model {name!r} gives {shown} per sample, not a {num_classes}x{in_shape[1]}x{in_shape[2]} "
            f"field on the grid: gridded tasks need a field model such as unet or fcn-resnet"
        )
