"""Lookahead / EMA of the weights (Zhang et al. 2019; airbench's variant).

Every `every` steps the slow copy of the weights moves towards the fast (trained) weights,

    slow <- decay * slow + (1 - decay) * fast

and, with `copy_back=True` (lookahead), the fast weights restart from the slow ones: fast <- slow.
With copy_back=False it is a plain exponential moving average of the weights, read with `swap_in`.
Batch-norm running statistics are buffers, not weights: they are averaged the same way.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["Lookahead"]


class Lookahead:
    def __init__(self, model: nn.Module, decay: float, every: int = 5, copy_back: bool = True):
        self.decay, self.every, self.copy_back = decay, every, copy_back
        self.tensors = [t for t in model.state_dict().values() if t.dtype.is_floating_point]
        self.slow = [t.detach().clone() for t in self.tensors]
        self.steps = 0

    @torch.no_grad()
    def step(self) -> None:
        """Call after every optimiser step; acts on every `every`-th call."""
        self.steps += 1
        if self.steps % self.every:
            return
        torch._foreach_lerp_(self.slow, self.tensors, 1 - self.decay)  # slow + (1-d)(fast - slow)
        if self.copy_back:
            torch._foreach_copy_(self.tensors, self.slow)

    @torch.no_grad()
    def sync(self) -> None:
        """Fast <- slow now (at the end of training, so the weights that are evaluated are the slow ones)."""
        torch._foreach_copy_(self.tensors, self.slow)

    def state_dict(self) -> dict:
        return {"slow": self.slow, "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        for mine, saved in zip(self.slow, state["slow"]):
            mine.copy_(saved)
        self.steps = state["steps"]
