"""Wall time from process start to a target test accuracy, for a recipe, over several seeds.

    python bench/time_to_accuracy.py --recipe mnist-fast
    python bench/time_to_accuracy.py --recipe fashion-fast --seeds 0 1 2 --reference-epochs 3
    python bench/time_to_accuracy.py --recipe mnist-fast --extra --epochs 4    # flags after --extra go to cnnlab train

Each seed runs `python -m cnnlab train --recipe NAME --seed S` as a fresh process; the clock starts just
before the process is launched (interpreter start, imports and data loading are included) and each
epoch's line, which carries the test accuracy, is time-stamped when it arrives. The time to a target
is the stamp of the first epoch line at or above it. The plain reference (python -m
cnnlab.bench.reference, the tutorial loop on the recipe's model with the recipe's model options) is
timed the same way.
Writes bench/results/time_to_accuracy-<recipe>-<time>.json.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cnnlab.bench import write_report
from cnnlab.train.recipes import RECIPES

TARGETS = {"mnist-fast": (0.990, 0.995), "fashion-fast": (0.920, 0.940), "cifar10-fast": (0.94,)}
ACCURACY = re.compile(r"test acc ([0-9.]+)%")


def timed_epochs(command: list[str]) -> tuple[list[tuple[float, float]], float, int]:
    """Run `command`; return [(seconds since launch, test accuracy)] per epoch line, total seconds, exit code."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    stamps = []
    for line in process.stdout:
        found = ACCURACY.search(line) if line.startswith("epoch ") else None
        if found:
            stamps.append((time.perf_counter() - start, float(found.group(1)) / 100))
        sys.stderr.write(f"  [{time.perf_counter() - start:6.1f} s] {line}")
    code = process.wait()
    return stamps, time.perf_counter() - start, code


def first_time_at(stamps, target: float):
    return next((t for t, accuracy in stamps if accuracy >= target), None)


def summarise(times: list) -> dict:
    reached = [t for t in times if t is not None]
    out = {"reached": f"{len(reached)}/{len(times)}", "seconds": [None if t is None else round(t, 2) for t in times]}
    if reached:
        out.update(
            mean_s=round(statistics.mean(reached), 2),
            min_s=round(min(reached), 2),
            max_s=round(max(reached), 2),
            stdev_s=round(statistics.stdev(reached), 2) if len(reached) > 1 else 0.0,
        )
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", required=True, choices=list(RECIPES))
    parser.add_argument(
        "--seeds", type=int, nargs="*", default=[0, 1, 2], help="seeds of the recipe runs (none: only the plain loop)"
    )
    parser.add_argument(
        "--reference-seeds", type=int, nargs="*", default=[0], help="seeds of the plain loop (none: skip it)"
    )
    parser.add_argument("--reference-epochs", type=int, default=3)
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="further `cnnlab train` flags")
    args = parser.parse_args(argv)
    recipe = RECIPES[args.recipe]
    targets = TARGETS[args.recipe]
    load_before = os.getloadavg()
    runs, with_tmp = [], tempfile.TemporaryDirectory()
    for seed in args.seeds:
        command = [
            sys.executable,
            "-m",
            "cnnlab",
            "train",
            "--recipe",
            args.recipe,
            "--seed",
            str(seed),
            "--out",
            f"{with_tmp.name}/seed{seed}",
            "--overwrite",
            *args.extra,
        ]
        stamps, total, code = timed_epochs(command)
        runs.append({"seed": seed, "epochs": stamps, "total_s": round(total, 2), "exit_code": code})
    reference = []
    model = recipe.settings["model"]
    for seed in args.reference_seeds:
        command = [
            sys.executable,
            "-m",
            "cnnlab.bench.reference",
            "--data",
            recipe.settings["data"],
            "--model",
            model,
            "--epochs",
            str(args.reference_epochs),
            "--seed",
            str(seed),
            *[
                f"--option={key}={','.join(map(str, v)) if isinstance(v, (list, tuple)) else v}"
                for key, v in recipe.settings.get("model_options", {}).items()
            ],
        ]
        stamps, total, code = timed_epochs(command)
        reference.append({"seed": seed, "epochs": stamps, "total_s": round(total, 2), "exit_code": code})
    report = {
        "recipe": args.recipe,
        "extra_flags": args.extra,
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "targets": {
            f"{100 * t:.1f}%": {
                "cnnlab": summarise([first_time_at(r["epochs"], t) for r in runs]),
                "reference": summarise([first_time_at(r["epochs"], t) for r in reference]) if reference else None,
            }
            for t in targets
        },
        "final_accuracy": [r["epochs"][-1][1] if r["epochs"] else None for r in runs],
        "runs": runs,
        "reference_runs": reference,
        "reference_model": model,
        "reference_epochs": args.reference_epochs,
    }
    for target, row in report["targets"].items():
        ours, ref = row["cnnlab"], row["reference"]
        line = (
            f"{args.recipe} to {target}: cnnlab {ours.get('mean_s', 'not reached')} s "
            f"(reached {ours['reached']}, {ours['seconds']})"
        )
        if ref:
            line += (
                f"; plain loop {ref.get('mean_s', 'not reached')} s "
                f"({ref['reached']} in {args.reference_epochs} epochs)"
            )
        print(line)
    print(
        f"final test accuracy per seed: {report['final_accuracy']}; "
        f"load average {report['load_avg_before']} -> {report['load_avg_after']}"
    )
    write_report(report, Path(__file__).parent / "results", f"time_to_accuracy-{args.recipe}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
