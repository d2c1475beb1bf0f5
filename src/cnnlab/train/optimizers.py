"""Optimisers by name, as the lectures list them: SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW.

Multi-tensor (`foreach`) or fused kernels are used where torch has them: one kernel launch per step
for all parameters instead of one per tensor.
"""

from __future__ import annotations

import torch

from cnnlab.errors import CnnlabError

__all__ = ["build_optimizer"]


def build_optimizer(
    name: str, params, lr: float, weight_decay: float = 0.0, momentum: float = 0.9
) -> torch.optim.Optimizer:
    params = list(params)
    # weight decay only on weights, not on biases and batch-norm scales (standard practice since ResNet)
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, foreach=True)
    if name == "momentum":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, foreach=True)
    if name == "nesterov":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=True, foreach=True)
    if name == "adagrad":
        return torch.optim.Adagrad(groups, lr=lr, foreach=True)
    if name == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, alpha=0.99, foreach=True)
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr, foreach=True)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr, foreach=True)
    raise CnnlabError(
        f"unknown optimizer {name!r}; choose one of: sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw"
    )
