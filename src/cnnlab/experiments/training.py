"""Training zoo models for the experiments through the library's one training loop, and testing them on
changed test images (shifted, permuted): the experiments compare models, the trainer trains them.

Every model an experiment trains gets its own run folder under <experiment folder>/models/<label>/ with
the trainer's config.json, metrics.csv, weights and results.json, so `cnnlab evaluate` and `cnnlab
experiment features --run` can use it later.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn

from cnnlab.data import Batches, ImageDataset, Normalise, dataset_spec, load_dataset
from cnnlab.data.augment import translate
from cnnlab.experiments.common import ExperimentSettings
from cnnlab.train import RunResult, TrainConfig, evaluate, train

__all__ = ["train_model", "test_accuracy", "test_images", "shift_images", "seconds_to_epoch"]

EVAL_BATCH = 1000


def train_model(
    settings: ExperimentSettings,
    label: str,
    model: str,
    *,
    epochs: int,
    train_size: int,
    test_size: int,
    data: str | None = None,
    options: dict | None = None,
    **config,
) -> RunResult:
    """Train `model` with the trainer's defaults (Adam, one-cycle) unless `config` overrides them; no
    validation hold-out (the experiments report test scores), the test set scored after every epoch."""
    settings_config = dict(
        model=model,
        data=data or settings.data,
        epochs=epochs,
        train_size=train_size,
        test_size=test_size,
        val_size=0,
        test_every_epoch=True,
        seed=settings.seed,
        out=str(Path(settings.out) / "models" / label),
        data_dir=settings.data_dir,
        model_options=dict(options or {}),
    )
    settings_config.update(config)
    return train(
        TrainConfig(**settings_config), log=lambda line: print(f"[{label}] {line}", file=sys.stderr), progress=False
    )


def test_images(settings: ExperimentSettings, test_size: int) -> ImageDataset:
    """The first `test_size` test images (0 = all) of the experiment's dataset, uint8 as stored."""
    images = load_dataset(settings.data, "test", settings.data_dir)
    return images.take(test_size) if test_size else images


def test_accuracy(model: nn.Module, images: ImageDataset, data: str) -> float:
    """Accuracy of `model` on `images` (uint8), normalised as the trainer normalises `data`, in fp32 on the CPU."""
    spec = dataset_spec(data)
    device = torch.device("cpu")
    batches = Batches(images, EVAL_BATCH, Normalise(spec.mean, spec.std), device)
    metrics, _ = evaluate(model.to(device), batches, "fp32", device, len(spec.classes))
    return float(metrics["accuracy"])


def seconds_to_epoch(history: list[dict], epoch: int) -> float:
    """Training seconds of epochs 1..epoch (the trainer's per-epoch times, without evaluation)."""
    return float(sum(row["epoch_time_s"] for row in history[:epoch]))


def shift_images(images: ImageDataset, dy: int, dx: int) -> ImageDataset:
    """Every image moved by dy rows and dx columns (down and right for positive values), the uncovered border
    filled with zeros (black, the background of the digit and clothing images): out[r, c] = in[r - dy, c - dx]."""
    pad = max(abs(dy), abs(dx))
    if pad == 0:
        return images
    offsets = torch.tensor([[pad - dy], [pad - dx]]).expand(2, len(images))
    return ImageDataset(images.name, translate(images.images, offsets, pad), images.labels, images.classes)
