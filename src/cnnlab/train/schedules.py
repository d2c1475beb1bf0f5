"""Learning-rate schedules as multipliers of the peak rate, stepped once per batch.

  constant   1
  step       1, then 0.1 after 50% and 0.01 after 75% of the steps
  cosine     (1 + cos(pi t)) / 2 over t in [0, 1]
  onecycle   linear from 0.1 to 1 over the first 25% of steps, then linear down to 0 (Smith 2018)
  warmup     linear from 0 to 1 over the warm-up, then 1
Any schedule can be preceded by a linear warm-up of `warmup_steps`.
"""

from __future__ import annotations

import math

import torch

from cnnlab.errors import CnnlabError

__all__ = ["build_scheduler", "lr_factor"]


def lr_factor(name: str, step: int, total: int, warmup: int = 0) -> float:
    """Multiplier of the peak learning rate at `step` (0-based) of `total` steps."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    if name == "warmup":
        return 1.0
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    if name == "constant":
        return 1.0
    if name == "step":
        return 1.0 if t < 0.5 else 0.1 if t < 0.75 else 0.01
    if name == "cosine":
        return 0.5 * (1 + math.cos(math.pi * t))
    if name == "onecycle":
        rise = 0.25
        return 0.1 + 0.9 * t / rise if t < rise else max(0.0, (1 - t) / (1 - rise))
    raise CnnlabError(f"unknown schedule {name!r}; choose one of: constant, step, cosine, onecycle, warmup")


def build_scheduler(name: str, optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int = 0):
    lr_factor(name, 0, total_steps, warmup_steps)  # unknown names fail now, not mid-run
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(name, step, total_steps, warmup_steps))
