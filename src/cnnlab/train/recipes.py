"""Recipes: named presets of model + schedule + augmentation + speed switches for `cnnlab train --recipe`.

A recipe is a partial TrainConfig. Flags given on the command line override the recipe's values, so
`cnnlab train --recipe mnist-fast --epochs 3` is the recipe with three epochs. The measured times and
accuracies behind each recipe are in docs/speed.md, with the machine and the number of runs.

  mnist-fast    MNIST: fast-cnn 16/32/64, 6 epochs, evaluated on an EMA of the weights; aims at 99.5% test
                accuracy, and the per-epoch test line shows when 99.0% is passed (epoch 1 in every seed measured)
  fashion-fast  Fashion-MNIST: fast-cnn 32/64/96, 16 epochs of cosine after a 1-epoch warm-up, EMA of the
                weights, mirror TTA; 92% by epoch 2 or 3, 94% by epoch 7-9 (docs/speed.md: measured)
  cifar10-fast  CIFAR-10, airbench-class (Jordan 2024): frozen 2x2 patch-whitening first layer, BN with
                frozen scales, label smoothing 0.2, lookahead (EMA of weights copied back), alternating
                flips, 2-pixel translations, test-time mirror+translate. No CIFAR-10 accuracy has been
                measured with it here (CIFAR-10 is not on these machines).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cnnlab.errors import CnnlabError
from cnnlab.train.config import TrainConfig

__all__ = ["Recipe", "RECIPES", "recipe_config", "list_recipes"]


@dataclass(frozen=True)
class Recipe:
    name: str
    summary: str
    settings: dict  # TrainConfig fields; precision and channels_last are left to their "auto" defaults


RECIPES = {
    r.name: r
    for r in [
        Recipe(
            "mnist-fast",
            "MNIST: 99.0% after epoch 1 (7.7 s from launch), 99.5% by epoch 2-3 (15.3 s); mean of 3 seeds, 2-core CPU",
            dict(
                data="mnist",
                model="fast-cnn",
                epochs=6,
                batch_size=128,
                optimizer="adam",
                lr=4e-3,
                schedule="onecycle",
                translate=1,
                label_smoothing=0.1,
                ema=0.99,
                val_size=0,
                test_every_epoch=True,
                model_options={"widths": [16, 32, 64]},
            ),
        ),
        Recipe(
            "fashion-fast",
            (
                "Fashion-MNIST: 92% by epoch 2-3 (27.4 s from launch), 94% by epoch 7-9 (84.3 s); "
                "mean of 3 seeds, 2-core CPU"
            ),
            dict(
                data="fashion-mnist",
                model="fast-cnn",
                epochs=16,
                batch_size=128,
                optimizer="adam",
                lr=4e-3,
                schedule="cosine",
                warmup_epochs=1,
                translate=1,
                hflip=True,
                alternating_flip=True,
                label_smoothing=0.1,
                ema=0.99,
                tta=1,
                val_size=0,
                test_every_epoch=True,
                model_options={"widths": [32, 64, 96]},
            ),
        ),
        Recipe(
            "cifar10-fast",
            (
                "airbench-class CIFAR-10 recipe: whitening stem, lookahead, alternating flips, "
                "TTA (accuracy not measured here)"
            ),
            dict(
                data="cifar10",
                model="airbench",
                epochs=10,
                batch_size=1024,
                optimizer="nesterov",
                lr=1.0,
                momentum=0.85,
                weight_decay=5e-4,
                schedule="onecycle",
                translate=2,
                hflip=True,
                alternating_flip=True,
                label_smoothing=0.2,
                lookahead=0.95**5,
                lookahead_every=5,
                tta=2,
                val_size=0,
                test_every_epoch=False,
            ),
        ),
    ]
}


def list_recipes() -> list[str]:
    return list(RECIPES)


def recipe_config(name: str, overrides: dict | None = None) -> TrainConfig:
    """The TrainConfig of recipe `name`, with `overrides` (e.g. the flags a person gave) on top; precision and
    channels_last keep the trainer's "auto" defaults (TrainConfig.validate resolves them for the device)."""
    if name not in RECIPES:
        raise CnnlabError(f"unknown recipe {name!r}; choose one of: {', '.join(RECIPES)}")
    values = {**RECIPES[name].settings, "recipe": name}
    values.update(overrides or {})
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in values.items() if k in known}).validate()
