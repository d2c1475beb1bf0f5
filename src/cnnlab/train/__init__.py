"""cnnlab.train: TrainConfig, the one training loop, its tasks and engines, optimisers, schedules, checkpoints."""

from cnnlab.train.classify import evaluate, load_run_model
from cnnlab.train.config import OPTIMIZERS, PRECISIONS, SCHEDULES, TrainConfig
from cnnlab.train.evaluation import evaluate_run
from cnnlab.train.loop import RunResult, train
from cnnlab.train.tasks import Task, get_task, list_tasks, register_task

__all__ = [
    "TrainConfig",
    "train",
    "evaluate",
    "evaluate_run",
    "load_run_model",
    "RunResult",
    "Task",
    "register_task",
    "get_task",
    "list_tasks",
    "OPTIMIZERS",
    "SCHEDULES",
    "PRECISIONS",
]
