"""Progress: a tqdm bar per epoch on a terminal (ETA, loss, accuracy, images/s); in logs, one line per epoch."""

from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["EpochBar", "format_epoch_line"]


class EpochBar:
    """Drawn only when stderr is a terminal, so CI logs get the per-epoch lines and nothing else."""

    def __init__(self, epoch: int, epochs: int, steps: int, enabled: bool | None = None):
        enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar = tqdm(
            total=steps,
            desc=f"epoch {epoch}/{epochs}",
            unit="batch",
            leave=False,
            disable=not enabled,
            dynamic_ncols=True,
        )

    @property
    def enabled(self) -> bool:
        return not self.bar.disable

    def update(self, steps: int, loss: float, accuracy: float, images_per_s: float) -> None:
        self.bar.update(steps)
        self.bar.set_postfix_str(f"loss {loss:.4f} acc {100 * accuracy:.2f}% {images_per_s:,.0f} img/s", refresh=False)

    def close(self) -> None:
        self.bar.close()


def format_epoch_line(epoch: int, epochs: int, row: dict) -> str:
    val = (
        f"  val loss {row['val_loss']:.4f} acc {100 * row['val_accuracy']:.2f}%"
        if row.get("val_accuracy") == row.get("val_accuracy")
        else ""
    )
    test = f"  test acc {100 * row['test_accuracy']:.2f}%" if "test_accuracy" in row else ""
    return (
        f"epoch {epoch}/{epochs}  train loss {row['train_loss']:.4f} acc {100 * row['train_accuracy']:.2f}%{val}{test}"
        f"  {row['epoch_time_s']:.1f} s  {row['images_per_s']:,.0f} img/s"
    )
