"""What the gridded tasks share: field-to-field models on samples gathered by index, scored by a masked loss.

Each task supplies `sample(index) -> (x, target, mask)` and a loss of (prediction, target, mask); the
loop of cnnlab.train trains it like any other task. Batches draw their order from the run's seeded
generator at the start of each epoch, so a resumed run sees the batches of an uninterrupted one. The
lowest validation loss picks best.safetensors.
"""

from __future__ import annotations

import math
import platform
from typing import Callable

import numpy as np
import torch
from torch import nn

from cnnlab.train.tasks import Meter, Task

__all__ = [
    "FieldTask",
    "IndexBatches",
    "LossMeter",
    "predict_in_batches",
    "json_number",
    "GEO_METRIC_COLUMNS",
    "EVAL_SAMPLES",
]

GEO_METRIC_COLUMNS = ["epoch", "train_loss", "val_loss", "lr", "epoch_time_s", "samples_per_s"]
EVAL_SAMPLES = 256  # samples per evaluation batch

Sample = Callable[[np.ndarray], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


def json_number(value: float, digits: int = 4):
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


class IndexBatches:
    """(x, target, mask) batches of the samples `index`, on `device`; shuffled by `generator` each epoch when given.

    Training drops the last partial batch (at least one batch an epoch); evaluation keeps it. With
    `shard=(rank, world)` each process takes the positions rank, rank + world, ... of every batch."""

    def __init__(
        self,
        sample: Sample,
        index: np.ndarray,
        batch_size: int,
        device: torch.device,
        generator: torch.Generator | None = None,
        shard: tuple[int, int] = (0, 1),
    ):
        self.sample, self.index, self.batch_size, self.device = sample, np.asarray(index), batch_size, device
        self.generator = generator
        self.rank, self.world = shard
        self.epoch = 0  # epochs started; the loop sets it when it resumes

    def __len__(self) -> int:
        if self.generator is not None:
            return max(1, len(self.index) // self.batch_size)
        return -(-len(self.index) // self.batch_size)

    def __iter__(self):
        self.epoch += 1
        order = self.index
        if self.generator is not None:
            order = self.index[torch.randperm(len(self.index), generator=self.generator).numpy()]
        for i in range(len(self)):
            chosen = order[i * self.batch_size : (i + 1) * self.batch_size][self.rank :: self.world]
            yield tuple(t.to(self.device) for t in self.sample(chosen))


def predict_in_batches(
    model: nn.Module,
    inputs: Callable[[np.ndarray], torch.Tensor],
    index: np.ndarray,
    device: torch.device,
    size: int = EVAL_SAMPLES,
):
    """Model outputs (N, C, H, W) for the samples `index` (`inputs(index)` gives the model's input), as NumPy."""
    model.eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, len(index), size):
            x = inputs(index[start : start + size])
            outputs.append(model(x.to(device)).float().cpu())
    return torch.cat(outputs).numpy()


class LossMeter(Meter):
    """The mean loss over samples; sums stay on the device."""

    def __init__(self):
        self.loss_sum, self.count = 0.0, 0

    def update(self, output, batch, loss) -> None:
        n = batch[0].shape[0]
        self.loss_sum = self.loss_sum + loss.detach().double() * n
        self.count += n

    def result(self) -> dict[str, float]:
        return {"loss": float(self.loss_sum) / self.count if self.count else float("nan")}

    def all_reduce(self, dist, device) -> None:
        if dist.enabled:
            sums = torch.tensor([float(self.loss_sum), float(self.count)], dtype=torch.float64, device=device)
            self.loss_sum, count = dist.all_reduce_sum(sums).tolist()
            self.count = int(count)


class FieldTask(Task):
    """The base of the gridded tasks; a subclass sets `sample`, `splits` and `loss_fn` in `prepare`."""

    unit = "samples"
    columns = GEO_METRIC_COLUMNS
    best_key = "val_loss"
    higher_is_better = False
    best_label = "validation loss"
    model_output = "field"

    def train_batches(self, config, device, generator, shard):
        return IndexBatches(self.sample, self.splits["train"], config.batch_size, device, generator, shard)

    def eval_batches(self, split, config, device, shard):
        index = self.splits.get(split)
        if index is None or not len(index):
            return None
        return IndexBatches(self.sample, index, EVAL_SAMPLES, device, shard=shard)

    def loss(self, output, batch):
        return self.loss_fn(output.float(), batch[1], batch[2])

    def meter(self, confusion: bool = False) -> LossMeter:
        return LossMeter()

    def epoch_line(self, epoch, epochs, row) -> str:
        val = row["val_loss"]
        val_text = f"  val loss {val:.4f}" if val == val else ""
        return (
            f"epoch {epoch}/{epochs}  train loss {row['train_loss']:.4f}{val_text}  {row['epoch_time_s']:.1f} s  "
            f"{row['samples_per_s']:,.0f} samples/s"
        )

    def run_facts(self, run, padding_mode) -> dict:
        """The facts every gridded run's results.json ends with: epochs, times, model, machine."""
        facts = {
            "epochs": len(run.history),
            "best_epoch": run.best_epoch,
            "stopped_early": run.stopped_early,
            "train_time_s": round(run.train_time_s, 2),
            "wall_time_s": round(run.wall_time(), 2),
            "model": run.config.model,
            "data": run.config.data,
            "params": run.engine.params,
            "padding_mode": padding_mode,
            "device": str(run.device),
            "torch": torch.__version__,
            "python": platform.python_version(),
        }
        if run.dist.enabled:
            facts["processes"] = run.dist.world
        return facts
