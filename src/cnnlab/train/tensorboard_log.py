"""TensorBoard logging of a run (`--tensorboard`): per-epoch scalars, first-layer filters, hyperparameters.

Everything goes to RUN_DIR/tb/ through torch.utils.tensorboard (the `tensorboard` package, extra
`[tensorboard]`); watch it live with `tensorboard --logdir runs`. The trainer calls `log_epoch` once per
epoch and `close` once at the end, so the loop itself knows nothing about TensorBoard.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from cnnlab.errors import CnnlabError

__all__ = ["TensorBoardLog", "EPOCH_SCALARS", "first_layer_filters"]

# metrics.csv field -> TensorBoard tag
EPOCH_SCALARS = {
    "train_loss": "loss/train",
    "val_loss": "loss/val",
    "train_accuracy": "accuracy/train",
    "val_accuracy": "accuracy/val",
    "test_accuracy": "accuracy/test",
    "test_loss": "loss/test",
    "lr": "lr",
    "images_per_s": "speed/images_per_s",
    "epoch_time_s": "speed/epoch_time_s",
}


def first_layer_filters(model: nn.Module) -> torch.Tensor | None:
    """The first convolution's kernels as images (N, 1 or 3, kh, kw), each scaled to 0..1; None without one."""
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is None:
        return None
    weights = conv.weight.detach().float().cpu()
    if weights.shape[1] not in (1, 3):  # show the mean over input channels when they are not grey or RGB
        weights = weights.mean(1, keepdim=True)
    low = weights.amin(dim=(1, 2, 3), keepdim=True)
    high = weights.amax(dim=(1, 2, 3), keepdim=True)
    return (weights - low) / (high - low).clamp(min=1e-12)


def _hparam_value(value):
    if isinstance(value, (bool, int, float, str)) or value is None:
        return "" if value is None else value
    return str(value)


class TensorBoardLog:
    def __init__(self, run_dir: Path, config_values: dict):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise CnnlabError(
                "--tensorboard needs the tensorboard package: pip install 'cnnlab[tensorboard]'"
            ) from None
        self.writer = SummaryWriter(log_dir=str(Path(run_dir) / "tb"))
        self.hparams = {k: _hparam_value(v) for k, v in config_values.items() if k not in ("out", "data_dir", "geo")}

    def log_epoch(self, row: dict, model: nn.Module) -> None:
        epoch = int(row["epoch"])
        for field, tag in EPOCH_SCALARS.items():
            value = row.get(field)
            if isinstance(value, (int, float)) and math.isfinite(value):
                self.writer.add_scalar(tag, value, epoch)
        filters = first_layer_filters(model)
        if filters is not None:
            self.writer.add_images("filters/first_layer", filters, epoch, dataformats="NCHW")
        self.writer.flush()  # a live TensorBoard sees every epoch as it ends

    def close(self, results: dict) -> None:
        from torch.utils.tensorboard.summary import hparams

        test = results.get("test", {})
        metrics = {f"hparam/test_{k}": float(v) for k, v in test.items() if isinstance(v, (int, float))}
        experiment, start, end = hparams(self.hparams, metrics)
        for summary in (experiment, start, end):
            self.writer.file_writer.add_summary(summary)
        for tag, value in metrics.items():
            self.writer.add_scalar(tag, value)
        self.writer.close()
