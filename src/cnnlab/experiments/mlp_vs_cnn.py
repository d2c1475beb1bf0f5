"""`mlp-vs-cnn`: fully connected networks against CNNs on the same data and budget, and the
pixel-permutation test (lectures C and E: "flattening loses spatial information").

Five models, each trained twice with the same settings: on the images as they are, and on the same
images with their pixels shuffled by one fixed permutation (the dataset `permuted-<data>`). A fully
connected network has no notion of which pixel is next to which, so for it the shuffled task is the
same task (its first layer's weights are just listed in another order) and its accuracy stays; a CNN's
kernels see 3x3 or 5x5 neighbourhoods that the shuffle tears apart, so its accuracy falls.
Reproduced when every CNN beats every fully connected network on the original pixels, every fully
connected network keeps its accuracy within 1 point under the shuffle, and every CNN loses more than that.
"""

from __future__ import annotations

import time

from cnnlab.data.permuted import PREFIX
from cnnlab.experiments.common import ExperimentResult, ExperimentSettings
from cnnlab.experiments.training import train_model

__all__ = ["run_mlp_vs_cnn", "MODELS"]

# label -> (zoo model, options, convolutional?)
MODELS = {
    "slp": ("slp", {}, False),
    "mlp": ("mlp", {}, False),  # 784-100-10, sigmoid: lecture C
    "keras-dense": ("mlp", {"hidden": [512, 512], "activation": "relu"}, False),  # Keras' Dense(512)x2 MNIST net
    "keras-cnn": ("keras-cnn", {}, True),
    "lenet5": ("lenet5", {}, True),
}
PIXELS = ("original", "permuted")
TOLERANCE = 0.01  # "keeps its accuracy": within 1 point
CLAIM = (
    "Flattening loses spatial information: a CNN beats an MLP, and on images whose pixels are shuffled by one "
    "fixed permutation the MLP's accuracy stays while the CNN's falls."
)


def check_mlp_vs_cnn(settings: ExperimentSettings) -> None:
    from cnnlab.data import dataset_spec
    from cnnlab.errors import CnnlabError

    if settings.data.startswith(PREFIX):
        raise CnnlabError(f"mlp-vs-cnn shuffles the pixels itself; give the original dataset, not {settings.data}")
    dataset_spec(PREFIX + settings.data)  # every image dataset has its permuted twin


def run_mlp_vs_cnn(settings: ExperimentSettings):
    started = time.perf_counter()
    epochs = settings.epochs(2, 5)
    train_size, test_size = settings.images(10000, 0), settings.images(2000, 0)
    rows, curves = [], {}
    for label, (model, options, _) in MODELS.items():
        for pixels in PIXELS:
            data = settings.data if pixels == "original" else PREFIX + settings.data
            run = train_model(
                settings,
                f"{label}-{pixels}",
                model,
                data=data,
                options=options,
                epochs=epochs,
                train_size=train_size,
                test_size=test_size,
            )
            rows.append(
                {
                    "model": label,
                    "pixels": pixels,
                    "params": run.results["params"],
                    "test_accuracy": run.results["test"]["accuracy"],
                    "seconds": run.results["wall_time_s"],
                }
            )
            curves[f"{label}_{pixels}"] = [r["test_accuracy"] for r in run.history]
    accuracy = {(r["model"], r["pixels"]): r["test_accuracy"] for r in rows}
    dense = [m for m, (_, _, conv) in MODELS.items() if not conv]
    cnns = [m for m, (_, _, conv) in MODELS.items() if conv]
    drop = {m: accuracy[m, "original"] - accuracy[m, "permuted"] for m in MODELS}
    cnn_wins = min(accuracy[m, "original"] for m in cnns) > max(accuracy[m, "original"] for m in dense)
    dense_keep = all(abs(drop[m]) <= TOLERANCE for m in dense)
    cnn_falls = all(drop[m] > TOLERANCE for m in cnns)
    pts = lambda v: f"{100 * v:+.2f}"  # noqa: E731
    measured = "test accuracy original -> permuted (points): " + ", ".join(
        f"{m} {100 * accuracy[m, 'original']:.2f}% ({pts(-drop[m])})" for m in MODELS
    )
    result = ExperimentResult(
        f"MLP vs CNN on {settings.data}, original and permuted pixels ({train_size or 'all'} training images, "
        f"{epochs} epochs, Adam one-cycle)",
        rows,
        curves,
        [
            f"test_accuracy on {test_size or 'all'} test images; seconds: the trainer's wall time per model.",
            "The permutation is one fixed shuffle of the pixel positions, the same for every image, train and test.",
        ],
        claim=CLAIM,
        measured=measured,
        reproduced=cnn_wins and dense_keep and cnn_falls,
    )
    result.seconds = time.perf_counter() - started

    def plot(plt):
        import numpy as np

        fig, ax = plt.subplots(figsize=(8, 4.2))
        x = np.arange(len(MODELS))
        for i, pixels in enumerate(PIXELS):
            values = [100 * accuracy[m, pixels] for m in MODELS]
            bars = ax.bar(x + (i - 0.5) * 0.38, values, 0.38, label=f"{pixels} pixels")
            ax.bar_label(bars, fmt="%.1f", fontsize=7)
        ax.set_xticks(x, list(MODELS))
        ax.set_ylabel("test accuracy (%)")
        low = min(100 * v for v in accuracy.values())
        ax.set_ylim(max(0.0, low - 10), 100)
        ax.grid(alpha=0.3, axis="y")
        ax.legend()
        ax.set_title(result.title, fontsize=9)
        return fig

    return result, plot
