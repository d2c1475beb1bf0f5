"""The `classify` task: an image dataset in memory, cross-entropy, accuracy and the confusion matrix.

config -> data in memory (uint8) -> batches normalised and augmented on the device -> model from the
registry (the loop and an engine train it) -> validation accuracy picks best.safetensors -> the best
weights on the test split -> results.json, confusion.csv, curves.png and confusion.png.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from cnnlab.data import Batches, ImageDataset, Normalise, dataset_spec, load_dataset
from cnnlab.errors import CnnlabError
from cnnlab.files import write_text_atomic
from cnnlab.models import create_model
from cnnlab.train import distributed
from cnnlab.train.checkpoint import load_weights
from cnnlab.train.config import TrainConfig
from cnnlab.train.device import autocast_context
from cnnlab.train.metrics import ClassificationMeter, confusion_matrix, format_per_class, per_class_report
from cnnlab.train.progress import format_epoch_line
from cnnlab.train.runs import default_run_dir, open_run, trained_data, write_json
from cnnlab.train.tasks import Meter, Task, register_task
from cnnlab.train.tta import tta_logits

__all__ = ["ClassifyTask", "ClassifyMeter", "evaluate", "build_model_for", "load_run_model", "split_data", "EVAL_BATCH"]

EVAL_BATCH = 1000
WHITENING_IMAGES = 5000  # training images that set a whitening first layer (airbench uses 5000)


def build_model_for(config: TrainConfig) -> nn.Module:
    spec = dataset_spec(config.data)
    return create_model(config.model, spec.in_shape, len(spec.classes), output="classes", **config.model_options)


def load_run_model(
    run_dir: Path, which: str = "best", device: torch.device | None = None
) -> tuple[nn.Module, TrainConfig]:
    """The model of an image run folder with its best (or last) weights, and the run's config."""
    config, weights = open_run(run_dir, which)
    if config.task != "classify":
        raise CnnlabError(
            f"{run_dir} is a --task {config.task} run: `cnnlab eval {run_dir}` scores it; "
            f"for new data use cnnlab.geo.forecast.load_forecast_run / forecast_from_fields"
        )
    model = build_model_for(config)
    load_weights(model, weights, config.model)
    return model.to(device or torch.device("cpu")).eval(), config


def split_data(
    config: TrainConfig, data_dir: str | None = None
) -> tuple[ImageDataset, ImageDataset | None, ImageDataset]:
    """Training, validation (None without --val-size) and test images of the config."""
    data_dir = data_dir or config.data_dir
    train_data = load_dataset(config.data, "train", data_dir)
    test_data = load_dataset(config.data, "test", data_dir)
    val_data = None
    if config.val_size:
        if config.val_size >= len(train_data):
            raise CnnlabError(
                f"--val-size {config.val_size} leaves no training images ({len(train_data)} in {config.data})"
            )
        train_data, val_data = train_data.split(config.val_size, seed=0)
    if config.train_size:
        train_data = train_data.take(config.train_size)
    if config.test_size:
        test_data = test_data.take(config.test_size)
    return train_data, val_data, test_data


class ClassifyMeter(Meter):
    """Loss, accuracy and, when asked for, the confusion matrix; sums stay on the device (no host sync per batch).
    The numpy engine gives its loss as a float, which is summed as a float."""

    def __init__(self, num_classes: int = 0):
        self.sums = ClassificationMeter()
        self.confusion = None
        self.num_classes = num_classes

    def update(self, output, batch, loss) -> None:
        target = batch[1]
        if isinstance(loss, torch.Tensor):
            self.sums.update(output, target, loss)
        else:
            n = target.shape[0]
            self.sums.loss_sum = self.sums.loss_sum + loss * n
            self.sums.correct = self.sums.correct + (output.argmax(1) == target).sum()
            self.sums.count += n
        if self.num_classes:
            counts = confusion_matrix(output.argmax(1), target, self.num_classes)
            self.confusion = counts if self.confusion is None else self.confusion + counts

    @property
    def count(self) -> int:
        return self.sums.count

    def result(self) -> dict[str, float]:
        return self.sums.result()

    def all_reduce(self, dist, device) -> None:
        _all_reduce_sums(self.sums, dist, device)
        if self.confusion is not None:
            dist.all_reduce_sum(self.confusion)


def _all_reduce_sums(meter: ClassificationMeter, dist: distributed.Distributed, device: torch.device) -> None:
    if dist.enabled:
        sums = torch.stack(
            [
                torch.as_tensor(v, dtype=torch.float64, device=device)
                for v in (meter.loss_sum, meter.correct, meter.count)
            ]
        )
        meter.loss_sum, meter.correct, meter.count = dist.all_reduce_sum(sums).tolist()


def evaluate(
    model: nn.Module,
    batches: Batches,
    precision: str,
    device: torch.device,
    num_classes: int,
    tta: int = 0,
    dist: distributed.Distributed = distributed.SINGLE,
):
    """Mean loss, accuracy and the confusion matrix of a torch model over all batches (of all ranks)."""
    model.eval()
    meter = ClassifyMeter(num_classes)
    with torch.no_grad(), autocast_context(precision, device):
        for x, y in batches:
            logits = tta_logits(model, x, tta)
            meter.update(logits, (x, y), F.cross_entropy(logits, y))
    meter.all_reduce(dist, device)
    return meter.result(), meter.confusion.cpu()


@register_task("classify")
class ClassifyTask(Task):
    engines = ("torch", "numpy")

    def prepare(self, config, device) -> None:
        self.spec = dataset_spec(config.data)
        self.classes = list(self.spec.classes)
        self.train_data, self.val_data, self.test_data = split_data(config)
        self.normalise = Normalise(self.spec.mean, self.spec.std)
        self.criterion = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)

    def model_shape(self, config):
        spec = dataset_spec(config.data)
        return spec.in_shape, len(spec.classes), config.model_options

    def default_run_dir(self, config) -> Path:
        return default_run_dir(config.data, config.model)

    def init_model(self, model, device) -> None:
        if hasattr(model, "fit_whitening"):  # airbench-style frozen first layer, set from the training images
            model.fit_whitening(self.normalise(self.train_data.images[:WHITENING_IMAGES].to(device)))

    def train_batches(self, config, device, generator, shard):
        hflip = self.spec.hflip if config.hflip is None else config.hflip
        return Batches(
            self.train_data,
            config.batch_size,
            self.normalise,
            device,
            shuffle=True,
            translate=config.translate,
            hflip=hflip,
            generator=generator,
            drop_last=len(self.train_data) > config.batch_size,
            channels_last=config.channels_last,
            alternating_flip=config.alternating_flip,
            shard=shard,
        )

    def eval_batches(self, split, config, device, shard):
        data = self.val_data if split == "val" else self.test_data
        if data is None:
            return None
        return Batches(data, EVAL_BATCH, self.normalise, device, channels_last=config.channels_last, shard=shard)

    def loss(self, output, batch):
        return self.criterion(output.float(), batch[1])

    def eval_loss(self, output, batch):
        return F.cross_entropy(output, batch[1])

    def meter(self, confusion: bool = False) -> ClassifyMeter:
        return ClassifyMeter(len(self.classes) if confusion else 0)

    def describe(self, config, params, run_dir, where) -> str:
        val = f", {len(self.val_data):,} val" if self.val_data is not None else ""
        return (
            f"training {config.model} ({params:,} params){where} on {config.data} "
            f"({len(self.train_data):,} train{val}, "
            f"{len(self.test_data):,} test)"
        )

    def epoch_line(self, epoch, epochs, row) -> str:
        return format_epoch_line(epoch, epochs, row)

    def progress_text(self, metrics, per_s) -> str:
        return f"loss {metrics['loss']:.4f} acc {100 * metrics['accuracy']:.2f}% {per_s:,.0f} img/s"

    def test(self, run):
        batches = self.eval_batches("test", run.config, run.device, run.shard)
        meter = self.evaluate(run.engine, batches, run.config.tta, confusion=True)
        meter.all_reduce(run.dist, run.device)
        metrics = meter.result()
        history, config = run.history, run.config
        train_time = sum(r["epoch_time_s"] for r in history)
        results = {
            "test": {"accuracy": round(metrics["accuracy"], 6), "loss": round(metrics["loss"], 6)},
            "epochs": len(history),
            "best_epoch": run.best_epoch,
            "stopped_early": run.stopped_early,
            "wall_time_s": round(run.wall_time(), 2),
            "images_per_s": round(sum(r["images"] for r in history) / max(train_time, 1e-9)),
            "model": config.model,
            "data": config.data,
            "params": run.engine.params,
            **run.facts(),
        }
        return results, {"confusion": meter.confusion.cpu()}

    def write(self, run, results, artifacts, log) -> None:
        run_dir, confusion, classes = run.run_dir, artifacts["confusion"], self.classes
        write_json(run_dir / "results.json", results)
        lines = ["true\\predicted," + ",".join(classes)]
        lines += [classes[i] + "," + ",".join(str(int(v)) for v in row) for i, row in enumerate(confusion)]
        write_text_atomic(run_dir / "confusion.csv", "\n".join(lines) + "\n")
        from cnnlab.report import have_matplotlib, plot_confusion, plot_curves

        if not have_matplotlib():
            log("plots skipped: matplotlib is not installed (pip install 'cnnlab[plot]')")
        else:
            engine = " (numpy engine)" if run.config.engine == "numpy" else ""
            title = f"{run.config.model}{engine} on {run.config.data}"
            plot_curves(run.history, run_dir / "curves.png", title)
            plot_confusion(confusion.numpy(), classes, run_dir / "confusion.png", title)
        log(
            f"test accuracy {100 * results['test']['accuracy']:.2f}%  loss {results['test']['loss']:.4f}  "
            f"({results['wall_time_s']:.1f} s, {results['images_per_s']:,} img/s)  -> {run_dir}"
        )

    def evaluate_run(self, run_dir, config, which, device, data_dir):
        with trained_data(run_dir):  # own data: normalised with the statistics the model was trained with
            model, config = load_run_model(run_dir, which, device)
            spec = dataset_spec(config.data)
            test = load_dataset(config.data, "test", data_dir or config.data_dir)
        batches = Batches(test, EVAL_BATCH, Normalise(spec.mean, spec.std), device)
        metrics, confusion = evaluate(model, batches, config.precision, device, len(spec.classes))
        report = per_class_report(confusion, list(spec.classes))
        return {
            "model": config.model,
            "data": config.data,
            "checkpoint": which,
            "images": len(test),
            "test": metrics,
            "per_class": report["per_class"],
            "average": report["average"],
            "support": report["support"],
        }

    def evaluation_text(self, evaluation) -> str:
        metrics = evaluation["test"]
        return (
            f"{evaluation['model']} on {evaluation['data']} ({evaluation['checkpoint']}.safetensors): test accuracy "
            f"{100 * metrics['accuracy']:.2f}%  loss {metrics['loss']:.4f}  ({evaluation['images']:,} images)\n"
            + "\n".join(format_per_class(evaluation))
        )
