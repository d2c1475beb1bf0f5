"""PNG plots of a run: learning curves and the confusion matrix (matplotlib, an optional extra)."""

from __future__ import annotations

from pathlib import Path

from cnnlab.figures import have_matplotlib, pyplot, save_png

__all__ = ["have_matplotlib", "plot_curves", "plot_confusion"]


def plot_curves(history: list[dict], path: Path, title: str = "") -> None:
    """Loss and accuracy per epoch, train and validation, side by side."""
    plt = pyplot()
    epochs = [row["epoch"] for row in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for key, ax, scale in (("loss", ax_loss, 1), ("accuracy", ax_acc, 100)):
        for split, style in (("train", "-o"), ("val", "-s")):
            values = [row.get(f"{split}_{key}") for row in history]
            if all(v is not None and v == v for v in values):
                ax.plot(epochs, [scale * v for v in values], style, label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key + (" (%)" if scale == 100 else ""))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    save_png(fig, path)


def plot_confusion(matrix, classes: list[str], path: Path, title: str = "") -> None:
    """Counts of true class (rows) vs predicted class (columns), with the numbers written in."""
    plt = pyplot()
    n = len(classes)
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * n, 0.8 + 0.6 * n))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(n), classes, rotation=45, ha="right")
    ax.set_yticks(range(n), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = max(int(matrix.max()), 1)
    for i in range(n):
        for j in range(n):
            value = int(matrix[i][j])
            ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color="white" if value > top / 2 else "black")
    ax.set_title(title)
    save_png(fig, path)
