"""The training loop: one path from a TrainConfig to a run folder, for every task and both engines.

    config -> task = get_task(config.task)       data, batches, loss, metrics, results, plots
           -> engine = ENGINES[config.engine]    model, step, evaluation, weights and state
           -> run folder -> epochs of steps -> validation -> best/last checkpoints (atomic), metrics.csv,
              last.state.pt -> early stop / divergence stop -> the best weights on the test split
           -> results.json and plots (the task's)

A run killed at any point resumes from its last epoch checkpoint with `resume=True`: weights, optimiser,
schedule, weight averages, data order and all RNG states are restored, so on CPU the resumed run ends
with the same numbers as an uninterrupted one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from cnnlab.errors import CnnlabError
from cnnlab.train import distributed
from cnnlab.train.checkpoint import load_state, save_state
from cnnlab.train.config import TrainConfig
from cnnlab.train.interrupt import interrupted, stop_on_signals, stop_requested
from cnnlab.train.progress import EpochBar
from cnnlab.train.runs import check_run_dir, prepare_run_dir, run_folder_scope, write_json, write_metrics_csv
from cnnlab.train.tasks import Task, get_task

__all__ = ["train", "RunResult", "Run", "create_engine", "diverged"]


@dataclass
class RunResult:
    run_dir: Path
    results: dict
    history: list[dict]


@dataclass
class Run:
    """One training run as the loop, the engine and the task's end-of-run steps see it."""

    config: TrainConfig
    task: Task
    engine: object
    run_dir: Path
    device: torch.device
    dist: distributed.Distributed
    started: float
    history: list[dict] = field(default_factory=list)
    best: dict = field(default_factory=dict)
    stopped_early: bool = False
    elapsed_before: float = 0.0  # seconds of the run before a resume
    train_time_s: float = 0.0  # seconds from the start to the end of the last epoch

    @property
    def shard(self) -> tuple[int, int]:
        return (self.dist.rank, self.dist.world)

    @property
    def best_epoch(self) -> int:
        return self.best["epoch"]

    def wall_time(self) -> float:
        return self.elapsed_before + time.perf_counter() - self.started

    def facts(self) -> dict:
        facts = self.engine.facts()
        if self.dist.enabled:
            facts["processes"] = self.dist.world
        return facts


def create_engine(name: str):
    if name == "numpy":
        from cnnlab.train.numpy_engine import NumpyEngine  # scratch networks, only when asked for

        return NumpyEngine()
    from cnnlab.train.torch_engine import TorchEngine

    return TorchEngine()


def train(
    config: TrainConfig,
    resume: bool = False,
    overwrite: bool = False,
    log: Callable[[str], None] = print,
    progress: bool | None = None,
) -> RunResult:
    """Train `config.model` on `config.data` for `config.task`; returns the run folder, results and history."""
    config.validate()
    if config.out and not resume:
        check_run_dir(Path(config.out), overwrite)  # a folder that may not be replaced is refused before any work
    # SIGINT/SIGTERM stop at the next batch; the run folder stays locked until the run ends
    with stop_on_signals(enabled=not config.distributed), run_folder_scope():
        return _setup_and_train(config, resume, overwrite, log, progress)


def _setup_and_train(config, resume, overwrite, log, progress) -> RunResult:
    started = time.perf_counter()
    task = get_task(config.task)
    engine = create_engine(config.engine)
    device = engine.device(config)
    dist, device = distributed.setup(config.distributed, device, config.sync_bn)
    try:
        with engine.running():
            return _train(
                config,
                task,
                engine,
                resume,
                overwrite,
                log if dist.is_main else (lambda line: None),
                progress,
                started,
                device,
                dist,
            )
    finally:
        dist.teardown()


def _train(config, task, engine, resume, overwrite, log, progress, started, device, dist) -> RunResult:
    run_dir = dist.broadcast(Path(config.out) if config.out else task.default_run_dir(config))
    if resume and not (run_dir / "last.state.pt").is_file():
        raise CnnlabError(f"{run_dir} has no last.state.pt to resume from; start a new run instead")

    # Everything that can fail on bad input (data, model) happens before the run folder is touched.
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    task.prepare(config, device)
    engine.build(config, task, device)
    if dist.enabled and config.batch_size % dist.world:
        raise CnnlabError(
            f"--batch-size {config.batch_size} is the global batch and must divide by the {dist.world} processes"
        )
    _open_run_folder(run_dir, overwrite, resume, log, dist)  # created or emptied (not on resume) and locked
    config.out = str(run_dir)
    run = Run(config, task, engine, run_dir, device, dist, started)
    train_batches = task.train_batches(config, device, generator, run.shard)
    val_batches = task.eval_batches("val", config, device, run.shard)
    test_batches = task.eval_batches("test", config, device, run.shard) if config.test_every_epoch else None
    engine.start(len(train_batches), dist)
    run.best = {"epoch": 0, task.best_key: -math.inf if task.higher_is_better else math.inf}
    start_epoch = 1
    if resume:
        state = load_state(run_dir / "last.state.pt")
        if state.get("engine", "torch") != engine.name:
            raise CnnlabError(
                f"this run's last.state.pt was written by the {state.get('engine', 'torch')} engine; "
                f"resume it with --engine {state.get('engine', 'torch')}"
            )
        engine.load_state_dict(state, run_dir / "last.safetensors")
        _set_rng_state(state["rng"], generator)
        run.history, run.best, run.elapsed_before = state["history"], state["best"], state["elapsed_s"]
        start_epoch = state["epoch"] + 1
        train_batches.epoch = state["epoch"]
        log(f"resuming {run_dir} after epoch {state['epoch']}")
    if dist.is_main:
        config.save(run_dir / "config.json")  # on resume too: --epochs may have changed
    board = _tensorboard(config, run_dir) if dist.is_main and config.tensorboard else None

    where = f" with the {engine.name} engine" if engine.name != "torch" else ""
    log(
        f"{task.describe(config, engine.params, run_dir, where)} on {device}, {config.precision}"
        f"{', compiled' if config.compile else ''}{f', {dist.world} processes' if dist.enabled else ''}"
        f"; run folder {run_dir}"
    )
    for epoch in range(start_epoch, config.epochs + 1):
        row = _train_epoch(run, train_batches, epoch, progress)
        if epoch == config.epochs:
            engine.end_training()
        with engine.averaged():  # what is evaluated is what is saved
            row.update(_validate(run, val_batches))
            if test_batches is not None:
                row.update({f"test_{k}": v for k, v in _evaluate(run, test_batches, config.tta).items()})
            run.history.append(row)
            improved = _improved(run, row, val_batches is not None)
            if dist.is_main:  # only rank 0 writes; the others wait at the barrier for its checkpoint
                meta = {**task.checkpoint_metadata(config), "epoch": epoch, "config": config.to_dict()}
                if improved:
                    engine.save_weights(run_dir / "best.safetensors", meta)
                engine.save_weights(run_dir / "last.safetensors", meta)
        if dist.is_main:
            _save_checkpoint(run, epoch, generator)
            if board is not None:
                board.log_epoch(row, engine.model)
        dist.barrier()
        log(task.epoch_line(epoch, config.epochs, row))
        if config.early_stop and epoch - run.best_epoch >= config.early_stop:
            log(
                f"early stop: no better {task.best_label} for {config.early_stop} epochs (best: epoch {run.best_epoch})"
            )
            run.stopped_early = True
            break

    run.train_time_s = run.wall_time()
    # Test with the best weights (by the validation metric; the last ones when there is no validation set).
    engine.load_weights(run_dir / "best.safetensors")
    results, artifacts = task.test(run)
    if dist.is_main:
        if board is not None:
            board.close(results)
        task.write(run, results, artifacts, log)
    dist.barrier()  # all ranks leave the process group together, after rank 0 has written its files
    return RunResult(run_dir, results, run.history)


def _open_run_folder(run_dir: Path, overwrite: bool, resume: bool, log, dist) -> None:
    problem = None
    if dist.is_main:
        try:
            prepare_run_dir(run_dir, overwrite, resume, log)
        except CnnlabError as error:
            problem = str(error)
    problem = dist.broadcast(problem)  # every rank stops with rank 0's message instead of waiting forever
    if problem:
        raise CnnlabError(problem)


def _train_epoch(run: Run, batches, epoch: int, progress: bool | None) -> dict:
    config, engine, task = run.config, run.engine, run.task
    engine.train_mode()
    meter = task.meter()
    bar = EpochBar(epoch, config.epochs, len(batches), progress)
    # Reading a value from a GPU waits for every queued kernel. On CPU it is free, so the loss is checked
    # every step; on a GPU the loop never reads (a diverged loss shows in the epoch's sum), and a progress
    # bar on a terminal reads the running metrics every 100 steps only.
    on_cpu = run.device.type == "cpu"
    show_every = 20 if on_cpu else 100
    shown_at, shown_time = 0, time.perf_counter()
    start = time.perf_counter()
    for step, batch in enumerate(batches, 1):
        output, loss = engine.step(batch)
        if on_cpu:
            value = loss.item() if isinstance(loss, torch.Tensor) else loss
            if not math.isfinite(value):
                bar.close()
                raise diverged(value, f"at epoch {epoch}, batch {step}", epoch, config)
        meter.update(output, batch, loss)
        if stop_requested():  # SIGINT/SIGTERM: stop between batches; the last epoch's checkpoint stays whole
            bar.close()
            raise interrupted(epoch, config.out)
        if bar.enabled and (step % show_every == 0 or step == len(batches)):
            now = time.perf_counter()
            bar.bar.update(step - shown_at)
            bar.bar.set_postfix_str(
                task.progress_text(meter.result(), (step - shown_at) * config.batch_size / (now - shown_time)),
                refresh=False,
            )
            shown_at, shown_time = step, now
    engine.synchronize()
    meter.all_reduce(run.dist, run.device)
    count = meter.count
    seconds = time.perf_counter() - start
    bar.close()
    metrics = meter.result()
    if not math.isfinite(metrics["loss"]):
        raise diverged(metrics["loss"], f"in epoch {epoch}", epoch, config)
    return {
        "epoch": epoch,
        **{f"train_{k}": v for k, v in metrics.items()},
        "lr": engine.lr,
        "epoch_time_s": seconds,
        f"{task.unit}_per_s": count / max(seconds, 1e-9),
        task.unit: int(count),
    }


def _evaluate(run: Run, batches, tta: int = 0) -> dict:
    meter = run.task.evaluate(run.engine, batches, tta)
    meter.all_reduce(run.dist, run.device)
    return meter.result()


def _validate(run: Run, batches) -> dict:
    if batches is None:
        return {f"val_{k}": float("nan") for k in run.task.meter().result()}
    return {f"val_{k}": v for k, v in _evaluate(run, batches).items()}


def _improved(run: Run, row: dict, validated: bool) -> bool:
    """Whether this epoch's weights are the best so far (every epoch is, without a validation set)."""
    key = run.task.best_key
    value = row[key]
    better = value > run.best[key] if run.task.higher_is_better else value < run.best[key]
    if not validated or better:
        run.best = {"epoch": row["epoch"], key: value if validated else run.best[key]}
        return True
    return False


def _save_checkpoint(run: Run, epoch: int, generator: torch.Generator) -> None:
    state = {
        "epoch": epoch,
        "engine": run.engine.name,
        **run.engine.state_dict(),
        "rng": _rng_state(generator),
        "history": run.history,
        "best": run.best,
        "elapsed_s": run.wall_time(),
        "config": run.config.to_dict(),
    }
    save_state(state, run.run_dir / "last.state.pt")
    write_metrics_csv(run.run_dir / "metrics.csv", run.history, run.task.columns)


def _tensorboard(config: TrainConfig, run_dir: Path):
    from cnnlab.train.tensorboard_log import TensorBoardLog  # the tensorboard package only when asked for

    return TensorBoardLog(run_dir, config.to_dict())


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


def diverged(loss: float, where: str, epoch: int, config: TrainConfig) -> CnnlabError:
    advice = f"lower --lr (now {config.lr})" + (" or use --precision fp32" if config.precision != "fp32" else "")
    kept = (
        f"the last good checkpoint (epoch {epoch - 1}) is kept in {config.out}"
        if epoch > 1
        else "no epoch had finished, so no checkpoint was written"
    )
    message = f"the loss became {loss} {where}: training diverged; {advice}; {kept}"
    if config.out and Path(config.out, "config.json").is_file():  # `cnnlab runs` lists the run as diverged
        write_json(Path(config.out) / "status.json", {"status": "diverged", "epoch": epoch, "message": message})
    return CnnlabError(message)
