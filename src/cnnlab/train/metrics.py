"""Classification metrics from logits: accuracy, mean loss and the confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["confusion_matrix", "ClassificationMeter"]


def confusion_matrix(predicted: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """C[i, j] = number of examples of true class i predicted as class j."""
    index = target.to(torch.int64) * num_classes + predicted.to(torch.int64)
    return torch.bincount(index, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


@dataclass
class ClassificationMeter:
    """Running sums kept on the device (no host sync per batch); read with `.result()`."""

    loss_sum: torch.Tensor | float = 0.0
    correct: torch.Tensor | int = 0
    count: int = 0

    def update(self, logits: torch.Tensor, target: torch.Tensor, loss: torch.Tensor) -> None:
        n = target.shape[0]
        self.loss_sum = self.loss_sum + loss.detach().float() * n
        self.correct = self.correct + (logits.detach().argmax(1) == target).sum()
        self.count += n

    def result(self) -> dict[str, float]:
        if self.count == 0:
            return {"loss": float("nan"), "accuracy": float("nan")}
        return {"loss": float(self.loss_sum) / self.count, "accuracy": float(self.correct) / self.count}
