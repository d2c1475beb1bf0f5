"""`optimizers`: SGD vs Momentum vs AdaGrad vs Adam on MNIST (lecture B's assignment).

A 784-100-100-100-100-10 ReLU network (He initialisation), the same starting weights for every
optimiser, mini-batches of 128; the learning rates of the lecture code: SGD 0.01, Momentum 0.01
(mu = 0.9), AdaGrad 0.01, Adam 0.001. Recorded: the training loss of every step, and test accuracy.
"""

from __future__ import annotations

import time

import numpy as np

from cnnlab.experiments.common import ExperimentResult, ExperimentSettings, batches, load_arrays, smooth
from cnnlab.experiments.engines import make_runner
from cnnlab.scratch import MultiLayerNet

__all__ = ["run_optimizers", "OPTIMIZER_LRS"]

OPTIMIZER_LRS = {"sgd": 0.01, "momentum": 0.01, "adagrad": 0.01, "adam": 0.001}


def run_optimizers(settings: ExperimentSettings) -> tuple[ExperimentResult, callable]:
    started = time.perf_counter()
    steps = settings.steps(300, 2000)
    data = load_arrays(settings.data, settings.data_dir, 10000 if settings.quick else 0, 2000 if settings.quick else 0)
    x_train, x_test = data.x_train.reshape(len(data.x_train), -1), data.x_test.reshape(len(data.x_test), -1)
    rows, curves = [], {}
    for name, lr in OPTIMIZER_LRS.items():
        net = MultiLayerNet(x_train.shape[1], (100, 100, 100, 100), 10, "relu", "he", seed=settings.seed)
        runner = make_runner(settings.engine, net, name, lr)
        rng = np.random.default_rng(settings.seed)
        losses = [runner.step(x_train[idx], data.y_train[idx]) for idx in batches(rng, len(x_train), 128, steps)]
        curves[name] = losses
        rows.append(
            {
                "optimizer": name,
                "lr": lr,
                "steps": steps,
                "first_loss": losses[0],
                "final_loss": float(np.mean(losses[-50:])),
                "test_accuracy": runner.accuracy(x_test, data.y_test),
            }
        )
    result = ExperimentResult(
        f"Optimisers on {settings.data}: 784-100x4-10 ReLU, batch 128, {steps} steps ({settings.engine} engine)",
        rows,
        curves,
        [
            "final_loss is the mean training loss of the last 50 steps; test_accuracy on "
            f"{len(x_test):,} test images. Same initial weights for every optimiser."
        ],
    )
    result.seconds = time.perf_counter() - started

    def plot(plt):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for name, losses in curves.items():
            ax.plot(smooth(losses, 20), label=f"{name} (lr {OPTIMIZER_LRS[name]})")
        ax.set_xlabel("step")
        ax.set_ylabel("training loss (moving average of 20 steps)")
        ax.set_ylim(0, 2.5)  # the first steps of a He-initialised net start near 3
        ax.grid(alpha=0.3)
        ax.legend()
        ax.set_title(result.title, fontsize=9)
        return fig

    return result, plot
