"""PNG plots of a run: learning curves and the confusion matrix (matplotlib, an optional extra)."""

from __future__ import annotations

from pathlib import Path

from cnnlab.train.checkpoint import atomic_write

__all__ = ["have_matplotlib", "plot_curves", "plot_confusion", "curves_figure", "confusion_figure"]


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def new_figure():
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path) -> None:
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight"))


def plot_curves(history: list[dict], path: Path, title: str = "") -> None:
    """Loss and accuracy per epoch, train and validation, side by side, as a PNG file."""
    fig = curves_figure(history, title)
    save_figure(fig, path)
    new_figure().close(fig)


def curves_figure(history: list[dict], title: str = ""):
    """Loss and accuracy per epoch, train and validation, side by side (a matplotlib figure)."""
    plt = new_figure()
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
    save_figure(fig, path)
    new_figure().close(fig)


def confusion_figure(matrix, classes: list[str], title: str = ""):
    """Counts of true class (rows) vs predicted class (columns), with the numbers written in."""
    plt = new_figure()
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
