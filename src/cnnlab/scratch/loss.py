"""Softmax followed by cross-entropy, with label smoothing (torch's nn.CrossEntropyLoss).

p = softmax(z) = exp(z - max z) / sum exp(z - max z)      (subtracting the max avoids overflow)
q = (1 - eps) onehot(t) + eps / K                          (label smoothing eps; eps = 0: the one-hot target)
L = -(1/N) sum_n sum_k q[n,k] log p[n,k]
dL/dz = (p - q) / N                                        (why softmax and cross-entropy are one layer)
"""

from __future__ import annotations

import math

import numpy as np

from cnnlab.errors import CnnlabError

__all__ = ["SoftmaxCrossEntropy", "softmax", "NonFiniteLoss"]


class NonFiniteLoss(CnnlabError):
    """The loss is inf or NaN: training diverged (a trainer adds where and what to do)."""


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxCrossEntropy:
    def __init__(self, label_smoothing: float = 0.0):
        if not 0 <= label_smoothing < 1:
            raise CnnlabError(f"label smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = label_smoothing

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        if logits.ndim != 2 or labels.shape != (logits.shape[0],):
            raise CnnlabError(
                f"the loss needs logits (N, K) and N integer labels, got shapes {logits.shape} and {labels.shape}"
            )
        n, k = logits.shape
        if labels.min() < 0 or labels.max() >= k:
            raise CnnlabError(
                f"labels must be class indices in [0, {k}), got values from {labels.min()} to {labels.max()}"
            )
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        q = np.full_like(log_p, self.label_smoothing / k)
        q[np.arange(n), labels] += 1.0 - self.label_smoothing
        self.p, self.q = np.exp(log_p), q
        loss = float(-(q * log_p).sum() / n)
        self.value = loss
        if not math.isfinite(loss):
            raise NonFiniteLoss(
                f"the loss became {loss}: the logits hold inf or NaN (training diverged); lower the learning rate"
            )
        return loss

    __call__ = forward

    def backward(self) -> np.ndarray:
        return (self.p - self.q) / self.p.shape[0]
