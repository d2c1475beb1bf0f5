"""Lookahead (Zhang et al. 2019; airbench's variant): a slow copy of the weights pulls training back.

Every `every` steps the slow weights move towards the fast (trained) ones and training restarts from them:

    slow <- decay * slow + (1 - decay) * fast,    fast <- slow

The slow weights are a WeightAverage updated every `every` steps (without warm-up) and copied back.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlab.train.weight_average import WeightAverage

__all__ = ["Lookahead"]


class Lookahead:
    def __init__(self, model: nn.Module, decay: float, every: int = 5):
        self.every = every
        self.slow = WeightAverage(model, decay, warmup=False)

    @property
    def steps(self) -> int:
        return self.slow.steps

    @torch.no_grad()
    def step(self) -> None:
        """Call after every optimiser step; acts on every `every`-th call."""
        self.slow.steps += 1
        if self.slow.steps % self.every:
            return
        self.slow.blend(self.slow.decay)
        self.slow.copy_to_model()

    def sync(self) -> None:
        """Fast <- slow now (at the end of training, so the weights that are evaluated are the slow ones)."""
        self.slow.copy_to_model()

    def state_dict(self) -> dict:
        return {"slow": self.slow.average, "steps": self.slow.steps}  # the keys run folders have always had

    def load_state_dict(self, state: dict) -> None:
        self.slow.load_state_dict(state)
