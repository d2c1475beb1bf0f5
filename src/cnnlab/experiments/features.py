"""`features`: a linear classifier on raw pixels, on HoG features and on a CNN's features (lecture A).

The lecture: f(x) = Wx + b on raw pixels is a weak classifier; on hand-made features (Histograms of
Oriented Gradients) it does better; on the features a CNN learned it does better still, because the
last layer of a CNN is itself a linear classifier and training makes the classes linearly separable
in the layer before it. Here the same linear classifier, multinomial logistic regression (scikit-learn,
on standardised features), is fitted to three representations of the same training images:

    pixels  the normalised image, flattened (784 numbers for 28x28)
    hog     scikit-image's `hog`: 9 orientation bins, 7x7-pixel cells, 2x2-cell blocks (324 numbers for 28x28)
    cnn     the input of the CNN's last linear layer (LeNet-5 trained here, or the CNN of `--run RUN_DIR`)

and scored on the test images; t-SNE maps of the three feature sets of the same test images are drawn
side by side (tsne.png). Reproduced when pixels < hog < cnn in test accuracy.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import torch
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.experiments.common import ExperimentResult, ExperimentSettings
from cnnlab.experiments.training import train_model

__all__ = ["run_features", "check_features", "hog_features", "penultimate_features", "FEATURES"]

FEATURES = ("pixels", "hog", "cnn")
HOG = {"orientations": 9, "pixels_per_cell": (7, 7), "cells_per_block": (2, 2)}
CNN = "lenet5"
CLAIM = (
    "A linear classifier on hand-made features (HoG) beats one on raw pixels, and one on CNN features beats "
    "both: the last layer of a CNN is a linear classifier on features that make the classes separable."
)


def hog_features(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) uint8 -> (N, D) HoG descriptors (scikit-image; colour images use the strongest channel)."""
    from skimage.feature import hog

    channel_axis = -1 if images.shape[1] > 1 else None
    planes = images.transpose(0, 2, 3, 1) if channel_axis else images[:, 0]
    return np.stack([hog(plane, channel_axis=channel_axis, **HOG) for plane in planes]).astype(np.float32)


def _last_linear(model: nn.Module) -> nn.Linear:
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise CnnlabError("the model has no linear last layer to take features from")
    return linears[-1]


def penultimate_features(model: nn.Module, x: torch.Tensor, batch: int = 1000) -> np.ndarray:
    """What the model's last linear layer receives, for normalised images x (N, C, H, W): (N, in_features)."""
    captured: list[torch.Tensor] = []
    handle = _last_linear(model).register_forward_pre_hook(lambda module, inputs: captured.append(inputs[0].detach()))
    try:
        model.eval()
        with torch.no_grad():
            for i in range(0, len(x), batch):
                model(x[i : i + batch])
    finally:
        handle.remove()
    return torch.cat(captured).float().numpy()


def _load_cnn(run_dir: str):
    from cnnlab.train import load_run_model

    model, config = load_run_model(run_dir)
    if not any(isinstance(m, nn.Conv2d) for m in model.modules()):
        raise CnnlabError(
            f"--run {run_dir} holds a {config.model}, which has no convolution layers; "
            f"give the run folder of a CNN (lenet5, keras-cnn, ...)"
        )
    return model, config


def check_features(settings: ExperimentSettings) -> None:
    if settings.run:
        _, config = _load_cnn(settings.run)
        if config.data != settings.data:
            raise CnnlabError(f"--run {settings.run} was trained on {config.data}; pass --data {config.data}")


def _linear_accuracy(train_x, train_y, test_x, test_y, seed: int) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300, random_state=seed))
    with warnings.catch_warnings():  # lbfgs stopping at max_iter on pixels is part of the comparison, not news
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(train_x, train_y)
    return float(classifier.score(test_x, test_y))


def _tsne(features: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from sklearn.preprocessing import StandardScaler

    x = StandardScaler().fit_transform(features)
    if x.shape[1] > 50:  # the usual t-SNE recipe: PCA to 50 dimensions first
        x = PCA(50, random_state=seed).fit_transform(x)
    perplexity = min(30.0, (len(x) - 1) / 3)
    return TSNE(2, init="pca", perplexity=perplexity, random_state=seed).fit_transform(x)


def run_features(settings: ExperimentSettings):
    from cnnlab.data import Normalise, dataset_spec, load_dataset
    from cnnlab.train import load_run_model

    started = time.perf_counter()
    linear_size, test_size = settings.images(3000, 10000), settings.images(1000, 5000)
    tsne_size = settings.images(500, 1000)
    if settings.run:
        model, _ = _load_cnn(settings.run)
        source = f"the CNN of {settings.run}"
    else:
        # The claim is about a trained CNN's features: one epoch of 3,000 images left LeNet-5 at 76% itself,
        # weaker than the linear classifier on HoG, so it gets three epochs (of every image in the full run).
        epochs = settings.epochs(3, 3)
        run = train_model(settings, CNN, CNN, epochs=epochs, train_size=settings.images(3000, 0), test_size=test_size)
        model, _ = load_run_model(run.run_dir)
        source = f"{CNN} trained here ({run.results['test']['accuracy']:.4f} test accuracy, {epochs} epochs)"
    spec = dataset_spec(settings.data)
    normalise = Normalise(spec.mean, spec.std)
    train_images = load_dataset(settings.data, "train", settings.data_dir).take(linear_size)
    test_images = load_dataset(settings.data, "test", settings.data_dir)
    test_images = test_images.take(test_size) if test_size else test_images

    def represent(images) -> dict[str, np.ndarray]:
        x = normalise(images.images)
        return {
            "pixels": x.flatten(1).numpy(),
            "hog": hog_features(images.images.numpy()),
            "cnn": penultimate_features(model, x),
        }

    train_features, test_features = represent(train_images), represent(test_images)
    y_train, y_test = train_images.labels.numpy(), test_images.labels.numpy()
    rows = [
        {
            "features": name,
            "dims": int(train_features[name].shape[1]),
            "test_accuracy": _linear_accuracy(
                train_features[name], y_train, test_features[name], y_test, settings.seed
            ),
        }
        for name in FEATURES
    ]
    accuracy = {r["features"]: r["test_accuracy"] for r in rows}
    tsne_size = min(tsne_size, len(y_test))
    maps = {name: _tsne(test_features[name][:tsne_size], settings.seed) for name in FEATURES}
    measured = "linear classifier test accuracy: " + ", ".join(f"{n} {100 * accuracy[n]:.2f}%" for n in FEATURES)
    result = ExperimentResult(
        f"Linear classifier on pixels / HoG / CNN features, {settings.data} ({len(y_train)} training images)",
        rows,
        {},
        [
            "Multinomial logistic regression (scikit-learn, lbfgs, 300 iterations) on standardised features; "
            f"test_accuracy on {len(y_test)} test images. HoG: {HOG}. "
            f"cnn: the input of the last linear layer of {source}.",
            f"t-SNE of {tsne_size} test images per feature set in tsne.png.",
        ],
        claim=CLAIM,
        measured=measured,
        reproduced=accuracy["pixels"] < accuracy["hog"] < accuracy["cnn"],
    )
    result.seconds = time.perf_counter() - started
    labels = y_test[:tsne_size]

    def plot(plt):
        bars, ax = plt.subplots(figsize=(6, 4))
        colours = ["tab:gray", "tab:blue", "tab:green"]
        drawn = ax.bar(list(FEATURES), [100 * accuracy[n] for n in FEATURES], color=colours)
        ax.bar_label(drawn, fmt="%.2f")
        ax.set_ylabel("linear classifier test accuracy (%)")
        ax.set_ylim(max(0.0, 100 * min(accuracy.values()) - 10), 100)
        ax.grid(alpha=0.3, axis="y")
        ax.set_title(result.title, fontsize=8)
        tsne, axes = plt.subplots(1, 3, figsize=(15, 5))
        for ax, name in zip(axes, FEATURES):
            points = ax.scatter(maps[name][:, 0], maps[name][:, 1], c=labels, cmap="tab10", s=4)
            ax.set_title(f"{name} ({rows[FEATURES.index(name)]['dims']} dims): {100 * accuracy[name]:.2f}% linear")
            ax.set_xticks([])
            ax.set_yticks([])
        tsne.colorbar(points, ax=axes, ticks=range(len(spec.classes)), label="class")
        tsne.suptitle(f"t-SNE of {tsne_size} {settings.data} test images", fontsize=10)
        return {"plot.png": bars, "tsne.png": tsne}

    return result, plot
