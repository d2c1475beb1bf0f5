"""Batches from an in-memory dataset: index, move to the device, normalise and augment per batch.

No DataLoader and no worker processes: the whole split is one uint8 tensor, so a batch is one gather.
The order and the augmentation come from one seeded generator, whose state is saved in checkpoints
so a resumed run sees the same batches as an uninterrupted one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import torch

from cnnlab.data.augment import random_hflip, random_translate
from cnnlab.data.datasets import ImageDataset

__all__ = ["Batches", "Normalise"]


@dataclass(frozen=True)
class Normalise:
    """x -> (x / 255 - mean) / std per channel."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def __call__(self, images_uint8: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
        c = images_uint8.shape[1]
        mean = torch.tensor(self.mean, dtype=dtype, device=images_uint8.device).view(1, c, 1, 1)
        scale = torch.tensor([1 / (255 * s) for s in self.std], dtype=dtype, device=images_uint8.device).view(1, c, 1, 1)
        return (images_uint8.to(dtype) - 255 * mean) * scale


class Batches:
    """Iterate over (x, y) batches: x float (B, C, H, W) normalised on `device`, y int64 (B,)."""

    def __init__(
        self,
        data: ImageDataset,
        batch_size: int,
        normalise: Normalise,
        device: torch.device,
        shuffle: bool = False,
        translate: int = 0,
        hflip: bool = False,
        generator: torch.Generator | None = None,
        drop_last: bool = False,
        channels_last: bool = False,
    ):
        self.batch_size = batch_size
        self.normalise = normalise
        self.device = device
        self.shuffle, self.translate, self.hflip = shuffle, translate, hflip
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)
        self.drop_last = drop_last
        self.channels_last = channels_last
        # Keep the uint8 data on the device once (a GPU holds all of MNIST or CIFAR-10 easily).
        self.images = data.images.to(device)
        self.labels = data.labels.to(device)

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.labels)
        order = torch.randperm(n, generator=self.generator).to(self.device) if self.shuffle else None
        for i in range(len(self)):
            index = slice(i * self.batch_size, min(n, (i + 1) * self.batch_size))
            if order is not None:
                idx = order[index]
                images, labels = self.images[idx], self.labels[idx]
            else:
                images, labels = self.images[index], self.labels[index]
            x = self.normalise(images)
            if self.translate:
                x = random_translate(x, self.translate, self.generator)
            if self.hflip:
                x = random_hflip(x, self.generator)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            yield x, labels
