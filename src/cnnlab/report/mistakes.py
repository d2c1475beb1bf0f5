"""Where a classifier goes wrong: accuracy per class, and its most confident mistakes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Mistakes", "misclassified", "per_class_accuracy", "confusion_from_predictions"]


@dataclass
class Mistakes:
    """The test images a model got wrong with the highest confidence, most confident first."""

    indices: np.ndarray  # into the images given
    true: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray  # the probability the model gave its (wrong) prediction
    total_wrong: int


def misclassified(probabilities: np.ndarray, labels, count: int = 16) -> Mistakes:
    """The `count` most confident mistakes among predictions `probabilities` (N, classes) of images with `labels`.

    Probabilities come from `cnnlab.report.inputs.predict_probabilities(model, images)`."""
    labels = np.asarray(labels)
    predicted = probabilities.argmax(1)
    confidence = probabilities.max(1)
    wrong = np.flatnonzero(predicted != labels)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:count]
    return Mistakes(order, labels[order], predicted[order], confidence[order], len(wrong))


def confusion_from_predictions(predicted, labels, num_classes: int) -> np.ndarray:
    """Counts (true class, predicted class), (num_classes, num_classes)."""
    matrix = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predicted)), 1)
    return matrix


def per_class_accuracy(confusion) -> np.ndarray:
    """Recall of each class: confusion[k, k] / sum_j confusion[k, j] (NaN for a class with no images)."""
    confusion = np.asarray(confusion, dtype=np.float64)
    totals = confusion.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / totals, np.nan)
