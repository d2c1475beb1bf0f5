"""`cnnlab bench`: the trainer against the plain PyTorch tutorial loop (same as bench/train_speed.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from cnnlab.bench import write_report
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
    from cnnlab.bench.speed import MODELS, VARIANTS

    p = add_command(subparsers, "bench", "Training images/s of cnnlab's trainer vs the plain PyTorch loop, and FLOP/s vs the matmul peak.", EXAMPLES, run)
    p.add_argument("--models", nargs="+", default=["lenet5", "keras-cnn", "resnet20", "airbench"], choices=list(MODELS))
    p.add_argument("--variants", nargs="+", default=["fp32", "bf16", "bf16+cl"], choices=list(VARIANTS),
                   help="trainer switch settings to measure (default fp32 bf16 bf16+cl)")
    p.add_argument("--rounds", type=int, default=2, help="alternating reference/trainer rounds; the median counts (default 2)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--threads", type=int, help="intra-op threads (default: torch's, one per core); 1 is steadier on a busy machine")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the images per epoch (default 1; 0.25 for a quick look)")
    p.add_argument("--out", help="JSON file (default bench/results/train_speed-<time>.json)")


def run(args) -> int:
    from cnnlab.bench.speed import format_table, measure

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    report = measure(args.models, args.variants, args.rounds, args.batch_size, args.scale, log=lambda s: print(s, file=sys.stderr, flush=True))
    print(format_table(report))
    write_report(report, Path("bench/results"), "train_speed", args.out)
    return 0
