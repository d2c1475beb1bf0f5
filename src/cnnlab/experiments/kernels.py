"""`kernels`: one 7x7 convolution against three stacked 3x3 convolutions (lecture A, VGG).

Both networks are the zoo's `conv-stack` (3x3 stem to C = 32 channels, two stages of the kernel stack
with a 2x2 max pool after each, linear head) and differ only in the stack: kernels "7" or "3,3,3".
Three 3x3 layers of stride 1 see 1 + 3*(3-1) = 7 pixels, like one 7x7 layer, with 3*9*C^2 = 27 C^2
weights instead of 49 C^2, and three non-linearities instead of one. Recorded: the stacks' parameters
and multiply-adds (the stem and the head are the same in both), the receptive field of one stack, test
accuracy and training images/s. Reproduced when the receptive fields are equal, the 3x3 stack has fewer
parameters, and its test accuracy is not more than half a point below the 7x7 stack's.
"""

from __future__ import annotations

import time

from cnnlab.conv.arithmetic import receptive_field
from cnnlab.experiments.common import ExperimentResult, ExperimentSettings
from cnnlab.experiments.training import train_model

__all__ = ["run_kernels", "STACKS"]

STACKS = {"7x7": "7", "3x3x3": "3,3,3"}
WIDTH = 32
TOLERANCE = 0.005
CLAIM = "Three stacked 3x3 convolutions see 7x7, like one 7x7 convolution, with fewer parameters (27C^2 vs 49C^2)."


def _stack_counts(model, in_shape) -> tuple[int, int]:
    """Parameters and multiply-adds of the kernel stacks: every conv layer but the stem (features.0)."""
    from cnnlab.inspect import summary

    rows = [r for r in summary(model, in_shape).layers if r.type == "Conv2d" and r.name != "features.0"]
    return sum(r.params for r in rows), sum(r.macs for r in rows)


def run_kernels(settings: ExperimentSettings):
    from cnnlab.data import dataset_spec
    from cnnlab.train import load_run_model

    started = time.perf_counter()
    epochs = settings.epochs(1, 2)
    train_size, test_size = settings.images(3000, 5000), settings.images(1000, 2000)
    in_shape = dataset_spec(settings.data).in_shape
    rows, curves = [], {}
    for stack, kernels in STACKS.items():
        options = {"kernels": kernels, "width": WIDTH}
        run = train_model(
            settings, stack, "conv-stack", options=options, epochs=epochs, train_size=train_size, test_size=test_size
        )
        model, _ = load_run_model(run.run_dir)
        params, macs = _stack_counts(model, in_shape)
        rows.append(
            {
                "stack": stack,
                "params": params,
                "macs": macs,
                "receptive_field": int(receptive_field([int(k) for k in kernels.split(",")])),
                "test_accuracy": run.results["test"]["accuracy"],
                "images_per_s": float(run.results["images_per_s"]),
                "model_params": run.results["params"],
            }
        )
        curves[f"{stack}_train_loss"] = [r["train_loss"] for r in run.history]
        curves[f"{stack}_test_accuracy"] = [r["test_accuracy"] for r in run.history]
    seven, three = rows
    reproduced = (
        seven["receptive_field"] == three["receptive_field"]
        and three["params"] < seven["params"]
        and three["test_accuracy"] >= seven["test_accuracy"] - TOLERANCE
    )
    measured = (
        f"receptive field {seven['receptive_field']} and {three['receptive_field']}; stack parameters "
        f"{seven['params']:,} (7x7) vs {three['params']:,} (3x3x3), "
        f"ratio {three['params'] / seven['params']:.3f}; "
        f"test accuracy {100 * seven['test_accuracy']:.2f}% vs {100 * three['test_accuracy']:.2f}%"
    )
    result = ExperimentResult(
        f"One 7x7 vs three 3x3 convolutions (conv-stack, {WIDTH} channels, 2 stages) on {settings.data} "
        f"({train_size or 'all'} training images, {epochs} epochs)",
        rows,
        curves,
        [
            "params and macs: the two kernel stacks of each network (per image); receptive_field: one stack; "
            "model_params: the whole network; images_per_s: training throughput on this machine.",
            f"test_accuracy on {test_size or 'all'} test images.",
        ],
        claim=CLAIM,
        measured=measured,
        reproduced=reproduced,
    )
    result.seconds = time.perf_counter() - started

    def plot(plt):
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
        for stack in STACKS:
            x = range(1, len(curves[f"{stack}_train_loss"]) + 1)
            ax_loss.plot(x, curves[f"{stack}_train_loss"], "-o", label=stack)
            ax_acc.plot(x, [100 * v for v in curves[f"{stack}_test_accuracy"]], "-o", label=stack)
        ax_loss.set_ylabel("training loss")
        ax_acc.set_ylabel("test accuracy (%)")
        for ax in (ax_loss, ax_acc):
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
            ax.legend()
        fig.suptitle(result.title, fontsize=9)
        return fig

    return result, plot
