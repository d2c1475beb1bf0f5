"""cnnlab.experiments: the lectures' comparisons, reproducible with one command each.

    optimizers      SGD vs Momentum vs AdaGrad vs Adam: training-loss curves on MNIST
    init            std 0.01 vs Xavier vs He, sigmoid and ReLU: activation spread and loss
    regularization  none / weight decay / dropout / batch norm / all on 300 images: train-test gap
    activations     sigmoid vs ReLU in a deep MLP: gradient norm per layer

Each runs on the numpy engine (cnnlab.scratch) or on torch (the same network and starting weights) and
writes table.md, table.csv, curves.csv and plot.png into a run folder.
"""

from __future__ import annotations

from typing import Callable

from cnnlab.errors import CnnlabError
from cnnlab.experiments.activations import run_activations
from cnnlab.experiments.common import ExperimentResult, ExperimentSettings, write_outputs
from cnnlab.experiments.engines import ENGINES
from cnnlab.experiments.init import run_init
from cnnlab.experiments.optimizers import run_optimizers
from cnnlab.experiments.regularization import run_regularization
from cnnlab.train.config import MAX_SEED
from cnnlab.train.runs import check_run_dir

__all__ = ["EXPERIMENTS", "run_experiment", "ExperimentSettings", "ExperimentResult", "ENGINES"]

EXPERIMENTS: dict[str, Callable] = {
    "optimizers": run_optimizers,
    "init": run_init,
    "regularization": run_regularization,
    "activations": run_activations,
}


def run_experiment(settings: ExperimentSettings, overwrite: bool = False) -> ExperimentResult:
    """Run one experiment and write its run folder; the result's run_dir says where."""
    if settings.name not in EXPERIMENTS:
        raise CnnlabError(f"unknown experiment {settings.name!r}; choose one of: {', '.join(EXPERIMENTS)}")
    if settings.engine not in ENGINES:
        raise CnnlabError(f"unknown engine {settings.engine!r}; choose one of: {', '.join(ENGINES)}")
    if isinstance(settings.seed, bool) or not isinstance(settings.seed, int) or not 0 <= settings.seed <= MAX_SEED:
        raise CnnlabError(f"--seed must be a whole number from 0 to 2^63-1 ({MAX_SEED}), got {settings.seed}")
    run_dir = settings.run_dir()
    check_run_dir(run_dir, overwrite, writer="cnnlab experiment")  # before minutes of work, not after
    settings.out = str(run_dir)
    from threadpoolctl import threadpool_limits

    from cnnlab.train.numpy_engine import blas_threads

    import torch

    # Both engines get the same thread count (one by default: see blas_threads); torch's is restored after.
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(blas_threads())
    try:
        with threadpool_limits(limits=blas_threads(), user_api="blas"):
            result, plot = EXPERIMENTS[settings.name](settings)
    finally:
        torch.set_num_threads(torch_threads)
    write_outputs(settings, result, plot, overwrite)
    return result
