"""PNG plots of a run: learning curves and the confusion matrix (matplotlib, an optional extra)."""

from __future__ import annotations

from pathlib import Path

from cnnlab.figures import have_matplotlib, pyplot
from cnnlab.files import atomic_write

__all__ = [
    "have_matplotlib",
    "plot_curves",
    "plot_confusion",
    "curves_figure",
    "confusion_figure",
    "plot_curve_overlay",
    "curve_overlay_figure",
]


def _save(fig, path: Path) -> None:
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight"))


def plot_curves(history: list[dict], path: Path, title: str = "") -> None:
    """Loss and accuracy per epoch, train and validation, side by side, as a PNG file."""
    fig = curves_figure(history, title)
    _save(fig, path)
    pyplot().close(fig)


def curves_figure(history: list[dict], title: str = ""):
    """Loss and accuracy per epoch, train and validation, side by side (a matplotlib figure)."""
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
    return fig


def plot_confusion(matrix, classes: list[str], path: Path, title: str = "") -> None:
    """The confusion matrix as a PNG file."""
    fig = confusion_figure(matrix, classes, title)
    _save(fig, path)
    pyplot().close(fig)


def confusion_figure(matrix, classes: list[str], title: str = ""):
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
            colour = "white" if value > top / 2 else "black"
            ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color=colour)
    ax.set_title(title)
    return fig


def plot_curve_overlay(names: list[str], histories: list[list[dict]], path: Path) -> None:
    """Validation (solid) and training (dashed) loss and accuracy of each run, one colour per run, as a PNG file."""
    fig = curve_overlay_figure(names, histories)
    _save(fig, path)
    pyplot().close(fig)


def curve_overlay_figure(names: list[str], histories: list[list[dict]]):
    """Validation (solid) and training (dashed) loss and accuracy of each run, one colour per run (a figure)."""
    plt = pyplot()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, (name, history) in enumerate(zip(names, histories)):
        colour = f"C{i % 10}"
        epochs = [row.get("epoch") for row in history]
        for key, ax, scale in (("loss", ax_loss, 1), ("accuracy", ax_acc, 100)):
            for split, style in (("val", "-"), ("train", "--")):
                values = [row.get(f"{split}_{key}") for row in history]
                if values and all(isinstance(v, float) and v == v for v in values):
                    ax.plot(
                        epochs,
                        [scale * v for v in values],
                        style,
                        color=colour,
                        marker="o",
                        markersize=3,
                        label=f"{name} ({split})",
                    )
    for ax, label in ((ax_loss, "loss"), (ax_acc, "accuracy (%)")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=7)
    fig.suptitle("learning curves: validation solid, training dashed")
    return fig
