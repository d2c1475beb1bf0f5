"""Lookahead and the exponential moving average (EMA) of the weights.

Every `every` steps the slow copy of the weights moves towards the fast (trained) weights,

    slow <- decay * slow + (1 - decay) * fast

With `copy_back=True` it is lookahead (Zhang et al. 2019; airbench's variant): the fast weights restart
from the slow ones, fast <- slow. With `copy_back=False` it is a plain EMA of the weights that training
never sees; `swapped_in()` puts it into the model for evaluation and checkpoints. `warmup=True` uses
decay_n = min(decay, (1 + n) / (10 + n)) at the n-th update (as TensorFlow's ExponentialMovingAverage
does), so the early average is not dominated by the random initial weights.
Batch-norm running statistics are buffers, not weights: they are averaged the same way.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["Lookahead"]


class Lookahead:
    def __init__(self, model: nn.Module, decay: float, every: int = 5, copy_back: bool = True, warmup: bool = False):
        self.decay, self.every, self.copy_back, self.warmup = decay, every, copy_back, warmup
        self.tensors = [t for t in model.state_dict().values() if t.dtype.is_floating_point]
        self.slow = [t.detach().clone() for t in self.tensors]
        self.steps = 0

    def current_decay(self) -> float:
        """The decay of the next update."""
        if not self.warmup:
            return self.decay
        n = self.steps // self.every
        return min(self.decay, (1 + n) / (10 + n))

    @torch.no_grad()
    def step(self) -> None:
        """Call after every optimiser step; acts on every `every`-th call."""
        decay = self.current_decay()
        self.steps += 1
        if self.steps % self.every:
            return
        torch._foreach_lerp_(self.slow, self.tensors, 1 - decay)  # slow + (1-d)(fast - slow)
        if self.copy_back:
            torch._foreach_copy_(self.tensors, self.slow)

    @torch.no_grad()
    def sync(self) -> None:
        """Fast <- slow now (at the end of training, so the weights that are evaluated are the slow ones)."""
        torch._foreach_copy_(self.tensors, self.slow)

    @contextmanager
    def swapped_in(self):
        """Inside the block the model holds the slow (averaged) weights; the trained ones come back after."""
        with torch.no_grad():
            trained = [t.clone() for t in self.tensors]
            torch._foreach_copy_(self.tensors, self.slow)
        try:
            yield
        finally:
            with torch.no_grad():
                torch._foreach_copy_(self.tensors, trained)

    def state_dict(self) -> dict:
        return {"slow": self.slow, "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        for mine, saved in zip(self.slow, state["slow"]):
            mine.copy_(saved)
        self.steps = state["steps"]
