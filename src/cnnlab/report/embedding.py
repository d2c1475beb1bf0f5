"""Features in two dimensions: the penultimate-layer features (the input of the last linear layer) of many
images, or their raw pixels, reduced to 50 dimensions with PCA and then to 2 with t-SNE (scikit-learn), or
to 2 with PCA alone (fast). Side by side, the two pictures show the network making the classes separable.

How separable is also given as a number: the accuracy of a 5-nearest-neighbour vote in the 2-D map
(leave-one-out), so the pictures of features and pixels can be compared without squinting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.report.extras import require
from cnnlab.report.inputs import as_batch
from cnnlab.report.layers import classifier_layer

__all__ = ["Embedding", "embedding", "penultimate_features", "neighbour_accuracy", "METHODS", "SPACES"]

METHODS = ("tsne", "pca")
SPACES = ("features", "pixels")
PCA_DIMENSIONS = 50


@dataclass
class Embedding:
    """points (N, 2) of images with `labels` (N,), made by `method` from `space` (features or pixels)."""

    points: np.ndarray
    labels: np.ndarray
    method: str
    space: str
    dimensions: int  # of the vectors before the reduction
    neighbour_accuracy: float  # leave-one-out 5-NN accuracy in the 2-D map

    def figure(self, classes: list[str] | None = None, ax=None):
        """A scatter coloured by class (tab10), with a legend of class names."""
        from cnnlab.report.extras import pyplot

        plt = pyplot()
        fig = None
        if ax is None:
            fig, ax = plt.subplots(figsize=(5, 5))
        colours = plt.get_cmap("tab10" if (self.labels.max(initial=0) < 10) else "tab20")
        for k in np.unique(self.labels):
            chosen = self.labels == k
            name = classes[k] if classes else str(k)
            ax.scatter(*self.points[chosen].T, s=6, color=colours(int(k) % colours.N), label=name, alpha=0.8)
        ax.set_title(
            f"{self.method.upper()} of {self.space} ({self.dimensions} dims): 5-NN accuracy "
            f"{100 * self.neighbour_accuracy:.1f}%",
            fontsize=9,
        )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(fontsize=6, markerscale=2, loc="best", frameon=False)
        return fig if fig is not None else ax.figure


def penultimate_features(model: nn.Module, images, batch_size: int = 500) -> np.ndarray:
    """(N, D) inputs of the model's last linear layer for normalised images (N, C, H, W)."""
    found = classifier_layer(model)
    if found is None:
        raise CnnlabError(f"{type(model).__name__} has no linear layer, so it has no penultimate feature vector")
    _, layer = found
    rows = []

    def keep(module, inputs):
        rows.append(inputs[0].detach().float().flatten(1).cpu().clone())

    handle = layer.register_forward_pre_hook(keep)
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                model(as_batch(images[start : start + batch_size], model))
    finally:
        handle.remove()
    return torch.cat(rows).numpy()


def embedding(
    model: nn.Module | None, images, labels, method: str = "tsne", space: str = "features", seed: int = 0
) -> Embedding:
    """2-D map of `images` (normalised, N x C x H x W): of the model's penultimate features, or of the raw
    pixels with space="pixels" (then `model` may be None). t-SNE runs on the first 50 principal components."""
    if method not in METHODS:
        raise CnnlabError(f"embedding method {method!r} is not one of {', '.join(METHODS)}")
    if space not in SPACES:
        raise CnnlabError(f"embedding space {space!r} is not one of {', '.join(SPACES)}")
    labels = np.asarray(labels)
    if len(labels) < 10:
        raise CnnlabError(f"an embedding needs at least 10 images, got {len(labels)}")
    if space == "pixels":
        vectors = np.asarray(images, dtype=np.float32).reshape(len(labels), -1)
    else:
        vectors = penultimate_features(model, images)
    decomposition = require("sklearn.decomposition")
    threadpoolctl = require("threadpoolctl")
    # One OpenMP thread: t-SNE's gradient loop with two threads ran 11x slower than with one on a busy
    # 2-core machine (threads spin waiting for each other); on a quiet one the second thread gains little.
    with threadpoolctl.threadpool_limits(1):
        dims = min(PCA_DIMENSIONS if method == "tsne" else 2, *vectors.shape)
        reduced = decomposition.PCA(dims, random_state=seed).fit_transform(vectors)
        if method == "tsne":
            manifold = require("sklearn.manifold")
            perplexity = min(30.0, (len(labels) - 1) / 3)
            reduced = manifold.TSNE(2, init="pca", perplexity=perplexity, random_state=seed).fit_transform(reduced)
        points = reduced[:, :2].astype(np.float32)
        return Embedding(points, labels, method, space, vectors.shape[1], neighbour_accuracy(points, labels))


def neighbour_accuracy(points: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Leave-one-out accuracy of a k-nearest-neighbour majority vote among the points."""
    neighbors = require("sklearn.neighbors")
    finder = neighbors.NearestNeighbors(n_neighbors=min(k + 1, len(points))).fit(points)
    _, index = finder.kneighbors(points)
    votes = labels[index[:, 1:]]  # the first neighbour of a point is itself
    predicted = np.array([np.bincount(row).argmax() for row in votes])
    return float((predicted == labels).mean())
