"""`depth`: plain20 / plain56 / resnet20 / resnet56 on the same data and schedule (lecture A, He et al. 2015).

The lecture's claim: a 56-layer plain network is worse than a 20-layer one on the training error too,
so the deeper network's problem is optimisation, not overfitting; with residual connections (the same
layers, H(x) = F(x) + x) the 56-layer network trains at least as well as the 20-layer one. Recorded per
epoch: the training error (the running error over the epoch's mini-batches, as the paper plots it) and
the test error. Reproduced when plain56 ends above plain20 on training error and resnet56 does not end
above resnet20.
"""

from __future__ import annotations

import time

from cnnlab.experiments.common import ExperimentResult, ExperimentSettings
from cnnlab.experiments.training import train_model

__all__ = ["run_depth", "MODELS"]

MODELS = ("plain20", "plain56", "resnet20", "resnet56")
CLAIM = (
    "A 56-layer plain network has a higher training error than a 20-layer one (an optimisation problem, "
    "not overfitting); with residual connections the 56-layer network is not worse than the 20-layer one."
)


def run_depth(settings: ExperimentSettings):
    started = time.perf_counter()
    epochs = settings.epochs(2, 3)
    train_size, test_size = settings.images(1500, 6000), settings.images(500, 1000)
    rows, curves, final = [], {}, {}
    for model in MODELS:
        run = train_model(settings, model, model, epochs=epochs, train_size=train_size, test_size=test_size)
        for r in run.history:
            rows.append(
                {
                    "model": model,
                    "epoch": r["epoch"],
                    "train_error": 1 - r["train_accuracy"],
                    "test_error": 1 - r["test_accuracy"],
                }
            )
        curves[f"{model}_train_error"] = [1 - r["train_accuracy"] for r in run.history]
        curves[f"{model}_test_error"] = [1 - r["test_accuracy"] for r in run.history]
        final[model] = {
            "train": curves[f"{model}_train_error"][-1],
            "test": curves[f"{model}_test_error"][-1],
            "seconds": run.results["wall_time_s"],
        }
    degraded = final["plain56"]["train"] > final["plain20"]["train"]
    fixed = final["resnet56"]["train"] <= final["resnet20"]["train"]
    pct = lambda m, k: f"{100 * final[m][k]:.2f}%"  # noqa: E731
    measured = (
        f"final training error plain20 {pct('plain20', 'train')}, plain56 {pct('plain56', 'train')}, "
        f"resnet20 {pct('resnet20', 'train')}, resnet56 {pct('resnet56', 'train')} after {epochs} epochs"
    )
    result = ExperimentResult(
        f"Depth: plain vs residual, 20 vs 56 layers on {settings.data} ({train_size or 'all'} training images, "
        f"{epochs} epochs, Adam one-cycle)",
        rows,
        curves,
        [
            "train_error: the running error over each epoch's mini-batches; "
            f"test_error on {test_size or 'all'} test images.",
            "seconds per model: " + ", ".join(f"{m} {final[m]['seconds']:.0f} s" for m in MODELS) + ".",
        ],
        claim=CLAIM,
        measured=measured,
        reproduced=degraded and fixed,
    )
    result.seconds = time.perf_counter() - started

    def plot(plt):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        for ax, family in zip(axes, ("plain", "resnet")):
            for depth, colour in (("20", "tab:orange"), ("56", "tab:red")):
                model = family + depth
                x = range(1, len(curves[f"{model}_train_error"]) + 1)
                train_error = [100 * v for v in curves[f"{model}_train_error"]]
                ax.plot(x, train_error, "-o", color=colour, label=f"{model} train")
                ax.plot(x, [100 * v for v in curves[f"{model}_test_error"]], "--", color=colour, label=f"{model} test")
            ax.set_xlabel("epoch")
            ax.set_title(f"{family} networks")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        axes[0].set_ylabel("error (%)")
        fig.suptitle(result.title, fontsize=9)
        return fig

    return result, plot
