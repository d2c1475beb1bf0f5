"""`regularization`: none vs weight decay vs dropout vs batch norm vs all, on a small training subset.

Lecture B's overfitting set-up: only 300 training images and a 784-100x6-10 ReLU network (He init),
SGD lr 0.01, batch 100, many epochs, so the network memorises the training set and the gap between
train and test accuracy shows what each technique buys. Weight decay lambda = 0.1, dropout p = 0.2.
Batch norm speeds up fitting rather than closing the gap; the table says what it does here.
"""

from __future__ import annotations

import time

import numpy as np

from cnnlab.experiments.common import ExperimentResult, ExperimentSettings, batches, load_arrays
from cnnlab.experiments.engines import make_runner
from cnnlab.scratch import MultiLayerNet

__all__ = ["run_regularization", "VARIANTS"]

VARIANTS = {
    "none": {},
    "weight decay": {"weight_decay": 0.1},
    "dropout": {"dropout": 0.2},
    "batch norm": {"batch_norm": True},
    "all": {"weight_decay": 0.1, "dropout": 0.2, "batch_norm": True},
}


def run_regularization(settings: ExperimentSettings):
    started = time.perf_counter()
    epochs = settings.steps(60, 200)
    train_size = 300
    data = load_arrays(settings.data, settings.data_dir, train_size, 2000 if settings.quick else 0)
    x_train, x_test = data.x_train.reshape(train_size, -1), data.x_test.reshape(len(data.x_test), -1)
    eval_every = max(1, epochs // 50)
    rows, curves = [], {}
    for name, options in VARIANTS.items():
        net = MultiLayerNet(x_train.shape[1], (100,) * 6, 10, "relu", "he", seed=settings.seed, **options)
        runner = make_runner(settings.engine, net, "sgd", 0.01)
        rng = np.random.default_rng(settings.seed)
        train_acc, test_acc, measured = [], [], []
        steps_per_epoch = train_size // 100
        for epoch in range(1, epochs + 1):
            for idx in batches(rng, train_size, 100, steps_per_epoch):
                runner.step(x_train[idx], data.y_train[idx])
            if epoch % eval_every == 0 or epoch == epochs:  # testing dominates the time: about 50 points per curve
                measured.append(epoch)
                train_acc.append(runner.accuracy(x_train, data.y_train))
                test_acc.append(runner.accuracy(x_test, data.y_test))
        curves[f"{name} train"], curves[f"{name} test"] = train_acc, test_acc
        rows.append(
            {
                "regularization": name,
                "train_accuracy": train_acc[-1],
                "test_accuracy": test_acc[-1],
                "gap": train_acc[-1] - test_acc[-1],
                "best_test_accuracy": max(test_acc),
            }
        )
    result = ExperimentResult(
        f"Regularisation on {train_size} {settings.data} training images: 784-100x6-10 ReLU, SGD lr 0.01, "
        f"{epochs} epochs ({settings.engine} engine)",
        rows,
        curves,
        [
            f"Accuracies after the last epoch (curves.csv: every {eval_every} epoch(s)); "
            f"test on {len(x_test):,} images. weight decay: lambda = 0.1 (L2 on weights); "
            "dropout: p = 0.2 after every hidden activation; batch norm: after every hidden affine layer."
        ],
    )
    result.seconds = time.perf_counter() - started

    def plot(plt):
        fig, axes = plt.subplots(1, len(VARIANTS), figsize=(3.2 * len(VARIANTS), 3.4), sharey=True)
        for ax, name in zip(axes, VARIANTS):
            ax.plot(measured, curves[f"{name} train"], label="train")
            ax.plot(measured, curves[f"{name} test"], label="test")
            ax.set_title(name)
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("accuracy")
        axes[0].legend()
        fig.suptitle(result.title, fontsize=9, y=1.04)  # above the panel titles
        return fig

    return result, plot
