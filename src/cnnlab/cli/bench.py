"""`cnnlab bench`: the trainer against the plain PyTorch tutorial loop (same as bench/train_speed.py)."""

from __future__ import annotations

from pathlib import Path

from cnnlab.cli.common import add_command

EXAMPLES = """\
  cnnlab bench --variants fp32 bf16 bf16+cl fp32+cl --scale 0.5
      model      loop                      img/s  x ref  of peak
      lenet5     reference (fp32)         20,363  1.00x   21.7% fp32
      lenet5     trainer fp32             21,624  1.07x   23.0% fp32
      lenet5     trainer bf16             18,965  0.93x    5.0% bf16
      lenet5     trainer bf16+cl          27,877  1.38x    7.3% bf16
      lenet5     trainer fp32+cl          25,036  1.24x   26.7% fp32
      ...        (keras-cnn, resnet20, airbench; 2-core AMD EPYC, quiet)
  cnnlab bench --models lenet5 --variants fp32 bf16+cl --rounds 3 --threads 1
  cnnlab bench --models resnet20 airbench --variants bf16 bf16+compile --out speed.json
"""


def register(subparsers) -> None:
    from cnnlab.bench.speed import add_arguments

    p = add_command(
        subparsers,
        "bench",
        "Training images/s of cnnlab's trainer vs the plain PyTorch loop, and FLOP/s vs the matmul peak.",
        EXAMPLES,
        run,
    )
    add_arguments(p)


def run(args) -> int:
    from cnnlab.bench.speed import run_from_args

    return run_from_args(args, Path("bench/results"))
