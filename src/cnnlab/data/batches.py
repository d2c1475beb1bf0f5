"""Batches from an in-memory dataset: index, move to the device, normalise and augment per batch.

No DataLoader and no worker processes: the whole split is one uint8 tensor, so a batch is one gather.
The order and the augmentation come from one seeded generator, whose state is saved in checkpoints
so a resumed run sees the same batches as an uninterrupted one. The random numbers of a whole epoch
(order, shifts, flips) are drawn at its start and moved to the device in one transfer, so on a GPU the
batch loop never waits for the host.

Distributed training: with `shard=(rank, world)` each process takes the positions rank, rank + world,
... of every global batch, so the processes together see exactly the batches one process would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import torch

from cnnlab.data.augment import alternating_flip_mask, translate
from cnnlab.data.datasets import ImageDataset

__all__ = ["Batches", "Normalise"]


@dataclass(frozen=True)
class Normalise:
    """x -> (x / 255 - mean) / std per channel."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def constants(self, device, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        """(255 * mean, 1 / (255 * std)) shaped (1, C, 1, 1) on `device`: x = (images - shift) * scale."""
        c = len(self.mean)
        shift = torch.tensor([255 * m for m in self.mean], dtype=dtype).view(1, c, 1, 1).to(device)
        scale = torch.tensor([1 / (255 * s) for s in self.std], dtype=dtype).view(1, c, 1, 1).to(device)
        return shift, scale

    def __call__(self, images_uint8: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
        shift, scale = self.constants(images_uint8.device, dtype)
        return (images_uint8.to(dtype) - shift) * scale


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
        alternating_flip: bool = False,
        shard: tuple[int, int] = (0, 1),
    ):
        self.batch_size = batch_size
        self.normalise = normalise
        self.device = device
        self.shuffle, self.translate, self.hflip = shuffle, translate, hflip
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)
        self.drop_last = drop_last
        self.channels_last = channels_last
        self.rank, self.world = shard
        self.epoch = 0  # epochs started; the trainer sets it when it resumes
        # Keep the uint8 data on the device once (a GPU holds all of MNIST or CIFAR-10 easily).
        self.images = data.images.to(device)
        self.labels = data.labels.to(device)
        self.shift, self.scale = normalise.constants(device)
        self.flip_base = None
        if hflip and alternating_flip:  # a fixed random half of the images, independent of the batch generator
            seed = self.generator.initial_seed()
            self.flip_base = (
                torch.randint(0, 2, (len(self.labels),), generator=torch.Generator().manual_seed(seed))
                .bool()
                .to(device)
            )

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _epoch_randomness(self, n: int):
        g = self.generator
        order = torch.randperm(n, generator=g) if self.shuffle else torch.arange(n)
        offsets = torch.randint(0, 2 * self.translate + 1, (2, n), generator=g) if self.translate else None
        flips = (torch.rand(n, generator=g) < 0.5) if self.hflip and self.flip_base is None else None
        order, offsets, flips = [t.to(self.device) if t is not None else None for t in (order, offsets, flips)]
        if self.flip_base is not None:  # alternating flips draw nothing from the generator
            flips = alternating_flip_mask(self.flip_base, order, self.epoch)
        return order, offsets, flips

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.labels)
        self.epoch += 1
        order, offsets, flips = self._epoch_randomness(n)
        for i in range(len(self)):
            positions = slice(i * self.batch_size + self.rank, min(n, (i + 1) * self.batch_size), self.world)
            idx = order[positions]
            images, labels = self.images[idx], self.labels[idx]
            x = (images.float() - self.shift) * self.scale
            if offsets is not None:
                x = translate(x, offsets[:, positions], self.translate)
            if flips is not None:  # flips is in epoch order, like `order`
                x = torch.where(flips[positions][:, None, None, None], x.flip(3), x)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            yield x, labels
