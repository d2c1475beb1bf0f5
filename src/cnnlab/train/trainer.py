"""The training loop: one path for every image dataset and model.

config -> data in memory (uint8) -> batches normalised and augmented on the device -> model from the
registry -> steps (autocast, optimiser, per-batch schedule) -> validation each epoch -> checkpoints
(best and last, atomic) -> test evaluation with the best weights -> results.json, metrics.csv, plots.

A run killed at any point resumes from its last epoch checkpoint with `resume=True`; optimiser,
schedule, data order and all RNG states are restored, so on CPU the resumed run ends with the same
numbers as an uninterrupted one.

Fast path: bf16/fp16 autocast, channels_last, `torch.compile`, cudnn benchmark, data resident
on the device, no host synchronisation inside the step loop on a GPU; lookahead, alternating flips,
test-time augmentation and a whitening first layer for the airbench-class recipes; several processes
with DistributedDataParallel under torchrun (cnnlab.train.distributed).
"""

from __future__ import annotations

import math
import platform
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from cnnlab.data import Batches, ImageDataset, Normalise, dataset_spec, load_dataset
from cnnlab.errors import CnnlabError
from cnnlab.models import create_model
from cnnlab.train import distributed
from cnnlab.train.checkpoint import load_state, load_weights, save_state, save_weights
from cnnlab.train.config import TrainConfig
from cnnlab.train.device import autocast_context, resolve_device
from cnnlab.train.interrupt import interrupted, stop_on_signals, stop_requested
from cnnlab.train.lookahead import Lookahead
from cnnlab.train.metrics import ClassificationMeter, confusion_matrix
from cnnlab.train.optimizers import build_optimizer
from cnnlab.train.progress import EpochBar, format_epoch_line
from cnnlab.train.runs import (
    check_run_dir,
    default_run_dir,
    open_run,
    prepare_run_dir,
    run_folder_scope,
    write_json,
    write_metrics_csv,
)
from cnnlab.train.schedules import build_scheduler
from cnnlab.train.tta import tta_logits
from cnnlab.train.weight_average import WeightAverage

__all__ = ["train", "evaluate", "build_model_for", "load_run_model", "RunResult"]

EVAL_BATCH = 1000
WHITENING_IMAGES = 5000  # training images that set a whitening first layer (airbench uses 5000)


@dataclass
class RunResult:
    run_dir: Path
    results: dict
    history: list[dict]


def build_model_for(config: TrainConfig) -> nn.Module:
    spec = dataset_spec(config.data)
    return create_model(config.model, spec.in_shape, len(spec.classes), output="classes", **config.model_options)


def load_run_model(run_dir: Path, which: str = "best", device: torch.device | None = None) -> tuple[nn.Module, TrainConfig]:
    """The model of a run folder with its best (or last) weights, and the run's config."""
    config, weights = open_run(run_dir, which)
    if config.task != "classify":
        raise CnnlabError(f"{run_dir} is a --task {config.task} run: its test scores are in results.json; "
                          f"for new data use cnnlab.geo.forecast.load_forecast_run / forecast_from_fields")
    model = build_model_for(config)
    load_weights(model, weights, config.model)
    return model.to(device or torch.device("cpu")).eval(), config


def evaluate(model: nn.Module, batches: Batches, precision: str, device: torch.device, num_classes: int,
             tta: int = 0, dist: distributed.Distributed = distributed.SINGLE):
    """Mean loss, accuracy and the confusion matrix over all batches (of all ranks, when distributed)."""
    model.eval()
    meter = ClassificationMeter()
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=device)
    with torch.no_grad(), autocast_context(precision, device):
        for x, y in batches:
            logits = tta_logits(model, x, tta)
            meter.update(logits, y, F.cross_entropy(logits, y))
            confusion += confusion_matrix(logits.argmax(1), y, num_classes)
    _all_reduce_meter(meter, dist, device)
    dist.all_reduce_sum(confusion)
    return meter.result(), confusion.cpu()


def _all_reduce_meter(meter: ClassificationMeter, dist: distributed.Distributed, device: torch.device) -> None:
    if dist.enabled:
        sums = torch.stack([torch.as_tensor(v, dtype=torch.float64, device=device) for v in (meter.loss_sum, meter.correct, meter.count)])
        meter.loss_sum, meter.correct, meter.count = dist.all_reduce_sum(sums).tolist()


def _rng_state(generator: torch.Generator) -> dict:
    state = {"torch": torch.get_rng_state(), "batches": generator.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict, generator: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    generator.set_state(state["batches"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _split_data(config: TrainConfig) -> tuple[ImageDataset, ImageDataset | None, ImageDataset]:
    train_data = load_dataset(config.data, "train", config.data_dir)
    test_data = load_dataset(config.data, "test", config.data_dir)
    val_data = None
    if config.val_size:
        if config.val_size >= len(train_data):
            raise CnnlabError(f"--val-size {config.val_size} leaves no training images ({len(train_data)} in {config.data})")
        train_data, val_data = train_data.split(config.val_size, seed=0)
    if config.train_size:
        train_data = train_data.take(config.train_size)
    if config.test_size:
        test_data = test_data.take(config.test_size)
    return train_data, val_data, test_data


def train(
    config: TrainConfig,
    resume: bool = False,
    overwrite: bool = False,
    log: Callable[[str], None] = print,
    progress: bool | None = None,
) -> RunResult:
    """Train `config.model` on `config.data`; returns the run folder, results and per-epoch history."""
    config.validate()
    if config.out and not resume:
        check_run_dir(Path(config.out), overwrite)  # a folder that may not be replaced is refused before any work
    # SIGINT/SIGTERM stop at the next batch; the run folder stays locked until the run ends
    with stop_on_signals(enabled=not config.distributed), run_folder_scope():
        return _dispatch(config, resume, overwrite, log, progress)


def _dispatch(config: TrainConfig, resume: bool, overwrite: bool, log: Callable[[str], None],
              progress: bool | None) -> RunResult:
    if config.engine == "numpy":
        from cnnlab.train.numpy_engine import train_numpy

        return train_numpy(config, resume, overwrite, log, progress)
    from cnnlab.geo.tasks import is_geo_run, train_gridded  # forecast / detect / segment on grids

    if is_geo_run(config):
        return train_gridded(config, resume, overwrite, log, progress)
    started = time.perf_counter()
    device = resolve_device(config.device)
    autocast_context(config.precision, device)  # an impossible precision fails here, before any file is written
    dist, device = distributed.setup(config.distributed, device, config.sync_bn)
    try:
        return _train(config, resume, overwrite, log if dist.is_main else (lambda line: None), progress, started, device, dist)
    finally:
        dist.teardown()


def _train(config, resume, overwrite, log, progress, started, device, dist) -> RunResult:
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels once
    spec = dataset_spec(config.data)
    run_dir = dist.broadcast(Path(config.out) if config.out else default_run_dir(config.data, config.model))
    if resume and not (run_dir / "last.state.pt").is_file():
        raise CnnlabError(f"{run_dir} has no last.state.pt to resume from; start a new run instead")

    # Everything that can fail on bad input (model, data) happens before the run folder is touched.
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model = build_model_for(config).to(device)
    train_data, val_data, test_data = _split_data(config)
    if dist.enabled and config.batch_size % dist.world:
        raise CnnlabError(f"--batch-size {config.batch_size} is the global batch and must divide by the {dist.world} processes")
    problem = None
    if dist.is_main:
        try:
            prepare_run_dir(run_dir, overwrite, resume, log)  # created or emptied (not on resume) and locked
        except CnnlabError as error:
            problem = str(error)
    problem = dist.broadcast(problem)  # every rank stops with rank 0's message instead of waiting forever
    if problem:
        raise CnnlabError(problem)
    config.out = str(run_dir)
    memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    normalise = Normalise(spec.mean, spec.std)
    if hasattr(model, "fit_whitening"):  # airbench-style frozen first layer, set from the training images
        model.fit_whitening(normalise(train_data.images[:WHITENING_IMAGES].to(device)))
    hflip = spec.hflip if config.hflip is None else config.hflip
    shard = (dist.rank, dist.world)
    train_batches = Batches(train_data, config.batch_size, normalise, device, shuffle=True, translate=config.translate,
                            hflip=hflip, generator=generator, drop_last=len(train_data) > config.batch_size,
                            channels_last=config.channels_last, alternating_flip=config.alternating_flip, shard=shard)
    eval_kwargs = dict(batch_size=EVAL_BATCH, normalise=normalise, device=device, channels_last=config.channels_last, shard=shard)
    val_batches = Batches(val_data, **eval_kwargs) if val_data is not None else None
    test_batches = Batches(test_data, **eval_kwargs)

    steps_per_epoch = len(train_batches)
    trainable = [p for p in model.parameters() if p.requires_grad]  # frozen layers (whitening, BN scales) stay out
    optimizer = build_optimizer(config.optimizer, trainable, config.lr, config.weight_decay, config.momentum)
    scheduler = build_scheduler(config.schedule, optimizer, config.epochs * steps_per_epoch, round(config.warmup_epochs * steps_per_epoch))
    scaler = torch.amp.GradScaler("cuda") if config.precision == "fp16" else None
    criterion = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    lookahead = Lookahead(model, config.lookahead, config.lookahead_every) if config.lookahead else None
    # EMA of the weights: training never sees it; evaluation and the saved weights do.
    ema = WeightAverage(model, config.ema) if config.ema else None
    averaged = ema.swapped_in if ema is not None else nullcontext

    history: list[dict] = []
    best = {"epoch": 0, "val_accuracy": -1.0}
    start_epoch, elapsed_before = 1, 0.0
    if resume:
        state = load_state(run_dir / "last.state.pt")
        if ema is not None and "ema" in state:  # last.safetensors holds the average; the trained weights are here
            ema.load_state_dict(state["ema"])
            model.load_state_dict(state["trained_weights"])
        else:
            load_weights(model, run_dir / "last.safetensors", config.model)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if scaler is not None and "scaler" in state:
            scaler.load_state_dict(state["scaler"])
        if lookahead is not None and "lookahead" in state:
            lookahead.load_state_dict(state["lookahead"])
        _set_rng_state(state["rng"], generator)
        history, best = state["history"], state["best"]
        start_epoch, elapsed_before = state["epoch"] + 1, state["elapsed_s"]
        train_batches.epoch = state["epoch"]
        log(f"resuming {run_dir} after epoch {state['epoch']}")
    if dist.is_main:
        config.save(run_dir / "config.json")  # on resume too: --epochs may have changed
    board = _tensorboard(config, run_dir) if dist.is_main and config.tensorboard else None
    # The module that steps: DDP (gradient averaging) and/or compiled around the model whose weights are saved.
    stepper = dist.wrap(model, device, config.sync_bn)
    if config.compile:
        stepper = torch.compile(stepper)

    params = sum(p.numel() for p in model.parameters())
    processes = f", {dist.world} processes" if dist.enabled else ""
    log(f"training {config.model} ({params:,} params) on {config.data} ({len(train_data):,} train"
        f"{f', {len(val_data):,} val' if val_data is not None else ''}, {len(test_data):,} test) on {device}, {config.precision}"
        f"{', compiled' if config.compile else ''}{processes}; run folder {run_dir}")
    stopped_early = False
    for epoch in range(start_epoch, config.epochs + 1):
        row = _train_epoch(stepper, train_batches, optimizer, scheduler, scaler, criterion, config, device, epoch, progress,
                           lookahead, dist, ema)
        if lookahead is not None and epoch == config.epochs:
            lookahead.sync()  # the last epoch ends on the slow (averaged) weights
        with averaged():  # what is evaluated is what is saved
            if val_batches is not None:
                val_metrics, _ = evaluate(model, val_batches, config.precision, device, len(spec.classes), dist=dist)
                row.update(val_loss=val_metrics["loss"], val_accuracy=val_metrics["accuracy"])
            else:
                row.update(val_loss=float("nan"), val_accuracy=float("nan"))
            if config.test_every_epoch:
                test_now, _ = evaluate(model, test_batches, config.precision, device, len(spec.classes), config.tta, dist)
                row.update(test_loss=test_now["loss"], test_accuracy=test_now["accuracy"])
            history.append(row)
            log(format_epoch_line(epoch, config.epochs, row))

            improved = val_batches is None or row["val_accuracy"] > best["val_accuracy"]
            if improved:
                best = {"epoch": epoch, "val_accuracy": row["val_accuracy"] if val_batches is not None else -1.0}
            if dist.is_main:  # only rank 0 writes; the others wait at the barrier for its checkpoint
                meta = {"model": config.model, "data": config.data, "epoch": epoch, "config": config.to_dict()}
                if improved:
                    save_weights(model, run_dir / "best.safetensors", meta)
                save_weights(model, run_dir / "last.safetensors", meta)
        if dist.is_main:
            state = {
                "epoch": epoch,
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": _rng_state(generator),
                "history": history,
                "best": best,
                "elapsed_s": elapsed_before + time.perf_counter() - started,
                "config": config.to_dict(),
            }
            if scaler is not None:
                state["scaler"] = scaler.state_dict()
            if lookahead is not None:
                state["lookahead"] = lookahead.state_dict()
            if ema is not None:
                state["ema"], state["trained_weights"] = ema.state_dict(), model.state_dict()
            save_state(state, run_dir / "last.state.pt")
            write_metrics_csv(run_dir / "metrics.csv", history)
            if board is not None:
                board.log_epoch(row, model)
        dist.barrier()
        if config.early_stop and epoch - best["epoch"] >= config.early_stop:
            log(f"early stop: no better validation accuracy for {config.early_stop} epochs (best: epoch {best['epoch']})")
            stopped_early = True
            break

    # Test with the best weights (by validation accuracy; the last ones when there is no validation set).
    load_weights(model, run_dir / "best.safetensors", config.model)
    test_metrics, confusion = evaluate(model, test_batches, config.precision, device, len(spec.classes), config.tta, dist)
    facts = {"device": str(device), "precision": config.precision, "torch": torch.__version__, "python": platform.python_version()}
    if dist.enabled:
        facts["processes"] = dist.world
    results = run_results(config, history, best["epoch"], stopped_early, test_metrics, elapsed_before + time.perf_counter() - started,
                          params, facts)
    if not dist.is_main:
        dist.barrier()  # wait while rank 0 writes, so that all ranks leave the process group together
        return RunResult(run_dir, results, history)
    if board is not None:
        board.close(results)
    result = finish_run(run_dir, results, history, confusion, list(spec.classes), f"{config.model} on {config.data}", log)
    dist.barrier()
    return result


def _tensorboard(config: TrainConfig, run_dir: Path):
    from cnnlab.train.tensorboard_log import TensorBoardLog

    return TensorBoardLog(run_dir, config.to_dict())


def run_results(config: TrainConfig, history: list[dict], best_epoch: int, stopped_early: bool, test_metrics: dict,
                wall: float, params: int, facts: dict) -> dict:
    """results.json of an image run (either engine): test scores, epochs, times, then the engine's own `facts`."""
    train_time = sum(r["epoch_time_s"] for r in history)
    return {
        "test": {"accuracy": round(test_metrics["accuracy"], 6), "loss": round(test_metrics["loss"], 6)},
        "epochs": len(history),
        "best_epoch": best_epoch,
        "stopped_early": stopped_early,
        "wall_time_s": round(wall, 2),
        "images_per_s": round(sum(r["images"] for r in history) / max(train_time, 1e-9)),
        "model": config.model,
        "data": config.data,
        "params": params,
        **facts,
    }


def finish_run(run_dir: Path, results: dict, history: list[dict], confusion: torch.Tensor, classes: list[str], title: str,
               log: Callable[[str], None]) -> RunResult:
    """Write results.json, the confusion matrix and the plots of a finished image run, and say where they are."""
    write_json(run_dir / "results.json", results)
    _write_confusion(run_dir, confusion, classes)
    _write_plots(run_dir, history, confusion, classes, title, log)
    log(f"test accuracy {100 * results['test']['accuracy']:.2f}%  loss {results['test']['loss']:.4f}  "
        f"({results['wall_time_s']:.1f} s, {results['images_per_s']:,} img/s)  -> {run_dir}")
    return RunResult(run_dir, results, history)


def _train_epoch(model, batches, optimizer, scheduler, scaler, criterion, config, device, epoch, progress,
                 lookahead=None, dist=distributed.SINGLE, ema=None) -> dict:
    model.train()
    meter = ClassificationMeter()
    bar = EpochBar(epoch, config.epochs, len(batches), progress)
    # Reading a value from a GPU waits for every queued kernel. On CPU it is free, so the loss is checked
    # every step; on a GPU the loop never reads (a diverged loss shows in the epoch's sum), and a progress
    # bar on a terminal reads the running metrics every 100 steps only.
    on_cpu = device.type == "cpu"
    show_every = 20 if on_cpu else 100
    shown_at, shown_time = 0, time.perf_counter()
    start = time.perf_counter()
    for step, (x, y) in enumerate(batches, 1):
        with autocast_context(config.precision, device):
            logits = model(x)
            loss = criterion(logits.float(), y)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        scheduler.step()
        if lookahead is not None:
            lookahead.step()
        if ema is not None:
            ema.step()
        meter.update(logits, y, loss)
        if stop_requested():  # SIGINT/SIGTERM: stop between batches; the last epoch's checkpoint stays whole
            bar.close()
            raise interrupted(epoch, config.out)
        if on_cpu and not math.isfinite(loss.item()):
            bar.close()
            raise _diverged(loss.item(), f"at epoch {epoch}, batch {step}", epoch, config)
        if bar.enabled and (step % show_every == 0 or step == len(batches)):
            now = time.perf_counter()
            running = meter.result()
            bar.update(step - shown_at, running["loss"], running["accuracy"], (step - shown_at) * config.batch_size / (now - shown_time))
            shown_at, shown_time = step, now
    if device.type == "cuda":
        torch.cuda.synchronize()
    _all_reduce_meter(meter, dist, device)
    seconds = time.perf_counter() - start
    bar.close()
    metrics = meter.result()
    if not math.isfinite(metrics["loss"]):
        raise _diverged(metrics["loss"], f"in epoch {epoch}", epoch, config)
    return {
        "epoch": epoch,
        "train_loss": metrics["loss"],
        "train_accuracy": metrics["accuracy"],
        "lr": optimizer.param_groups[0]["lr"],
        "epoch_time_s": seconds,
        "images_per_s": meter.count / seconds,
        "images": int(meter.count),
    }


def _diverged(loss: float, where: str, epoch: int, config: TrainConfig) -> CnnlabError:
    advice = f"lower --lr (now {config.lr})" + (" or use --precision fp32" if config.precision != "fp32" else "")
    kept = (f"the last good checkpoint (epoch {epoch - 1}) is kept in {config.out}" if epoch > 1
            else "no epoch had finished, so no checkpoint was written")
    message = f"the loss became {loss} {where}: training diverged; {advice}; {kept}"
    if config.out and Path(config.out, "config.json").is_file():  # `cnnlab runs` lists the run as diverged
        write_json(Path(config.out) / "status.json", {"status": "diverged", "epoch": epoch, "message": message})
    return CnnlabError(message)


def _write_confusion(run_dir: Path, confusion: torch.Tensor, classes: list[str]) -> None:
    from cnnlab.files import write_text_atomic

    lines = ["true\\predicted," + ",".join(classes)]
    lines += [classes[i] + "," + ",".join(str(int(v)) for v in row) for i, row in enumerate(confusion)]
    write_text_atomic(run_dir / "confusion.csv", "\n".join(lines) + "\n")


def _write_plots(run_dir: Path, history, confusion, classes, title, log) -> None:
    from cnnlab.report import have_matplotlib, plot_confusion, plot_curves

    if not have_matplotlib():
        log("plots skipped: matplotlib is not installed (pip install 'cnnlab[plot]')")
        return
    plot_curves(history, run_dir / "curves.png", title)
    plot_confusion(confusion.numpy(), classes, run_dir / "confusion.png", title)
