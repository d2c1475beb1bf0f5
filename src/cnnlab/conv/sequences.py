"""Lecture A's 1-D examples of convolution outside images: the sum of dice and the moving average.

The distribution of a sum of independent dice is the convolution of their distributions:
P(S = n) = sum over i + j = n of P(X = i) P(Y = j) = (p * q)_n. Two six-sided dice: p = q = [1/6] * 6 on
the faces 1..6 give the triangle 1/36, 2/36, ..., 6/36, ..., 1/36 on the sums 2..12.

A moving average of width w is the convolution with the box kernel [1/w] * w, in "valid" mode (only
where the window lies inside the sequence): y_n = (x_n + x_{n+1} + ... + x_{n+w-1}) / w.

Both use `cnnlab.conv.convolve`, the library's own convolution; the counts stay integers (the dice
counts are the convolution of [1] * sides with itself, divided by sides^dice once at the end).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.conv.ops import convolve
from cnnlab.errors import CnnlabError

__all__ = ["DiceSum", "dice_sum", "moving_average"]

MAX_OUTCOMES = 10**7  # sides^dice outcomes are counted exactly in int64; far below its limit


@dataclass(frozen=True)
class DiceSum:
    dice: int
    sides: int
    sums: list[int]  # dice .. dice*sides
    counts: list[int]  # outcomes giving each sum (of sides^dice)

    @property
    def outcomes(self) -> int:
        return self.sides**self.dice

    @property
    def probabilities(self) -> list[float]:
        return [c / self.outcomes for c in self.counts]

    def to_dict(self) -> dict:
        return {
            "dice": self.dice,
            "sides": self.sides,
            "outcomes": self.outcomes,
            "sums": self.sums,
            "counts": self.counts,
            "probabilities": self.probabilities,
            "formula": "P(S = n) = sum_{i+j=n} P(X = i) P(Y = j): the distributions convolved",
        }


def dice_sum(dice: int = 2, sides: int = 6) -> DiceSum:
    """The distribution of the sum of `dice` fair dice with `sides` faces, by repeated convolution."""
    if dice < 1 or sides < 2:
        raise CnnlabError(f"need at least 1 die with at least 2 sides, got {dice} dice with {sides} sides")
    if sides**dice > MAX_OUTCOMES:
        raise CnnlabError(f"{dice} dice with {sides} sides have {sides**dice:,} outcomes; at most {MAX_OUTCOMES:,}")
    face = np.ones(sides, dtype=np.int64)  # one way to throw each face 1..sides
    counts = face
    for _ in range(dice - 1):
        counts = convolve(counts, face)  # full mode: sums grow by sides - 1 per die
    return DiceSum(dice, sides, list(range(dice, dice * sides + 1)), [int(c) for c in counts])


def moving_average(values, window: int) -> np.ndarray:
    """Averages of `window` consecutive values: convolution with [1/window] * window, valid mode."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise CnnlabError(f"a moving average needs a non-empty 1-D sequence, got shape {x.shape}")
    if not 1 <= window <= x.size:
        raise CnnlabError(f"the window must be between 1 and the {x.size} values, got {window}")
    return convolve(x, np.full(window, 1.0 / window), "valid")
