"""The numpy engine: `cnnlab train --engine numpy` trains the cnnlab.scratch twin of a registered model.

Same datasets, TrainConfig, batches, schedule, progress bar, run folder, metrics.csv, results.json,
plots, checkpoint format and --resume (optimiser state, data order and dropout RNG in last.state.pt)
as the torch engine; only the forward/backward/step is NumPy
(float32, im2col convolutions). The safetensors files hold the torch twin's state_dict keys, so
`cnnlab eval` and `cnnlab predict` load a numpy run into the torch model, and
`load_scratch_weights` loads any torch checkpoint of the model into its scratch network.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from safetensors.numpy import save_file
from threadpoolctl import threadpool_limits

from cnnlab.data import Batches, Normalise, dataset_spec
from cnnlab.errors import CnnlabError
from cnnlab.files import atomic_write
from cnnlab.models import create_model
from cnnlab.scratch import Network, SoftmaxCrossEntropy, build_scratch_optimizer, create_scratch_model
from cnnlab.scratch.loss import NonFiniteLoss
from cnnlab.train.checkpoint import load_state, read_safetensors, save_state
from cnnlab.train.config import TrainConfig
from cnnlab.train.interrupt import interrupted, stop_requested
from cnnlab.train.progress import EpochBar, format_epoch_line
from cnnlab.train.runs import default_run_dir, open_run, prepare_run_dir, write_metrics_csv
from cnnlab.train.schedules import lr_factor
from cnnlab.train.trainer import EVAL_BATCH, RunResult, _diverged, _split_data, finish_run, run_results

__all__ = ["train_numpy", "blas_threads", "build_scratch_for", "save_scratch_weights", "load_scratch_weights", "load_run_scratch_model",
           "evaluate_scratch"]


def blas_threads() -> int:
    """BLAS threads for the numpy engine: $CNNLAB_BLAS_THREADS, default 1.

    Measured on the shared 2-core machine (load ~7): a SimpleConvNet step of 128 images took 70 ms with one
    OpenBLAS thread and 200-1,800 ms with two, whose threads wait for each other on busy cores.
    """
    value = os.environ.get("CNNLAB_BLAS_THREADS", "1")
    if not value.isdigit() or int(value) < 1:
        raise CnnlabError(f"CNNLAB_BLAS_THREADS must be a positive integer, got {value!r}")
    return int(value)


def build_scratch_for(config: TrainConfig, dtype=np.float32) -> Network:
    """The scratch network of `config.model`; its torch twin is built too, to check the options fit both."""
    spec = dataset_spec(config.data)
    create_model(config.model, spec.in_shape, len(spec.classes), output="classes", **config.model_options)
    net = create_scratch_model(config.model, spec.in_shape, len(spec.classes), seed=config.seed, dtype=dtype,
                               weight_decay=config.weight_decay, **config.model_options)
    net.criterion = SoftmaxCrossEntropy(config.label_smoothing)
    return net


def save_scratch_weights(net: Network, path: Path, metadata: dict | None = None) -> None:
    """The network's state_dict (torch key names) as safetensors, written atomically."""
    tensors = {k: np.ascontiguousarray(v) for k, v in net.state_dict().items()}
    meta = {k: json.dumps(v) for k, v in (metadata or {}).items()}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=meta))


def load_scratch_weights(net: Network, path: Path) -> dict:
    """Load a safetensors checkpoint (of either engine) into a scratch network; returns its metadata."""
    tensors, metadata = read_safetensors(path, "np")
    try:
        net.load_state_dict(tensors)
    except CnnlabError as error:
        raise CnnlabError(f"checkpoint {path} was written for {metadata.get('model', 'another model')}: {error}") from None
    return metadata


def load_run_scratch_model(run_dir: Path, which: str = "best", dtype=np.float32) -> tuple[Network, TrainConfig]:
    """The scratch network of a run folder (trained by either engine) with its best (or last) weights."""
    config, weights = open_run(run_dir, which)
    net = build_scratch_for(config, dtype)
    load_scratch_weights(net, weights)
    return net, config


def evaluate_scratch(net: Network, batches: Batches, num_classes: int) -> tuple[dict, np.ndarray]:
    """Mean loss (plain cross-entropy), accuracy and the confusion matrix, in evaluation mode."""
    criterion = SoftmaxCrossEntropy()
    loss_sum, correct, count = 0.0, 0, 0
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    for x, y in batches:
        labels = y.numpy()
        logits = net.forward(x.numpy(), train=False)
        loss_sum += criterion.forward(logits, labels) * len(labels)
        predicted = logits.argmax(1)
        correct += int((predicted == labels).sum())
        count += len(labels)
        confusion += np.bincount(labels * num_classes + predicted, minlength=num_classes**2).reshape(num_classes, num_classes)
    return {"loss": loss_sum / count, "accuracy": correct / count}, confusion




def train_numpy(config: TrainConfig, resume: bool = False, overwrite: bool = False, log: Callable[[str], None] = print,
                progress: bool | None = None) -> RunResult:
    """cnnlab.train.train for config.engine == "numpy" (the caller validated the config, which refuses
    precisions, devices and layouts the numpy engine does not have)."""
    build_scratch_optimizer(config.optimizer, config.lr, config.momentum)  # adamw and friends fail here
    with threadpool_limits(limits=blas_threads(), user_api="blas"):
        return _train_numpy(config, resume, overwrite, log, progress)


def _dropout_generators(net: Network) -> list[np.random.Generator]:
    """The distinct random generators of the network's dropout layers (their state is part of a resumable run)."""
    found: list[np.random.Generator] = []
    for layer in net.layers:
        rng = getattr(layer, "rng", None)
        if rng is not None and all(rng is not g for g in found):
            found.append(rng)
    return found


def _training_state(net, optimizer, generator, epoch, history, best, elapsed, config) -> dict:
    """What --resume needs beyond the weights, as torch.load(weights_only=True) can read it back."""
    opt = optimizer.state_dict()
    opt["state"] = {k: {n: (torch.from_numpy(v) if isinstance(v, np.ndarray) else v) for n, v in s.items()}
                    for k, s in opt["state"].items()}
    return {"epoch": epoch, "optimizer": opt, "engine": "numpy",
            "rng": {"batches": generator.get_state(),
                    "dropout": [json.dumps(g.bit_generator.state) for g in _dropout_generators(net)]},
            "history": history, "best": best, "elapsed_s": elapsed, "config": config.to_dict()}


def _restore_training_state(state: dict, net, optimizer, generator) -> None:
    if state.get("engine") != "numpy":
        raise CnnlabError("this run's last.state.pt was written by the torch engine; resume it without --engine numpy")
    opt = state["optimizer"]
    opt["state"] = {k: {n: (v.numpy() if isinstance(v, torch.Tensor) else v) for n, v in s.items()} for k, s in opt["state"].items()}
    optimizer.load_state_dict(opt)
    generator.set_state(state["rng"]["batches"])
    for g, saved in zip(_dropout_generators(net), state["rng"]["dropout"]):
        g.bit_generator.state = json.loads(saved)


def _train_numpy(config: TrainConfig, resume: bool, overwrite: bool, log: Callable[[str], None],
                 progress: bool | None) -> RunResult:
    started = time.perf_counter()
    spec = dataset_spec(config.data)
    classes = list(spec.classes)
    run_dir = Path(config.out) if config.out else default_run_dir(config.data, config.model)
    if resume and not (run_dir / "last.state.pt").is_file():
        raise CnnlabError(f"{run_dir} has no last.state.pt to resume from; start a new run instead")

    # Model and data first: bad input fails before the run folder is touched.
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    net = build_scratch_for(config)
    train_data, val_data, test_data = _split_data(config)
    prepare_run_dir(run_dir, overwrite, resume, log)  # created or emptied (not on resume) and locked
    config.out = str(run_dir)
    cpu = torch.device("cpu")
    normalise = Normalise(spec.mean, spec.std)
    hflip = spec.hflip if config.hflip is None else config.hflip
    train_batches = Batches(train_data, config.batch_size, normalise, cpu, shuffle=True, translate=config.translate,
                            hflip=hflip, generator=generator, drop_last=len(train_data) > config.batch_size)
    val_batches = Batches(val_data, EVAL_BATCH, normalise, cpu) if val_data is not None else None
    test_batches = Batches(test_data, EVAL_BATCH, normalise, cpu)
    optimizer = build_scratch_optimizer(config.optimizer, config.lr, config.momentum)
    total_steps = config.epochs * len(train_batches)
    warmup_steps = round(config.warmup_epochs * len(train_batches))

    history: list[dict] = []
    best = {"epoch": 0, "val_accuracy": -1.0}
    start_epoch, elapsed_before = 1, 0.0
    if resume:
        load_scratch_weights(net, run_dir / "last.safetensors")
        state = load_state(run_dir / "last.state.pt")
        _restore_training_state(state, net, optimizer, generator)
        history, best = state["history"], state["best"]
        start_epoch, elapsed_before = state["epoch"] + 1, state["elapsed_s"]
        log(f"resuming {run_dir} after epoch {state['epoch']}")
    config.save(run_dir / "config.json")  # on resume too: --epochs may have changed

    params = net.num_params()
    log(f"training {config.model} ({params:,} params) with the numpy engine on {config.data} ({len(train_data):,} train"
        f"{f', {len(val_data):,} val' if val_data is not None else ''}, {len(test_data):,} test), float32; run folder {run_dir}")
    step = (start_epoch - 1) * len(train_batches)
    for epoch in range(start_epoch, config.epochs + 1):
        bar = EpochBar(epoch, config.epochs, len(train_batches), progress)
        loss_sum, correct, count, shown_at, shown_time = 0.0, 0, 0, 0, time.perf_counter()
        epoch_start = time.perf_counter()
        for i, (x, y) in enumerate(train_batches, 1):
            labels = y.numpy()
            optimizer.lr = config.lr * lr_factor(config.schedule, step, total_steps, warmup_steps)
            try:
                loss, grads = net.gradient(x.numpy(), labels, train=True)
            except NonFiniteLoss:
                bar.close()
                raise _diverged(float("nan"), f"at epoch {epoch}, batch {i}", epoch, config) from None
            optimizer.step(net.params(), grads)
            step += 1
            loss_sum += net.criterion.value * len(labels)
            correct += int((net.logits.argmax(1) == labels).sum())
            count += len(labels)
            if stop_requested():  # SIGINT/SIGTERM: stop between batches; the last epoch's checkpoint stays whole
                bar.close()
                raise interrupted(epoch, config.out)
            if bar.enabled and (i % 20 == 0 or i == len(train_batches)):
                now = time.perf_counter()
                bar.update(i - shown_at, loss_sum / count, correct / count, (i - shown_at) * config.batch_size / (now - shown_time))
                shown_at, shown_time = i, now
        seconds = time.perf_counter() - epoch_start
        bar.close()
        row = {"epoch": epoch, "train_loss": loss_sum / count, "train_accuracy": correct / count,
               "lr": config.lr * lr_factor(config.schedule, step, total_steps, warmup_steps),
               "epoch_time_s": seconds, "images_per_s": count / seconds, "images": count}
        if val_batches is not None:
            val_metrics, _ = evaluate_scratch(net, val_batches, len(classes))
            row.update(val_loss=val_metrics["loss"], val_accuracy=val_metrics["accuracy"])
        else:
            row.update(val_loss=float("nan"), val_accuracy=float("nan"))
        history.append(row)

        meta = {"model": config.model, "data": config.data, "epoch": epoch, "engine": "numpy", "config": config.to_dict()}
        if val_batches is None or row["val_accuracy"] > best["val_accuracy"]:
            best = {"epoch": epoch, "val_accuracy": row["val_accuracy"] if val_batches is not None else -1.0}
            save_scratch_weights(net, run_dir / "best.safetensors", meta)
        save_scratch_weights(net, run_dir / "last.safetensors", meta)
        save_state(_training_state(net, optimizer, generator, epoch, history, best,
                                   elapsed_before + time.perf_counter() - started, config), run_dir / "last.state.pt")
        write_metrics_csv(run_dir / "metrics.csv", history)
        log(format_epoch_line(epoch, config.epochs, row))
        if config.early_stop and epoch - best["epoch"] >= config.early_stop:
            log(f"early stop: no better validation accuracy for {config.early_stop} epochs (best: epoch {best['epoch']})")
            break

    load_scratch_weights(net, run_dir / "best.safetensors")
    test_metrics, confusion = evaluate_scratch(net, test_batches, len(classes))
    facts = {"device": "cpu", "precision": "fp32", "engine": "numpy", "blas_threads": blas_threads(), "numpy": np.__version__,
             "python": platform.python_version()}
    results = run_results(config, history, best["epoch"], len(history) < config.epochs, test_metrics,
                          elapsed_before + time.perf_counter() - started, params, facts)
    return finish_run(run_dir, results, history, torch.from_numpy(confusion), classes,
                      f"{config.model} (numpy engine) on {config.data}", log)
