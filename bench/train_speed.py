"""Training throughput of cnnlab's trainer against the plain PyTorch tutorial loop, in one process.

    python bench/train_speed.py                       # lenet5, keras-cnn, resnet20, airbench; fp32, bf16, bf16+cl
    python bench/train_speed.py --models lenet5 --variants fp32 bf16 --rounds 3
    python bench/train_speed.py --variants bf16 bf16+compile

Prints a table and writes bench/results/train_speed-<time>.json. Method: cnnlab.bench.speed.
"""

import argparse
from pathlib import Path

from cnnlab.bench.speed import add_arguments, run_from_args


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv), Path(__file__).parent / "results")


if __name__ == "__main__":
    raise SystemExit(main())
