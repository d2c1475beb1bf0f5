"""Training throughput of cnnlab's trainer against the plain PyTorch tutorial loop, in one process.

    python bench/train_speed.py                       # lenet5, keras-cnn, resnet20, airbench; fp32, bf16, bf16+cl
    python bench/train_speed.py --models lenet5 --variants fp32 bf16 --rounds 3
    python bench/train_speed.py --variants bf16 bf16+compile

Prints a table and writes bench/results/train_speed-<time>.json. Method: cnnlab.bench.speed.
"""

import argparse
import sys
from pathlib import Path

from cnnlab.bench import write_report
from cnnlab.bench.speed import MODELS, VARIANTS, format_table, measure


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["lenet5", "keras-cnn", "resnet20", "airbench"], choices=list(MODELS))
    parser.add_argument("--variants", nargs="+", default=["fp32", "bf16", "bf16+cl"], choices=list(VARIANTS))
    parser.add_argument("--rounds", type=int, default=2, help="alternating reference/trainer rounds (median is reported)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, help="intra-op threads (default: torch's, one per core); 1 is steadier on a busy machine")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the images per epoch (0.25 for a quick look)")
    parser.add_argument("--out", default=None, help="JSON file (default bench/results/train_speed-<time>.json)")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    report = measure(args.models, args.variants, args.rounds, args.batch_size, args.scale, log=lambda s: print(s, file=sys.stderr, flush=True))
    print(format_table(report))
    write_report(report, Path(__file__).parent / "results", "train_speed", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
