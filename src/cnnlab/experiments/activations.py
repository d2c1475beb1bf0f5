"""`activations`: sigmoid vs ReLU in a deep MLP, gradient norm per layer (vanishing gradients, lecture A),
and how much sooner a ReLU CNN reaches a target training error than a sigmoid one (the lecture's "~6x").

A 784-100x10-10 network, Xavier initialisation for sigmoid and He for ReLU (each its best case), the
same mini-batches: ||dL/dW|| of every affine layer, averaged over 20 batches before training and again
after training with SGD (lr 0.1). The sigmoid's derivative is at most 1/4, so the gradient shrinks on
its way back to the first layers; ReLU passes it through where the unit is active.

Convergence: the same CNN (the zoo's conv-stack: 3x3 stem, two stages of a 3x3 conv and a 2x2 max pool,
linear head) with ReLU and with sigmoid units, trained by the library's trainer with SGD + momentum 0.9
at a constant learning rate (AlexNet's comparison; Adam would hide part of the difference), the same
seed and batches. Recorded: the first epoch whose training error (running, over the epoch) is at or
below the target, and the training seconds until then; their sigmoid/ReLU ratio. results.json holds
these rows. Reproduced when ReLU reaches the target in fewer epochs than sigmoid.
"""

from __future__ import annotations

import time

import numpy as np

from cnnlab.experiments.common import ExperimentResult, ExperimentSettings, batches, load_arrays, smooth
from cnnlab.experiments.engines import make_runner
from cnnlab.experiments.training import seconds_to_epoch, train_model
from cnnlab.scratch import MultiLayerNet

__all__ = ["run_activations"]

ACTIVATIONS = {"sigmoid": "xavier", "relu": "he"}
DEPTH = 10
TARGET_TRAIN_ERROR = 0.10
CNN_LR = 0.01
CLAIM = "A CNN with ReLU units reaches a given training error several times (~6x) faster than one with sigmoid units."


def _epochs_to_target(history: list[dict], target: float) -> int | None:
    return next((r["epoch"] for r in history if 1 - r["train_accuracy"] <= target), None)


def run_convergence(settings: ExperimentSettings) -> tuple[list[dict], dict[str, list[float]], int, int]:
    """Rows {activation, epochs_to_target, seconds_to_target} (None where the target was not reached)."""
    # Long enough for the ReLU CNN to reach the target in --quick (4 epochs of 1,000 images did not) and for
    # the full run to see whether the sigmoid CNN reaches it at all.
    epochs = settings.epochs(8, 40)
    train_size = settings.images(2000, 2000)
    rows, errors = [], {}
    for activation in ("relu", "sigmoid"):
        options = {"kernels": "3", "activation": activation}
        run = train_model(
            settings,
            f"cnn-{activation}",
            "conv-stack",
            options=options,
            epochs=epochs,
            train_size=train_size,
            test_size=settings.images(1000, 2000),
            optimizer="momentum",
            lr=CNN_LR,
            schedule="constant",
            test_every_epoch=False,
        )
        reached = _epochs_to_target(run.history, TARGET_TRAIN_ERROR)
        rows.append(
            {
                "activation": activation,
                "epochs_to_target": reached,
                "seconds_to_target": round(seconds_to_epoch(run.history, reached), 2) if reached else None,
            }
        )
        errors[activation] = [1 - r["train_accuracy"] for r in run.history]
    return rows, errors, epochs, train_size


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
        curves[activation] = [
            runner.step(x_train[idx], data.y_train[idx]) for idx in batches(rng, len(x_train), 128, steps)
        ]
        after[activation] = _mean_norms(runner, x_train, data.y_train, np.random.default_rng(1))
        accuracy[activation] = runner.accuracy(x_test, data.y_test)
    rows = [
        {
            "layer": i + 1,
            **{f"{a}_before": float(before[a][i]) for a in ACTIVATIONS},
            **{f"{a}_after": float(after[a][i]) for a in ACTIVATIONS},
        }
        for i in range(DEPTH + 1)
    ]
    ratio = {a: float(before[a][0] / before[a][-1]) for a in ACTIVATIONS}
    convergence, errors, cnn_epochs, cnn_images = run_convergence(settings)
    relu, sigmoid = convergence
    if relu["epochs_to_target"] and sigmoid["epochs_to_target"]:
        faster = sigmoid["epochs_to_target"] / relu["epochs_to_target"]
        speed = (
            f"sigmoid/ReLU: {faster:.1f}x the epochs, "
            f"{sigmoid['seconds_to_target'] / relu['seconds_to_target']:.1f}x the seconds (lecture: ~6x)"
        )
    elif relu["epochs_to_target"]:
        bound = cnn_epochs / relu["epochs_to_target"]
        speed = f"sigmoid did not reach it in {cnn_epochs} epochs: more than {bound:.1f}x"
    else:
        speed = f"ReLU did not reach it in {cnn_epochs} epochs"
    reached = {r["activation"]: r["epochs_to_target"] for r in convergence}
    measured = (
        f"epochs of {cnn_images} images to {100 * TARGET_TRAIN_ERROR:.0f}% training error: "
        f"ReLU {reached['relu']}, "
        f"sigmoid {reached['sigmoid']}; {speed}"
    )
    convergence_table = "| activation | epochs_to_target | seconds_to_target |\n|---|---|---|\n" + "".join(
        f"| {r['activation']} | {r['epochs_to_target']} | {r['seconds_to_target']} |\n" for r in convergence
    )
    result = ExperimentResult(
        f"Gradient norm per layer, 784-100x{DEPTH}-10, sigmoid (Xavier) vs ReLU (He) "
        f"on {settings.data} ({settings.engine} engine)",
        rows,
        curves,
        [
            "Columns: ||dL/dW|| of each affine layer (1 = next to the input), mean over 20 batches of 128, before and "
            f"after {steps} SGD steps (lr 0.1).",
            "first/last layer gradient norm before training: "
            + ", ".join(f"{a} {r:.3g}" for a, r in ratio.items())
            + ".",
            "test accuracy after training: " + ", ".join(f"{a} {100 * v:.2f}%" for a, v in accuracy.items()) + ".",
            f"Convergence of a CNN (conv-stack, SGD momentum 0.9, lr {CNN_LR}, constant; "
            f"epochs of {cnn_images} images, "
            f"at most {cnn_epochs}) to {100 * TARGET_TRAIN_ERROR:.0f}% training error (convergence.png):"
            f"\n\n{convergence_table}",
        ],
        claim=CLAIM,
        measured=measured,
        record=convergence,
        reproduced=bool(relu["epochs_to_target"])
        and (not sigmoid["epochs_to_target"] or relu["epochs_to_target"] < sigmoid["epochs_to_target"]),
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
        speed_fig, ax_speed = plt.subplots(figsize=(7, 4.2))
        for activation, values in errors.items():
            ax_speed.plot(range(1, len(values) + 1), [100 * v for v in values], "-o", label=f"{activation} CNN")
        ax_speed.axhline(100 * TARGET_TRAIN_ERROR, color="gray", linestyle="--", label="target")
        ax_speed.set_xlabel(f"epoch ({cnn_images} images)")
        ax_speed.set_ylabel("training error (%)")
        ax_speed.grid(alpha=0.3)
        ax_speed.legend()
        ax_speed.set_title(measured, fontsize=7)
        return {"plot.png": fig, "convergence.png": speed_fig}

    return result, plot
