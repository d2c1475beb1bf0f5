"""`cnnlab train`: flags -> TrainConfig -> cnnlab.train.train."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from cnnlab.cli.common import add_command, print_json
from cnnlab.cli.geo_options import GEO_EXAMPLES, add_geo_arguments, geo_fields_from_args
from cnnlab.cli.options import parse_options
from cnnlab.errors import CnnlabError
from cnnlab.train import OPTIMIZERS, PRECISIONS, SCHEDULES, TrainConfig, train
from cnnlab.train.config import DEFAULT_LR, ENGINES, resume_config
from cnnlab.train.recipes import list_recipes, recipe_config

EXAMPLES = """\
  cnnlab train --data mnist --model lenet5
      epoch 6/6  train loss 0.0089 acc 99.74%  val loss 0.0295 acc 98.98%  2.2 s  24,679 img/s
      test accuracy 99.32%  loss 0.0221  (14.0 s, 26,802 img/s)  -> runs/mnist-lenet5-<time>
  cnnlab train --data mnist --model keras-cnn --epochs 5
  cnnlab train --data fashion-mnist --model lenet5 --out runs/fashion
  cnnlab train --data synthetic-cifar --model resnet20 --epochs 2 --lr 0.01
  cnnlab train --data mnist --model mlp --option hidden=256,128 --option activation=relu
  cnnlab train --data folder:~/pets --model resnet20 --image-size 64x64   # your images: pets/<class>/*.jpg
  cnnlab train --data csv:train.csv --model lenet5   # Kaggle layout: label,pixel0..pixel783 (--image-shape 1x28x28)
  cnnlab train --resume runs/fashion          # continue a killed run where it stopped
  cnnlab train --engine numpy --model simple-convnet --data mnist   # the NumPy twin (cnnlab.scratch)
      epoch 6/6  train loss 0.0039 acc 99.93%  val loss 0.0388 acc 98.80%  37.9 s  1,448 img/s
      test accuracy 99.02%  loss 0.0337  (236.1 s, 1,487 img/s)  -> runs/mnist-simple-convnet-20261125-124700
  cnnlab train --recipe mnist-fast            # preset: aims at 99.5% MNIST test accuracy (see docs/speed.md)
  cnnlab train --recipe fashion-fast --epochs 4 --seed 1   # flags override the recipe's values
  cnnlab train --recipe cifar10-fast --compile             # airbench-class CIFAR-10 (needs the CIFAR-10 files)
  torchrun --nproc_per_node=2 -m cnnlab train --data mnist --model lenet5 --distributed --out runs/ddp
"""

# flag name -> TrainConfig field, for flags that map one to one
_FIELDS = [
    "data",
    "model",
    "epochs",
    "batch_size",
    "lr",
    "optimizer",
    "schedule",
    "warmup_epochs",
    "weight_decay",
    "momentum",
    "label_smoothing",
    "translate",
    "hflip",
    "val_size",
    "train_size",
    "early_stop",
    "precision",
    "device",
    "channels_last",
    "seed",
    "out",
    "data_dir",
    "engine",
    "compile",
    "test_every_epoch",
    "alternating_flip",
    "lookahead",
    "lookahead_every",
    "ema",
    "tta",
    "distributed",
    "sync_bn",
    "tensorboard",
]


def register(subparsers) -> None:
    p = add_command(
        subparsers, "train", "Train a model on a dataset; writes a run folder.", EXAMPLES + GEO_EXAMPLES, run
    )
    defaults = TrainConfig()
    p.add_argument(
        "--data",
        help=f"dataset name (default {defaults.data}; see `cnnlab datasets`), or your own images: "
        "folder:PATH (one sub-folder per class; train/ and test/ when split) or csv:FILE (label + pixel columns)",
    )
    p.add_argument(
        "--image-size",
        metavar="HxW",
        help="folder: data: resize every image to this size (default: the most common size)",
    )
    p.add_argument(
        "--image-shape",
        metavar="CxHxW",
        help="csv: data: the shape of the pixel columns (default 1xSxS for S*S columns)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="folder: data: refuse files that cannot be decoded instead of skipping them",
    )
    p.add_argument("--model", help=f"model name (default {defaults.model}); see `cnnlab models`")
    p.add_argument(
        "--engine",
        choices=ENGINES,
        help=(
            "torch, or numpy: the from-scratch twin (two-layer-net, mlp, simple-convnet, deep-convnet) (default torch)"
        ),
    )
    p.add_argument(
        "--option",
        action="append",
        metavar="KEY=VALUE",
        help="model option, e.g. dropout=0.5 or hidden=256,128 (repeatable)",
    )
    p.add_argument("--epochs", type=int, help=f"passes over the training set (default {defaults.epochs})")
    p.add_argument("--batch-size", type=int, help=f"images per step (default {defaults.batch_size})")
    p.add_argument(
        "--lr",
        type=float,
        help=f"peak learning rate (default: the model's suggestion in `cnnlab models`, else {DEFAULT_LR})",
    )
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=f"(default {defaults.optimizer})")
    p.add_argument(
        "--schedule", choices=SCHEDULES, help=f"learning-rate schedule, per batch (default {defaults.schedule})"
    )
    p.add_argument("--warmup-epochs", type=float, help="linear warm-up before the schedule, in epochs (default 0)")
    p.add_argument("--weight-decay", type=float, help="L2 penalty on weights, not biases/BN (default 0)")
    p.add_argument("--momentum", type=float, help=f"for momentum/nesterov/rmsprop (default {defaults.momentum})")
    p.add_argument("--label-smoothing", type=float, help="cross-entropy label smoothing (default 0)")
    p.add_argument(
        "--translate", type=int, metavar="PIXELS", help="random shifts of up to this many pixels (default 0)"
    )
    p.add_argument(
        "--hflip",
        action=argparse.BooleanOptionalAction,
        help="random horizontal flips (default: where the dataset allows)",
    )
    p.add_argument(
        "--val-size", type=int, help=f"training images held out for validation (default {defaults.val_size})"
    )
    p.add_argument("--train-size", type=int, help="use only the first N training images (default: all)")
    p.add_argument(
        "--early-stop", type=int, metavar="EPOCHS", help="stop after this many epochs without improvement (default off)"
    )
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        help=(
            "auto, fp32, bf16 (CPU with native bf16, or GPU), fp16 (GPU) "
            "(default auto: bf16 where the hardware has it natively, else fp32)"
        ),
    )
    p.add_argument("--device", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N, mps (default auto)")
    p.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        help="NHWC memory format (default: on for the torch image trainer; --no-channels-last turns it off)",
    )
    p.add_argument("--seed", type=int, help="seed of weights, data order and augmentation (default 0)")
    p.add_argument("--out", help="run folder (default runs/<data>-<model>-<time>)")
    p.add_argument("--data-dir", help="data root (default $CNNLAB_DATA, else ~/.cache/cnnlab)")
    p.add_argument(
        "--recipe",
        help=f"preset of model, schedule, augmentation and speed switches: {', '.join(list_recipes())}; "
        "flags given with it override its values",
    )
    p.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        help="torch.compile the model (default off; costs a compile at start)",
    )
    p.add_argument(
        "--test-every-epoch", action=argparse.BooleanOptionalAction, help="evaluate the test set after every epoch"
    )
    p.add_argument(
        "--alternating-flip",
        action=argparse.BooleanOptionalAction,
        help="with --hflip: mirror each image every other epoch",
    )
    p.add_argument(
        "--lookahead",
        type=float,
        metavar="DECAY",
        help="lookahead: slow <- d*slow + (1-d)*fast every few steps, fast <- slow (default 0 = off)",
    )
    p.add_argument(
        "--ema",
        type=float,
        metavar="DECAY",
        help=(
            "evaluate and save an exponential moving average of the weights with this decay per step, "
            "e.g. 0.99 (default 0 = off)"
        ),
    )
    p.add_argument("--lookahead-every", type=int, metavar="STEPS", help="steps between lookahead updates (default 5)")
    p.add_argument(
        "--tta",
        type=int,
        choices=(0, 1, 2),
        help="test-time augmentation: 0 none, 1 mirror, 2 mirror + 1-pixel shifts (default 0)",
    )
    p.add_argument(
        "--distributed",
        action=argparse.BooleanOptionalAction,
        help="DistributedDataParallel over the processes torchrun started",
    )
    p.add_argument(
        "--sync-bn",
        action=argparse.BooleanOptionalAction,
        help="with --distributed: SyncBatchNorm (statistics over the global batch)",
    )
    p.add_argument(
        "--tensorboard",
        action=argparse.BooleanOptionalAction,
        help="log scalars, first-layer filters and hyperparameters to RUN_DIR/tb/ (tensorboard --logdir runs)",
    )
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    p.add_argument("--json", action="store_true", help="print results.json to stdout (progress goes to stderr)")
    p.add_argument(
        "--report",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write report.html at the end (default on; --no-report skips it; `cnnlab report` writes it later)",
    )
    add_geo_arguments(p)


def config_from_args(args) -> TrainConfig:
    given = {name: getattr(args, name) for name in _FIELDS if getattr(args, name) is not None}
    own = own_data_from_args(args)
    if own:
        given["data"] = own
    if args.option:
        given["model_options"] = parse_options(args.option)
    given.update(geo_fields_from_args(args))
    _refuse_flag_conflicts(args, given)
    if args.resume:
        return resume_config(args.resume, given)
    if args.recipe:
        return recipe_config(args.recipe, given)
    return TrainConfig(**given).validate()


def own_data_from_args(args) -> str | None:
    """--data folder:PATH / csv:FILE with --image-size, --image-shape, --strict -> the canonical data name."""
    from cnnlab.data.own_data import is_own_data, own_data_name, parse_own_data

    options = {"--image-size": args.image_size, "--image-shape": args.image_shape, "--strict": args.strict}
    used = [flag for flag, value in options.items() if value]
    if not (args.data and is_own_data(args.data)):
        if used:
            raise CnnlabError(
                f"{used[0]} is for your own data (--data folder:PATH or csv:FILE), "
                f"not for --data {args.data or 'mnist'}"
            )
        return None
    query = "&".join(
        part
        for part in [
            f"size={args.image_size}" if args.image_size else "",
            f"shape={args.image_shape}" if args.image_shape else "",
            "strict" if args.strict else "",
        ]
        if part
    )
    base = args.data if not query else args.data + ("&" if "?" in args.data else "?") + query
    return own_data_name(parse_own_data(base))


def _refuse_flag_conflicts(args, given: dict) -> None:
    """Flags that would be ignored, or mean nothing, together: refused instead of silently dropped."""
    if args.resume and (args.recipe or args.overwrite):
        flag = "--recipe" if args.recipe else "--overwrite"
        raise CnnlabError(
            f"--resume continues a run with its saved settings; {flag} cannot apply to it: drop {flag} "
            f"(or start a new run without --resume)"
        )
    if args.train_size == 0:
        raise CnnlabError(
            "--train-size 0 would train on no images; give a number of images, or leave the flag out "
            "to use the whole training set"
        )
    task = given.get("task", "classify")
    if task == "classify" and not args.resume:
        geo_flags = [f"--{name.replace('_', '-')}" for name in ("lead", "history") if name in given]
        flag_of = {"variables": "variable", "levels": "level"}
        geo_flags += [f"--{flag_of.get(name, name).replace('_', '-')}" for name in given.get("geo", {})]
        if geo_flags:
            raise CnnlabError(
                f"{geo_flags[0]} is a flag of the gridded tasks and does nothing for image "
                f"classification; drop it, or give --task forecast|detect|segment"
            )


def run(args) -> int:
    from cnnlab.geo.tasks import check_task_fits_data  # registers the gridded tasks, too

    config = config_from_args(args)
    check_task_fits_data(config.task, config.data)
    log = (
        (lambda line: print(line, file=sys.stderr, flush=True)) if args.json else (lambda line: print(line, flush=True))
    )
    result = train(config, resume=bool(args.resume), overwrite=args.overwrite, log=log)
    if args.report and os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 alone writes
        write_run_report(result.run_dir, log)
    if args.json:
        print_json({**result.results, "run_dir": str(result.run_dir)})
    return 0


def write_run_report(run_dir: Path, log) -> None:
    """report.html of the finished run; a missing optional library skips it with a line saying what to install."""
    from cnnlab.report import MissingExtra, write_report

    started = time.perf_counter()
    try:
        path = write_report(run_dir)
    except MissingExtra as missing:
        log(f"report skipped: {missing}")
        return
    log(f"report -> {path}  ({time.perf_counter() - started:.1f} s)")
