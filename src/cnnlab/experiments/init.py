"""`init`: weight initialisation std 0.01 vs Xavier vs He, for sigmoid and ReLU networks.

Part 1 (activations): 1,000 training images through a 784-100x5 network of each kind, no training:
the standard deviation of each hidden layer's activations. With std 0.01 they collapse (ReLU: to ~0,
sigmoid: to 0.5 everywhere), Xavier keeps sigmoid spread, He keeps ReLU spread.
Part 2 (loss): the same networks with a classifier (784-100x4-10) trained by SGD (lr 0.01, batch 128).
"""

from __future__ import annotations

import time

import numpy as np

from cnnlab.experiments.common import ExperimentResult, ExperimentSettings, batches, load_arrays, smooth
from cnnlab.experiments.engines import make_runner
from cnnlab.scratch import MultiLayerNet

__all__ = ["run_init"]

INITS = ("std", "xavier", "he")
ACTIVATIONS = ("sigmoid", "relu")


def run_init(settings: ExperimentSettings):
    started = time.perf_counter()
    steps = settings.steps(300, 2000)
    data = load_arrays(settings.data, settings.data_dir, 10000 if settings.quick else 0, 2000 if settings.quick else 0)
    x_train, x_test = data.x_train.reshape(len(data.x_train), -1), data.x_test.reshape(len(data.x_test), -1)
    probe = x_train[:1000]
    rows, curves, spreads = [], {}, {}
    for activation in ACTIVATIONS:
        for init in INITS:
            deep = MultiLayerNet(x_train.shape[1], (100,) * 5, 10, activation, init, seed=settings.seed)
            stds = [float(a.std()) for a in make_runner(settings.engine, deep, "sgd", 0.01).activations(probe)]
            spreads[f"{activation}/{init}"] = stds
            net = MultiLayerNet(x_train.shape[1], (100,) * 4, 10, activation, init, seed=settings.seed)
            runner = make_runner(settings.engine, net, "sgd", 0.01)
            rng = np.random.default_rng(settings.seed)
            losses = [runner.step(x_train[idx], data.y_train[idx]) for idx in batches(rng, len(x_train), 128, steps)]
            curves[f"{activation}/{init}"] = losses
            rows.append(
                {
                    "activation": activation,
                    "init": init,
                    "act_std_layer1": stds[0],
                    "act_std_layer5": stds[-1],
                    "final_loss": float(np.mean(losses[-50:])),
                    "test_accuracy": runner.accuracy(x_test, data.y_test),
                }
            )
    result = ExperimentResult(
        f"Weight initialisation on {settings.data} ({settings.engine} engine, SGD lr 0.01, {steps} steps)",
        rows,
        curves,
        [
            "act_std_layer1/5: standard deviation of the activations of hidden layer 1 and 5 of a 784-100x5 network "
            "on 1,000 training images, before training. final_loss: mean training loss of the last 50 steps."
        ],
    )
    result.seconds = time.perf_counter() - started

    def plot(plt):
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
        for key, stds in spreads.items():
            axes[0].plot(range(1, len(stds) + 1), stds, "-o", label=key)
        axes[0].set_yscale("log")
        axes[0].set_xlabel("hidden layer")
        axes[0].set_ylabel("std of activations (before training)")
        for ax, activation in zip(axes[1:], ACTIVATIONS):
            for init in INITS:
                ax.plot(smooth(curves[f"{activation}/{init}"], 20), label=init)
            ax.set_title(f"{activation}: training loss (moving average of 20)")
            ax.set_xlabel("step")
        for ax in axes:
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        fig.suptitle(result.title, fontsize=10)
        return fig

    return result, plot
