"""Classification metrics from logits: accuracy, mean loss, the confusion matrix, and per-class
precision, recall and F1 (with macro and weighted averages) from the confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["confusion_matrix", "ClassificationMeter", "per_class_report", "format_per_class"]


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


def per_class_report(confusion, classes: list[str]) -> dict:
    """Precision, recall, F1 and support of every class from a confusion matrix C[true, predicted], with
    their macro (plain mean over classes) and weighted (by support) averages and the accuracy.

    A class never predicted has precision 0, a class absent from the data recall 0, and F1 is 0 where
    precision + recall is 0 (scikit-learn's zero_division=0 convention), so every number is finite.
    """
    counts = torch.as_tensor(confusion, dtype=torch.float64)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] != len(classes):
        raise ValueError(f"confusion matrix of shape {tuple(counts.shape)} does not fit {len(classes)} classes")
    hits = counts.diag()
    predicted, support = counts.sum(0), counts.sum(1)
    precision = torch.where(predicted > 0, hits / predicted.clamp(min=1), torch.zeros_like(hits))
    recall = torch.where(support > 0, hits / support.clamp(min=1), torch.zeros_like(hits))
    denominator = precision + recall
    f1 = torch.where(denominator > 0, 2 * precision * recall / denominator.clamp(min=1e-300), torch.zeros_like(hits))
    total = support.sum()
    weights = support / total if total > 0 else torch.zeros_like(support)
    rows = [
        {"class": name, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(n)}
        for name, p, r, f, n in zip(classes, precision, recall, f1, support)
    ]
    average = {
        "macro": {"precision": float(precision.mean()), "recall": float(recall.mean()), "f1": float(f1.mean())},
        "weighted": {
            "precision": float((precision * weights).sum()),
            "recall": float((recall * weights).sum()),
            "f1": float((f1 * weights).sum()),
        },
    }
    accuracy = float(hits.sum() / total) if total > 0 else float("nan")
    return {"per_class": rows, "average": average, "accuracy": accuracy, "support": int(total)}


def format_per_class(report: dict) -> list[str]:
    """The per-class table of `per_class_report` as text lines."""
    width = max([len("weighted avg")] + [len(r["class"]) for r in report["per_class"]])
    lines = [f"{'class':<{width}}  {'precision':>9}  {'recall':>7}  {'f1':>7}  {'support':>7}"]
    for r in report["per_class"]:
        lines.append(
            f"{r['class']:<{width}}  {r['precision']:>9.4f}  {r['recall']:>7.4f}  {r['f1']:>7.4f}  {r['support']:>7}"
        )
    for name in ("macro", "weighted"):
        a = report["average"][name]
        lines.append(
            f"{name + ' avg':<{width}}  {a['precision']:>9.4f}  {a['recall']:>7.4f}  {a['f1']:>7.4f}  "
            f"{report['support']:>7}"
        )
    return lines
