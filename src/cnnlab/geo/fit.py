"""The training loop of the gridded tasks: field-to-field models on samples gathered by index.

Each task supplies `batch(index) -> (x, target, mask)` and a masked loss; this loop shuffles the training
indices (seeded), steps the optimiser and per-batch schedule of cnnlab.train, computes the validation
loss each epoch, keeps best (lowest validation loss) and last weights as safetensors with the task's
normalisation statistics in their metadata, and writes metrics.csv. All writes are atomic.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.train.checkpoint import save_weights
from cnnlab.train.interrupt import interrupted, stop_requested
from cnnlab.train.optimizers import build_optimizer
from cnnlab.train.progress import EpochBar
from cnnlab.train.runs import write_metrics_csv
from cnnlab.train.schedules import build_scheduler

__all__ = ["fit", "predict_in_batches", "run_facts", "GEO_METRIC_COLUMNS"]

GEO_METRIC_COLUMNS = ["epoch", "train_loss", "val_loss", "lr", "epoch_time_s", "samples_per_s"]

Batch = Callable[[np.ndarray], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]
Loss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def predict_in_batches(model: nn.Module, inputs: Callable[[np.ndarray], torch.Tensor], index: np.ndarray,
                       device: torch.device, size: int = 256):
    """Model outputs (N, C, H, W) for the samples `index` (`inputs(index)` gives the model's input), as NumPy."""
    model.eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, len(index), size):
            x = inputs(index[start:start + size])
            outputs.append(model(x.to(device)).float().cpu())
    return torch.cat(outputs).numpy()


def _mean_loss(model, batch: Batch, index: np.ndarray, loss_fn: Loss, device, size: int = 256) -> float:
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(index), size):
            x, y, m = (t.to(device) for t in batch(index[start:start + size]))
            total += loss_fn(model(x).float(), y, m).item() * len(x)
            count += len(x)
    return total / max(count, 1)


def fit(model: nn.Module, batch: Batch, train_index: np.ndarray, val_index: np.ndarray, loss_fn: Loss, config, device: torch.device,
        run_dir: Path, metadata: dict, log: Callable[[str], None], progress: bool | None = None,
        augment: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Generator], tuple] | None = None,
        train_batch: Callable[[np.ndarray], tuple] | None = None,
        train_loss: Callable[[torch.Tensor, tuple], torch.Tensor] | None = None) -> tuple[list[dict], int]:
    """Train for config.epochs; returns the per-epoch history and the best epoch (by validation loss).
    `train_batch`/`train_loss` replace `batch` and `loss_fn` in training steps only (a multi-step rollout loss
    whose batches carry more than x, target, mask); validation keeps the one-step loss."""
    generator = torch.Generator().manual_seed(config.seed)
    steps_per_epoch = max(1, len(train_index) // config.batch_size)
    optimizer = build_optimizer(config.optimizer, model.parameters(), config.lr, config.weight_decay, config.momentum)
    scheduler = build_scheduler(config.schedule, optimizer, config.epochs * steps_per_epoch, round(config.warmup_epochs * steps_per_epoch))
    history: list[dict] = []
    best_loss, best_epoch = math.inf, 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = train_index[torch.randperm(len(train_index), generator=generator).numpy()]
        bar = EpochBar(epoch, config.epochs, steps_per_epoch, progress)
        start, total, seen = time.perf_counter(), 0.0, 0
        for step in range(steps_per_epoch):
            items = (train_batch or batch)(order[step * config.batch_size:(step + 1) * config.batch_size])
            if augment is not None:
                items = augment(*items, generator)
            items = tuple(t.to(device) for t in items)
            x = items[0]
            output = model(x).float()
            loss = train_loss(output, items) if train_loss is not None else loss_fn(output, items[1], items[2])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            value = loss.item()
            if not math.isfinite(value):
                bar.close()
                raise CnnlabError(f"the loss became {value} at epoch {epoch}, batch {step + 1}: training diverged; lower --lr (now {config.lr})")
            total += value * len(x)
            seen += len(x)
            if stop_requested():  # SIGINT/SIGTERM: stop between batches; the last epoch's weights stay whole
                bar.close()
                raise interrupted(epoch, str(run_dir), resumable=False)
            if bar.enabled:
                bar.bar.update(1)
                bar.bar.set_postfix_str(f"loss {total / seen:.4f}", refresh=False)
        bar.close()
        seconds = time.perf_counter() - start
        val_loss = _mean_loss(model, batch, val_index, loss_fn, device) if len(val_index) else float("nan")
        row = {"epoch": epoch, "train_loss": total / max(seen, 1), "val_loss": val_loss, "lr": optimizer.param_groups[0]["lr"],
               "epoch_time_s": seconds, "samples_per_s": seen / max(seconds, 1e-9)}
        history.append(row)
        val_text = f"  val loss {val_loss:.4f}" if val_loss == val_loss else ""
        log(f"epoch {epoch}/{config.epochs}  train loss {row['train_loss']:.4f}{val_text}  {seconds:.1f} s  {row['samples_per_s']:,.0f} samples/s")
        meta = {**metadata, "epoch": epoch}
        if not len(val_index) or val_loss < best_loss:
            best_loss, best_epoch = val_loss, epoch
            save_weights(model, run_dir / "best.safetensors", meta)
        save_weights(model, run_dir / "last.safetensors", meta)
        write_metrics_csv(run_dir / "metrics.csv", history, GEO_METRIC_COLUMNS)
    return history, best_epoch


def run_facts(history: list[dict], best_epoch: int, train_time: float, started: float, model: str, data: str, params: int,
              padding_mode, device: torch.device) -> dict:
    """The facts every gridded run's results.json ends with: epochs, times, model, machine."""
    import platform

    return {
        "epochs": len(history),
        "best_epoch": best_epoch,
        "train_time_s": round(train_time, 2),
        "wall_time_s": round(time.perf_counter() - started, 2),
        "model": model,
        "data": data,
        "params": params,
        "padding_mode": padding_mode,
        "device": str(device),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }

