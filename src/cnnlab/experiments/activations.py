"""`activations`: sigmoid vs ReLU in a deep MLP, gradient norm per layer (vanishing gradients, lecture A).

A 784-100x10-10 network, Xavier initialisation for sigmoid and He for ReLU (each its best case), the
same mini-batches: ||dL/dW|| of every affine layer, averaged over 20 batches before training and again
after training with SGD (lr 0.1). The sigmoid's derivative is at most 1/4, so the gradient shrinks on
its way back to the first layers; ReLU passes it through where the unit is active.
"""

from __future__ import annotations

import time

import numpy as np

from cnnlab.experiments.common import ExperimentResult, ExperimentSettings, batches, load_arrays, smooth
from cnnlab.experiments.engines import make_runner
from cnnlab.scratch import MultiLayerNet

__all__ = ["run_activations"]

ACTIVATIONS = {"sigmoid": "xavier", "relu": "he"}
DEPTH = 10


def _mean_norms(runner, x, y, rng, probes=20):
    norms = [runner.grad_norms(x[idx], y[idx]) for idx in batches(rng, len(x), 128, probes)]
    return np.mean(norms, axis=0)


def run_activations(settings: ExperimentSettings):
    started = time.perf_counter()
    steps = settings.steps(200, 2000)
    data = load_arrays(settings.data, settings.data_dir, 10000 if settings.quick else 0, 2000 if settings.quick else 0)
    x_train, x_test = data.x_train.reshape(len(data.x_train), -1), data.x_test.reshape(len(data.x_test), -1)
    before, after, curves, accuracy = {}, {}, {}, {}
    for activation, init in ACTIVATIONS.items():
        net = MultiLayerNet(x_train.shape[1], (100,) * DEPTH, 10, activation, init, seed=settings.seed)
        runner = make_runner(settings.engine, net, "sgd", 0.1)
        before[activation] = _mean_norms(runner, x_train, data.y_train, np.random.default_rng(1))
        rng = np.random.default_rng(settings.seed)
        curves[activation] = [runner.step(x_train[idx], data.y_train[idx]) for idx in batches(rng, len(x_train), 128, steps)]
        after[activation] = _mean_norms(runner, x_train, data.y_train, np.random.default_rng(1))
        accuracy[activation] = runner.accuracy(x_test, data.y_test)
    rows = [{"layer": i + 1,
             **{f"{a}_before": float(before[a][i]) for a in ACTIVATIONS},
             **{f"{a}_after": float(after[a][i]) for a in ACTIVATIONS}} for i in range(DEPTH + 1)]
    ratio = {a: float(before[a][0] / before[a][-1]) for a in ACTIVATIONS}
    result = ExperimentResult(
        f"Gradient norm per layer, 784-100x{DEPTH}-10, sigmoid (Xavier) vs ReLU (He) on {settings.data} ({settings.engine} engine)",
        rows, curves,
        ["Columns: ||dL/dW|| of each affine layer (1 = next to the input), mean over 20 batches of 128, before and "
         f"after {steps} SGD steps (lr 0.1).",
         "first/last layer gradient norm before training: " + ", ".join(f"{a} {r:.3g}" for a, r in ratio.items()) + ".",
         "test accuracy after training: " + ", ".join(f"{a} {100 * v:.2f}%" for a, v in accuracy.items()) + "."],
    )
    result.seconds = time.perf_counter() - started

    def plot(plt):
        fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.2))
        layers = np.arange(1, DEPTH + 2)
        for a in ACTIVATIONS:
            ax.plot(layers, before[a], "-o", label=f"{a}, before training")
            ax.plot(layers, after[a], "--s", label=f"{a}, after {steps} steps")
            ax_loss.plot(smooth(curves[a], 20), label=a)
        ax.set_yscale("log")
        ax.set_xlabel("affine layer (1 = input side)")
        ax.set_ylabel("||dL/dW||")
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel("training loss (moving average of 20)")
        for a_ in (ax, ax_loss):
            a_.grid(alpha=0.3)
            a_.legend(fontsize=8)
        fig.suptitle(result.title, fontsize=9)
        return fig

    return result, plot
