"""Numerical gradient checks: backpropagation compared with central differences, in float64.

    numerical dL/dp_i = (L(p + h e_i) - L(p - h e_i)) / (2h)              error O(h^2) where L is smooth
    relative error    = ||analytic - numerical|| / max(||analytic|| + ||numerical||, 1e-8)    per array

The floor 1e-8 keeps a gradient that is truly zero (a bias followed by batch norm) from dividing
rounding noise (~1e-11 for h = 1e-5 in float64) by itself.

At a kink (ReLU at 0, a tie in a max-pool window) L has no derivative and the central difference means
nothing: the one-sided slopes (L(p + h e_i) - L(p))/h and (L(p) - L(p - h e_i))/h then differ by O(1)
instead of O(h), and the check stops with an error naming the coordinate instead of reporting a
meaningless mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from cnnlab.errors import CnnlabError

__all__ = ["numerical_gradient", "relative_error", "check_gradients", "check_layer", "check_network", "GradCheck"]

STEP = 1e-5


def relative_error(analytic: np.ndarray, numerical: np.ndarray) -> float:
    diff = np.linalg.norm((analytic - numerical).ravel())
    return float(diff / max(np.linalg.norm(analytic.ravel()) + np.linalg.norm(numerical.ravel()), 1e-8))


def numerical_gradient(f: Callable[[], float], p: np.ndarray, h: float = STEP, name: str = "p") -> np.ndarray:
    """Central differences of f() with respect to every entry of p (changed in place and restored)."""
    if p.dtype != np.float64:
        raise CnnlabError(f"gradient checks need float64 arrays ({name} is {p.dtype}); float32 rounding swamps h = {h}")
    grad = np.zeros_like(p)
    f0 = f()
    flat = p.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f()
        flat[i] = old - h
        f_minus = f()
        flat[i] = old
        right, left = (f_plus - f0) / h, (f0 - f_minus) / h
        # smooth: right - left ~ h f''; at a kink it is the jump of the slope, which does not shrink with h
        if abs(right - left) > 1e-3 * max(1.0, abs(right), abs(left)):
            index = [int(j) for j in np.unravel_index(i, p.shape)]
            raise CnnlabError(
                f"gradient check at a non-differentiable point: {name}{index} has slope {left:.6g} from the left "
                f"and {right:.6g} from the right (a ReLU input at 0 or a max-pool tie); "
                "use other random inputs or a different seed"
            )
        grad.flat[i] = (f_plus - f_minus) / (2 * h)
    return grad


@dataclass(frozen=True)
class GradCheck:
    """Relative error of each checked array (parameters by name, and "input")."""

    errors: dict[str, float]

    @property
    def worst(self) -> float:
        return max(self.errors.values())

    def __str__(self) -> str:
        return "\n".join(f"{name:<24} {err:.2e}" for name, err in self.errors.items())


def check_gradients(
    f: Callable[[], float], arrays: dict[str, np.ndarray], analytic: dict[str, np.ndarray], h: float = STEP
) -> GradCheck:
    """Compare analytic gradients with central differences of f for every named array."""
    return GradCheck(
        {name: relative_error(analytic[name], numerical_gradient(f, arrays[name], h, name)) for name in arrays}
    )


def check_layer(layer, x: np.ndarray, train: bool = True, seed: int = 0, h: float = STEP, reset=None) -> GradCheck:
    """Check one layer with L = sum(y * r), r fixed random: dL/dy = r, so backward(r) must match.

    `reset` is called before every forward pass (e.g. to re-seed a dropout mask).
    """
    r = np.random.default_rng(seed).standard_normal(layer.forward(x, train).shape)

    def f() -> float:
        if reset:
            reset()
        return float((layer.forward(x, train) * r).sum())

    if reset:
        reset()
    layer.forward(x, train)
    dx = layer.backward(r)
    analytic = {k: v.copy() for k, v in layer.grads.items()}
    arrays = dict(layer.params)
    if dx is not None:
        analytic["input"], arrays["input"] = dx, x
    return check_gradients(f, arrays, analytic, h)


def check_network(net, x: np.ndarray, labels: np.ndarray, train: bool = True, h: float = STEP, reset=None) -> GradCheck:
    """Check every parameter of a network (float64) on the loss it trains on, weight decay included."""

    def f() -> float:
        if reset:
            reset()
        return net.loss(x, labels, train)

    if reset:
        reset()
    _, grads = net.gradient(x, labels, train)
    grads = {k: v.copy() for k, v in grads.items()}
    return check_gradients(f, net.params(), grads, h)
