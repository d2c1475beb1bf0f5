"""cnnlab.train: TrainConfig, the training loop, optimisers, schedules, checkpoints and metrics."""

from cnnlab.train.config import OPTIMIZERS, PRECISIONS, SCHEDULES, TrainConfig
from cnnlab.train.trainer import RunResult, evaluate, load_run_model, train

__all__ = ["TrainConfig", "train", "evaluate", "load_run_model", "RunResult", "OPTIMIZERS", "SCHEDULES", "PRECISIONS"]
