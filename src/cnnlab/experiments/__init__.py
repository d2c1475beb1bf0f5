"""cnnlab.experiments: the lectures' comparisons, reproducible with one command each.

    optimizers      SGD vs Momentum vs AdaGrad vs Adam: training-loss curves on MNIST
    init            std 0.01 vs Xavier vs He, sigmoid and ReLU: activation spread and loss
    regularization  none / weight decay / dropout / batch norm / all on 300 images: train-test gap
    activations     sigmoid vs ReLU in a deep MLP: gradient norm per layer; a ReLU vs a sigmoid CNN: epochs to a
                    target training error
    mlp-vs-cnn      MLPs vs CNNs on the same budget, on original and on pixel-permuted images
    features        logistic regression on pixels, HoG and CNN features; t-SNE of each
    depth           plain20/56 vs resnet20/56: training and test error per epoch (degradation)
    kernels         one 7x7 conv vs three 3x3: parameters, multiply-adds, receptive field, accuracy
    invariance      accuracy on shifted images (MLP, CNN without / with pooling); equivariance error

The first four run on the numpy engine (cnnlab.scratch) or on torch (the same network and starting weights);
the lectures' claims (the last five, and the CNN part of activations) train zoo models with cnnlab.train.
Each writes table.md, table.csv, curves.csv and plot.png into a run folder, the claims also results.json.
"""

from __future__ import annotations

from typing import Callable

from cnnlab.errors import CnnlabError
from cnnlab.experiments.activations import run_activations
from cnnlab.experiments.common import ExperimentResult, ExperimentSettings, write_outputs
from cnnlab.experiments.depth import run_depth
from cnnlab.experiments.engines import ENGINES
from cnnlab.experiments.features import check_features, run_features
from cnnlab.experiments.init import run_init
from cnnlab.experiments.invariance import run_invariance
from cnnlab.experiments.kernels import run_kernels
from cnnlab.experiments.mlp_vs_cnn import check_mlp_vs_cnn, run_mlp_vs_cnn
from cnnlab.experiments.optimizers import run_optimizers
from cnnlab.experiments.regularization import run_regularization
from cnnlab.train.config import MAX_SEED
from cnnlab.train.runs import check_run_dir, claim_run_dir

__all__ = ["EXPERIMENTS", "DEFAULT_DATA", "run_experiment", "ExperimentSettings", "ExperimentResult", "ENGINES"]

EXPERIMENTS: dict[str, Callable] = {
    "optimizers": run_optimizers,
    "init": run_init,
    "regularization": run_regularization,
    "activations": run_activations,
    "mlp-vs-cnn": run_mlp_vs_cnn,
    "depth": run_depth,
    "kernels": run_kernels,
    "invariance": run_invariance,
    "features": run_features,
}
DEFAULT_DATA = {"depth": "fashion-mnist"}  # where the default differs from mnist

# name -> check(settings): raises CnnlabError for a dataset or option the experiment cannot use
CHECKS: dict[str, Callable] = {"mlp-vs-cnn": check_mlp_vs_cnn, "features": check_features}


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
    from cnnlab.data import dataset_spec

    dataset_spec(settings.data)  # an unknown or non-image dataset is refused here, before any folder is made
    check = CHECKS.get(settings.name)
    if check is not None:
        check(settings)  # refuses data or options the experiment cannot use, before any folder is made
    # the trained models' run folders go inside it; a failed experiment removes what it wrote
    with claim_run_dir(run_dir, overwrite, writer="cnnlab experiment"):
        result = _run_with_threads(settings)
        write_outputs(settings, result[0], result[1], prepared=True)
    return result[0]


def _run_with_threads(settings: ExperimentSettings):
    import torch
    from threadpoolctl import threadpool_limits

    from cnnlab.train.numpy_engine import blas_threads

    # Both engines get the same thread count (one by default: see blas_threads); torch's is restored after.
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(blas_threads())
    try:
        with threadpool_limits(limits=blas_threads(), user_api="blas"):
            return EXPERIMENTS[settings.name](settings)
    finally:
        torch.set_num_threads(torch_threads)
