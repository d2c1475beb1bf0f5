"""A small configurable CNN for the lectures' controlled comparisons: kernel stacks, pooling, activations.

    stem:   3x3 conv (in -> width), activation
    stages: `stages` times [the kernel stack: one conv per entry of `kernels`, width -> width, 'same'
            padding, activation after each] then, with pool="max", a 2x2 max pool
    head:   pool="max": flatten -> linear;  pool="none": global average -> linear

kernels="7" against kernels="3,3,3" is the VGG argument: the same receptive field (1 + 3*2 = 7) with
27 C^2 weights per stack instead of 49 C^2, and two more non-linearities. pool="none" keeps every
feature map at full resolution (a convolution is shift-equivariant; only the global average at the end
discards position), pool="max" downsamples twice. `padding_mode` is torch's (zeros, circular, ...).
"""

from __future__ import annotations

from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.models.blocks import activation as make_activation
from cnnlab.models.registry import register_model

__all__ = ["ConvStack", "parse_kernels", "POOLS"]

POOLS = ("max", "none")


def parse_kernels(kernels) -> tuple[int, ...]:
    """'3,3,3' (or a sequence of ints) -> (3, 3, 3); every kernel odd and positive, so 'same' padding is exact."""
    try:
        sizes = tuple(int(k) for k in (kernels.split(",") if isinstance(kernels, str) else kernels))
    except (TypeError, ValueError):
        raise CnnlabError(f"kernels must be odd sizes separated by commas, like 3,3,3 or 7; got {kernels!r}") from None
    if not sizes or any(k < 1 or k % 2 == 0 for k in sizes):
        raise CnnlabError(f"kernels must be odd sizes separated by commas, like 3,3,3 or 7; got {kernels!r}")
    return sizes


class ConvStack(nn.Module):
    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        kernels: tuple[int, ...],
        width: int,
        stages: int,
        pool: str,
        activation: str,
        padding_mode: str,
        grid: tuple[int, int],
    ):
        super().__init__()

        def conv(c_in: int, k: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, width, k, padding=k // 2, padding_mode=padding_mode), make_activation(activation)]

        layers = conv(in_channels, 3)
        for _ in range(stages):
            for k in kernels:
                layers += conv(width, k)
            if pool == "max":
                layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        if pool == "max":
            side_h, side_w = grid[0] // 2**stages, grid[1] // 2**stages  # each 2x2 pool floors H/2 and W/2
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(width * side_h * side_w, num_classes))
        else:
            self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


@register_model("conv-stack")
def conv_stack(
    in_shape,
    num_classes,
    kernels: str = "3,3,3",
    width: int = 32,
    stages: int = 2,
    pool: str = "max",
    activation: str = "relu",
    padding_mode: str = "zeros",
):
    """Configurable CNN for controlled comparisons: 3x3 stem, stages of a kernel stack (+ 2x2 max pool), linear head."""
    if pool not in POOLS:
        raise CnnlabError(f"conv-stack pool must be one of {', '.join(POOLS)}, got {pool!r}")
    if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
        raise CnnlabError(f"conv-stack padding_mode must be zeros, reflect, replicate or circular: {padding_mode!r}")
    if int(width) < 1 or int(stages) < 1:
        raise CnnlabError(f"conv-stack needs width >= 1 and stages >= 1, got width {width}, stages {stages}")
    _, h, w = in_shape
    if pool == "max" and min(h, w) < 2 ** int(stages):
        raise CnnlabError(
            f"conv-stack with {stages} max pools needs at least {2 ** int(stages)} pixels a side, got {h}x{w}"
        )
    return ConvStack(
        in_shape[0],
        num_classes,
        parse_kernels(kernels),
        int(width),
        int(stages),
        pool,
        activation,
        padding_mode,
        (h, w),
    )
