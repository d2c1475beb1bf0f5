"""The torch engine: one optimiser step, evaluation and the resumable state of a PyTorch model.

Fast path: bf16/fp16 autocast, channels_last, `torch.compile`, cudnn benchmark, no host synchronisation
inside a step; lookahead and an exponential moving average (EMA) of the weights; DistributedDataParallel
under torchrun (cnnlab.train.distributed). The task supplies the model's shape and the loss.
"""

from __future__ import annotations

import platform
from contextlib import contextmanager, nullcontext

import torch

from cnnlab.models import create_model
from cnnlab.train.checkpoint import load_weights, save_weights
from cnnlab.train.device import autocast_context, resolve_device
from cnnlab.train.lookahead import Lookahead
from cnnlab.train.optimizers import build_optimizer
from cnnlab.train.schedules import build_scheduler
from cnnlab.train.tta import tta_logits
from cnnlab.train.weight_average import WeightAverage

__all__ = ["TorchEngine"]


class TorchEngine:
    name = "torch"

    def device(self, config) -> torch.device:
        device = resolve_device(config.device)
        autocast_context(config.precision, device)  # an impossible precision fails here, before any file is written
        return device

    def running(self):
        return nullcontext()

    def build(self, config, task, device) -> None:
        """The model of the task's data, on the device, before anything is written."""
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels once
        in_shape, outputs, options = task.model_shape(config)
        self.config, self.task, self.device = config, task, device
        self.model = create_model(config.model, in_shape, outputs, output=task.model_output, **options).to(device)
        self.params = sum(p.numel() for p in self.model.parameters())

    def start(self, steps_per_epoch: int, dist) -> None:
        """Optimiser, schedule and weight averages, and the module that steps (DDP and/or compiled)."""
        config, model = self.config, self.model
        memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        self.model = model = model.to(memory_format=memory_format)
        self.task.init_model(model, self.device)
        trainable = [p for p in model.parameters() if p.requires_grad]  # frozen layers (whitening, BN scales) stay out
        self.optimizer = build_optimizer(config.optimizer, trainable, config.lr, config.weight_decay, config.momentum)
        self.scheduler = build_scheduler(
            config.schedule,
            self.optimizer,
            config.epochs * steps_per_epoch,
            round(config.warmup_epochs * steps_per_epoch),
        )
        self.scaler = torch.amp.GradScaler("cuda") if config.precision == "fp16" else None
        self.lookahead = Lookahead(model, config.lookahead, config.lookahead_every) if config.lookahead else None
        # EMA of the weights: training never sees it; evaluation and the saved weights do.
        self.ema = WeightAverage(model, config.ema) if config.ema else None
        self.stepper = dist.wrap(model, self.device, config.sync_bn)
        if config.compile:
            self.stepper = torch.compile(self.stepper)

    def step(self, batch):
        """One optimiser step on a batch; returns (model output, loss) without reading them on the host."""
        with autocast_context(self.config.precision, self.device):
            output = self.stepper(batch[0])
            loss = self.task.loss(output, batch)
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        self.scheduler.step()
        if self.lookahead is not None:
            self.lookahead.step()
        if self.ema is not None:
            self.ema.step()
        return output, loss

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def train_mode(self) -> None:
        self.stepper.train()

    def synchronize(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()

    def end_training(self) -> None:
        if self.lookahead is not None:
            self.lookahead.sync()  # training ends on the slow (averaged) weights

    def averaged(self):
        """Inside the block the model holds the weights that are evaluated and saved (the EMA, when on)."""
        return self.ema.swapped_in() if self.ema is not None else nullcontext()

    @contextmanager
    def evaluation(self):
        """Evaluation mode, no gradients, the run's autocast."""
        self.model.eval()
        with torch.no_grad(), autocast_context(self.config.precision, self.device):
            yield

    def evaluate_batch(self, batch, tta: int = 0):
        """(output, loss) of a batch in evaluation mode; call inside `with engine.evaluation():`."""
        output = tta_logits(self.model, batch[0], tta)
        return output, self.task.eval_loss(output, batch)

    def save_weights(self, path, metadata: dict) -> None:
        save_weights(self.model, path, metadata)

    def load_weights(self, path) -> None:
        load_weights(self.model, path, self.config.model)

    def state_dict(self) -> dict:
        state = {"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict()}
        if self.scaler is not None:
            state["scaler"] = self.scaler.state_dict()
        if self.lookahead is not None:
            state["lookahead"] = self.lookahead.state_dict()
        if self.ema is not None:  # the weights files hold the average; the trained weights are here
            state["ema"], state["trained_weights"] = self.ema.state_dict(), self.model.state_dict()
        return state

    def load_state_dict(self, state: dict, last_weights) -> None:
        if self.ema is not None and "ema" in state:
            self.ema.load_state_dict(state["ema"])
            self.model.load_state_dict(state["trained_weights"])
        else:
            self.load_weights(last_weights)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and "scaler" in state:
            self.scaler.load_state_dict(state["scaler"])
        if self.lookahead is not None and "lookahead" in state:
            self.lookahead.load_state_dict(state["lookahead"])

    def facts(self) -> dict:
        return {
            "device": str(self.device),
            "precision": self.config.precision,
            "torch": torch.__version__,
            "python": platform.python_version(),
        }
