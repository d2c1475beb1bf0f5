"""The exponential moving average (EMA) of a model's weights, kept beside training and never trained.

After every optimiser step

    average <- decay * average + (1 - decay) * weights

`swapped_in()` puts the average into the model for evaluation and checkpoints. `warmup=True` uses
decay_n = min(decay, (1 + n) / (10 + n)) at the n-th update (as TensorFlow's ExponentialMovingAverage
does), so the early average is not dominated by the random initial weights.
Batch-norm running statistics are buffers, not weights: they are averaged the same way.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["WeightAverage"]


class WeightAverage:
    def __init__(self, model: nn.Module, decay: float, warmup: bool = True):
        self.decay, self.warmup = decay, warmup
        self.tensors = [t for t in model.state_dict().values() if t.dtype.is_floating_point]
        self.average = [t.detach().clone() for t in self.tensors]
        self.steps = 0

    def current_decay(self) -> float:
        """The decay of the next update."""
        if not self.warmup:
            return self.decay
        return min(self.decay, (1 + self.steps) / (10 + self.steps))

    @torch.no_grad()
    def step(self) -> None:
        """Call after every optimiser step."""
        decay = self.current_decay()
        self.steps += 1
        self.blend(decay)

    @torch.no_grad()
    def blend(self, decay: float) -> None:
        """average <- decay * average + (1 - decay) * weights, once."""
        torch._foreach_lerp_(self.average, self.tensors, 1 - decay)  # average + (1-d)(weights - average)

    @torch.no_grad()
    def copy_to_model(self) -> None:
        """weights <- average, for good."""
        torch._foreach_copy_(self.tensors, self.average)

    @contextmanager
    def swapped_in(self):
        """Inside the block the model holds the average; the trained weights come back after."""
        with torch.no_grad():
            trained = [t.clone() for t in self.tensors]
            torch._foreach_copy_(self.tensors, self.average)
        try:
            yield
        finally:
            with torch.no_grad():
                torch._foreach_copy_(self.tensors, trained)

    def state_dict(self) -> dict:
        return {"average": self.average, "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        saved = state["average"] if "average" in state else state["slow"]  # runs saved before this class: "slow"
        for mine, theirs in zip(self.average, saved):
            mine.copy_(theirs)
        self.steps = state["steps"]
