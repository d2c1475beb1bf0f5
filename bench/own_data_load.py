"""`folder:` loading of all 70,000 MNIST images written out as PNG files (train/<digit>/*.png, test/<digit>/*.png):
the first load (list, decode, cache) and the load from the cache, each in a fresh process with a private cache.

Each load runs `load_own_data` in its own Python process (as a second `cnnlab train` would); the times are taken
inside that process around the call (torch already imported), wall clock and the process's CPU time (all its
threads and child processes). The load average is printed beside them: on the shared 2-core machine it says how
much of the cores the process had. Limits: 60 s for the first load, 3 s from the cache.
Usage: python bench/own_data_load.py [PNG_FOLDER] [--repeat N] [--json]
(PNG_FOLDER defaults to /tmp/mnist-png-70k; it is written once from the real MNIST files if it is absent)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE_LOAD = """
import json, os, resource, sys, time
import torch  # imported before the clock starts: every cnnlab command has it loaded already
from cnnlab.data.own_data import load_own_data

def cpu():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

load_before, wall, cpu_before = os.getloadavg()[0], time.perf_counter(), cpu()
data = load_own_data(sys.argv[1])
seconds = {"wall_s": time.perf_counter() - wall, "cpu_s": cpu() - cpu_before}
print(json.dumps({**seconds, "load_before": load_before, "load_after": os.getloadavg()[0],
                  "train": len(data.train_labels), "test": len(data.test_labels), "mean": data.mean, "std": data.std}))
"""


def write_png_folder(root: Path, data_dir: str | None) -> None:
    """MNIST's 60,000 training and 10,000 test images as root/{train,test}/<digit>/<index>.png (once)."""
    from PIL import Image

    from cnnlab.data import load_dataset

    partial = root.with_name(root.name + ".partial")
    for split in ("train", "test"):
        data = load_dataset("mnist", split, data_dir)
        for i, (image, label) in enumerate(zip(data.images.numpy(), data.labels.numpy())):
            path = partial / split / str(label) / f"{i:05d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image[0]).save(path)
    partial.rename(root)  # a folder cut short is never taken for the whole set


def timed_load(name: str, cache: Path) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    done = subprocess.run([sys.executable, "-c", ONE_LOAD, name], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", default="/tmp/mnist-png-70k")
    parser.add_argument("--repeat", type=int, default=1, help="first-load/cache pairs to time (default 1)")
    parser.add_argument("--data-dir", default=None, help="where the MNIST files are (default $CNNLAB_DATA)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    root = Path(args.folder)
    if not root.is_dir():
        started = time.perf_counter()
        write_png_folder(root, args.data_dir)
        print(f"wrote 70,000 PNG files to {root} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    pairs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="cnnlab-bench-cache-") as cache:
            first = timed_load(f"folder:{root}", Path(cache))
            cached = timed_load(f"folder:{root}", Path(cache))
        pairs.append({"first": first, "cache": cached})
    result = {"folder": str(root), "cpus": os.cpu_count(), "limits_s": {"first": 60, "cache": 3}, "loads": pairs}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for pair in pairs:
        for what, r in pair.items():
            print(
                f"{what:5s}: {r['wall_s']:6.1f} s wall, {r['cpu_s']:5.1f} s CPU  (load {r['load_before']:.1f} -> "
                f"{r['load_after']:.1f}; {r['train']:,} train / {r['test']:,} test, "
                f"mean {r['mean']}, std {r['std']})"
            )


if __name__ == "__main__":
    main()
