"""The numpy engine: `cnnlab train --engine numpy` trains the cnnlab.scratch twin of a registered model.

It plugs into the same loop as the torch engine (cnnlab.train.loop): same datasets, TrainConfig,
batches, schedule, progress bar, run folder, metrics.csv, results.json, plots, checkpoint format and
--resume (optimiser state, data order and dropout RNG in last.state.pt); only the forward/backward/step
is NumPy (float32, im2col convolutions). The safetensors files hold the torch twin's state_dict keys, so
`cnnlab eval` and `cnnlab predict` load a numpy run into the torch model, and
`load_scratch_weights` loads any torch checkpoint of the model into its scratch network.
"""

from __future__ import annotations

import json
import os
import platform
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file
from threadpoolctl import threadpool_limits

from cnnlab.errors import CnnlabError
from cnnlab.files import atomic_write
from cnnlab.models import create_model
from cnnlab.scratch import Network, SoftmaxCrossEntropy, build_scratch_optimizer, create_scratch_model
from cnnlab.scratch.loss import NonFiniteLoss
from cnnlab.train.checkpoint import read_safetensors
from cnnlab.train.config import TrainConfig
from cnnlab.train.runs import open_run
from cnnlab.train.schedules import lr_factor
from cnnlab.train.tasks import get_task

__all__ = [
    "NumpyEngine",
    "blas_threads",
    "build_scratch_for",
    "save_scratch_weights",
    "load_scratch_weights",
    "load_run_scratch_model",
]


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
    in_shape, classes, options = get_task(config.task).model_shape(config)
    create_model(config.model, in_shape, classes, output="classes", **options)
    net = create_scratch_model(
        config.model, in_shape, classes, seed=config.seed, dtype=dtype, weight_decay=config.weight_decay, **options
    )
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
        raise CnnlabError(
            f"checkpoint {path} was written for {metadata.get('model', 'another model')}: {error}"
        ) from None
    return metadata


def load_run_scratch_model(run_dir: Path, which: str = "best", dtype=np.float32) -> tuple[Network, TrainConfig]:
    """The scratch network of a run folder (trained by either engine) with its best (or last) weights."""
    config, weights = open_run(run_dir, which)
    net = build_scratch_for(config, dtype)
    load_scratch_weights(net, weights)
    return net, config


def _dropout_generators(net: Network) -> list[np.random.Generator]:
    """The distinct random generators of the network's dropout layers (their state is part of a resumable run)."""
    found: list[np.random.Generator] = []
    for layer in net.layers:
        rng = getattr(layer, "rng", None)
        if rng is not None and all(rng is not g for g in found):
            found.append(rng)
    return found


class NumpyEngine:
    name = "numpy"

    def device(self, config) -> torch.device:
        build_scratch_optimizer(config.optimizer, config.lr, config.momentum)  # adamw and friends fail here
        return torch.device("cpu")  # the config refused other devices and precisions

    def running(self):
        return threadpool_limits(limits=blas_threads(), user_api="blas")

    def build(self, config, task, device) -> None:
        if "numpy" not in task.engines:
            raise CnnlabError(
                f"--engine numpy trains image classifiers only; use --engine torch for --task {config.task}"
            )
        self.config = config
        self.net = build_scratch_for(config)
        self.params = self.net.num_params()

    def start(self, steps_per_epoch: int, dist) -> None:
        config = self.config
        self.optimizer = build_scratch_optimizer(config.optimizer, config.lr, config.momentum)
        self.total_steps = config.epochs * steps_per_epoch
        self.warmup_steps = round(config.warmup_epochs * steps_per_epoch)
        self.steps = 0

    def _lr_at(self, step: int) -> float:
        return self.config.lr * lr_factor(self.config.schedule, step, self.total_steps, self.warmup_steps)

    def step(self, batch):
        """One step; returns (logits as a torch view, loss as a float; nan when the loss overflowed)."""
        x, y = batch
        self.optimizer.lr = self._lr_at(self.steps)
        try:
            loss, grads = self.net.gradient(x.numpy(), y.numpy(), train=True)
        except NonFiniteLoss:
            return None, float("nan")
        self.optimizer.step(self.net.params(), grads)
        self.steps += 1
        return torch.from_numpy(self.net.logits), self.net.criterion.value

    @property
    def lr(self) -> float:
        return self._lr_at(self.steps)

    def train_mode(self) -> None:
        pass  # the scratch layers take train=True per call

    def synchronize(self) -> None:
        pass

    def end_training(self) -> None:
        pass

    def averaged(self):
        return nullcontext()

    def evaluation(self):
        return nullcontext()

    def evaluate_batch(self, batch, tta: int = 0):
        """(logits, plain cross-entropy) of a batch in evaluation mode."""
        x, y = batch
        logits = self.net.forward(x.numpy(), train=False)
        return torch.from_numpy(logits), SoftmaxCrossEntropy().forward(logits, y.numpy())

    def save_weights(self, path, metadata: dict) -> None:
        save_scratch_weights(self.net, path, {**metadata, "engine": "numpy"})

    def load_weights(self, path) -> None:
        load_scratch_weights(self.net, path)

    def state_dict(self) -> dict:
        """What --resume needs beyond the weights, as torch.load(weights_only=True) can read it back."""
        opt = self.optimizer.state_dict()
        opt["state"] = {
            k: {n: (torch.from_numpy(v) if isinstance(v, np.ndarray) else v) for n, v in s.items()}
            for k, s in opt["state"].items()
        }
        return {
            "optimizer": opt,
            "steps": self.steps,
            "dropout": [json.dumps(g.bit_generator.state) for g in _dropout_generators(self.net)],
        }

    def load_state_dict(self, state: dict, last_weights) -> None:
        self.load_weights(last_weights)
        opt = state["optimizer"]
        opt["state"] = {
            k: {n: (v.numpy() if isinstance(v, torch.Tensor) else v) for n, v in s.items()}
            for k, s in opt["state"].items()
        }
        self.optimizer.load_state_dict(opt)
        self.steps = state["steps"]
        for g, saved in zip(_dropout_generators(self.net), state["dropout"]):
            g.bit_generator.state = json.loads(saved)

    def facts(self) -> dict:
        return {
            "device": "cpu",
            "precision": "fp32",
            "engine": "numpy",
            "blas_threads": blas_threads(),
            "numpy": np.__version__,
            "python": platform.python_version(),
        }
