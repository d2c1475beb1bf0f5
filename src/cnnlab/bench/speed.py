"""Training throughput: cnnlab's trainer against the plain tutorial loop, in one process.

For each model: the plain loop (cnnlab.bench.reference: DataLoader, Adam, fp32, NCHW) and the trainer
(cnnlab.train.train, in-memory uint8 batches, foreach Adam) in each of its switch settings (fp32, bf16
autocast, channels_last, torch.compile) train the same images with the same batch size for two
epochs; the second epoch's images/s counts (the first pays one-off costs: oneDNN primitive creation,
compilation). Rounds alternate reference and trainer, so load from other processes on a shared machine
hits both alike; the ratio is the median over rounds.

Achieved FLOP/s = (FLOPs of one training step per image, counted by torch.utils.flop_counter:
forward + backward) x images/s, as a fraction of the measured peak of a large matmul in the same dtype.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from cnnlab.bench.reference import tutorial_epoch, tutorial_tensors
from cnnlab.data import dataset_spec
from cnnlab.models import create_model
from cnnlab.safe_paths import check_output_file
from cnnlab.train.config import TrainConfig
from cnnlab.train.device import cpu_supports_bf16

__all__ = [
    "MODELS",
    "VARIANTS",
    "matmul_peak",
    "training_flops_per_image",
    "measure",
    "format_table",
    "machine_info",
    "add_arguments",
    "run_from_args",
]

# model -> (dataset, training images per epoch); CIFAR-shaped models run on synthetic CIFAR-shaped data
MODELS = {
    "lenet5": ("mnist", 16384),
    "keras-cnn": ("mnist", 8192),
    "resnet20": ("synthetic-cifar", 2048),
    "airbench": ("synthetic-cifar", 2048),  # the cifar10-fast net
}
# trainer switch settings: name -> TrainConfig fields
VARIANTS = {
    "fp32": dict(precision="fp32", channels_last=False),
    "bf16": dict(precision="bf16", channels_last=False),
    "bf16+cl": dict(precision="bf16", channels_last=True),
    "fp32+cl": dict(precision="fp32", channels_last=True),
    "bf16+compile": dict(precision="bf16", channels_last=False, compile=True),
}


def machine_info() -> dict:
    cpu = platform.processor()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cpu_bf16": cpu_supports_bf16(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def matmul_peak(dtype: torch.dtype, n: int = 2048, reps: int = 5, tries: int = 3) -> float:
    """FLOP/s of an n x n by n x n matmul (2 n^3 FLOPs), best of `tries` timings of `reps` products."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b
    best = 0.0
    for _ in range(tries):
        start = time.perf_counter()
        for _ in range(reps):
            a @ b
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - start))
    return best


def training_flops_per_image(model_name: str, in_shape, num_classes: int, batch: int = 8) -> float:
    """FLOPs of forward + backward of one image (convolutions and matmuls, as torch counts them)."""
    from torch.utils.flop_counter import FlopCounterMode  # imported here: `cnnlab --help` need not load it

    model = create_model(model_name, in_shape, num_classes)
    x = torch.randn(batch, *in_shape)
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(x), torch.randint(0, num_classes, (batch,))).backward()
    return counter.get_total_flops() / batch


def _reference_images_per_s(model_name: str, data: str, train_set, batch_size: int, seed: int) -> float:
    spec = dataset_spec(data)
    torch.manual_seed(seed)
    model = create_model(model_name, spec.in_shape, len(spec.classes))
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    tutorial_epoch(model, loader, optimizer)  # warm-up epoch
    _, seen, seconds = tutorial_epoch(model, loader, optimizer)
    return seen / seconds


# The reference loop and the matmul peak run on the CPU, so the trainer does too: a GPU trainer against a CPU
# reference would be no comparison. (GPU numbers: time a run with `cnnlab train --device cuda`.)
def _trainer_images_per_s(model_name: str, data: str, n: int, batch_size: int, seed: int, switches: dict) -> float:
    from cnnlab.train import train

    with tempfile.TemporaryDirectory() as tmp:
        config = TrainConfig(
            model=model_name,
            data=data,
            epochs=2,
            batch_size=batch_size,
            lr=1e-3,
            schedule="constant",
            train_size=n,
            val_size=0,
            seed=seed,
            out=f"{tmp}/run",
            device="cpu",
            **switches,
        )
        result = train(config, log=lambda line: None, progress=False)
    return result.history[-1]["images_per_s"]


@dataclass
class ModelResult:
    model: str
    data: str
    images: int
    batch_size: int
    flops_per_image: float
    reference: list[float] = field(default_factory=list)  # images/s per round
    trainer: dict[str, list[float]] = field(default_factory=dict)  # variant -> images/s per round

    def summary(self, peaks: dict[str, float]) -> dict:
        ref = statistics.median(self.reference)
        rows = {
            "reference (fp32)": {
                "images_per_s": round(ref),
                "ratio": 1.0,
                "flops_fraction": round(self.flops_per_image * ref / peaks["fp32"], 4),
            }
        }
        for variant, values in self.trainer.items():
            ratios = [t / r for t, r in zip(values, self.reference)]
            dtype = "bf16" if "bf16" in variant else "fp32"
            speed = statistics.median(values)
            rows[f"trainer {variant}"] = {
                "images_per_s": round(speed),
                "ratio": round(statistics.median(ratios), 3),
                "ratios_per_round": [round(r, 3) for r in ratios],
                "flops_fraction": round(self.flops_per_image * speed / peaks[dtype], 4),
                "peak_dtype": dtype,
            }
        return {
            "model": self.model,
            "data": self.data,
            "images_per_epoch": self.images,
            "batch_size": self.batch_size,
            "gflops_per_image": round(self.flops_per_image / 1e9, 5),
            "reference_per_round": [round(r) for r in self.reference],
            "rows": rows,
        }


def measure(
    models: list[str],
    variants: list[str],
    rounds: int = 2,
    batch_size: int = 128,
    scale: float = 1.0,
    log=print,
    peak_size: int = 2048,
) -> dict:
    """Run the comparison; returns a JSON-ready dict (machine, peaks, per-model rows)."""
    if not cpu_supports_bf16():  # everything here runs on the CPU
        variants = [v for v in variants if "bf16" not in v]
    machine = machine_info()
    log(f"machine: {machine}")
    peaks = {"fp32": matmul_peak(torch.float32, peak_size), "bf16": matmul_peak(torch.bfloat16, peak_size)}
    log(f"matmul peak: fp32 {peaks['fp32'] / 1e9:.1f} GFLOP/s, bf16 {peaks['bf16'] / 1e9:.1f} GFLOP/s")
    results = []
    for name in models:
        data, n = MODELS[name]
        n = max(batch_size * 4, int(n * scale))
        spec = dataset_spec(data)
        result = ModelResult(
            name, data, n, batch_size, training_flops_per_image(name, spec.in_shape, len(spec.classes))
        )
        train_set = tutorial_tensors(data, "train", limit=n)  # read once per model; no round changes it
        for r in range(rounds):
            result.reference.append(_reference_images_per_s(name, data, train_set, batch_size, seed=r))
            log(f"{name} round {r + 1}: reference {result.reference[-1]:,.0f} img/s")
            for variant in variants:
                speed = _trainer_images_per_s(name, data, n, batch_size, r, VARIANTS[variant])
                result.trainer.setdefault(variant, []).append(speed)
                log(f"{name} round {r + 1}: trainer {variant} {speed:,.0f} img/s ({speed / result.reference[-1]:.2f}x)")
        results.append(result.summary(peaks))
    return {
        "machine": {**machine, "load_avg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "peaks_gflops": {k: round(v / 1e9, 3) for k, v in peaks.items()},
        "rounds": rounds,
        "models": results,
    }


def format_table(report: dict) -> str:
    lines = [f"{'model':<10} {'loop':<22} {'img/s':>8} {'x ref':>6} {'of peak':>8}"]
    for m in report["models"]:
        for label, row in m["rows"].items():
            peak = f"{100 * row['flops_fraction']:.1f}% {row.get('peak_dtype', 'fp32')}"
            lines.append(f"{m['model']:<10} {label:<22} {row['images_per_s']:>8,} {row['ratio']:>5.2f}x {peak:>12}")
    peaks = report["peaks_gflops"]
    lines.append(
        f"matmul peak: fp32 {peaks['fp32']} GFLOP/s, bf16 {peaks['bf16']} GFLOP/s; "
        f"load average {report['machine']['load_avg']} -> {report['machine']['load_avg_at_end']}"
    )
    return "\n".join(lines)


def add_arguments(parser) -> None:
    """The flags of `cnnlab bench` and bench/train_speed.py (one set, so the two cannot drift apart)."""
    parser.add_argument(
        "--models", nargs="+", default=["lenet5", "keras-cnn", "resnet20", "airbench"], choices=list(MODELS)
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        default=["fp32", "bf16", "bf16+cl"],
        choices=list(VARIANTS),
        help="trainer switch settings to measure (default fp32 bf16 bf16+cl)",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating reference/trainer rounds; the median counts (default 2)"
    )
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--threads", type=int, help="intra-op threads (default: torch's, one per core); 1 is steadier on a busy machine"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply the images per epoch (default 1; 0.25 for a quick look)"
    )
    parser.add_argument("--out", help="JSON file (default bench/results/train_speed-<time>.json)")


def run_from_args(args, results_folder) -> int:
    """Measure as the parsed flags say, print the table, write the JSON report; returns the exit code."""
    from cnnlab.bench import write_report

    if args.threads:
        torch.set_num_threads(args.threads)
    check_output_file(
        Path(args.out) if args.out else Path(results_folder) / "report.json", "--out", create_parents=True
    )  # before minutes of measuring, not after
    report = measure(
        args.models,
        args.variants,
        args.rounds,
        args.batch_size,
        args.scale,
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(format_table(report))
    write_report(report, results_folder, "train_speed", args.out)
    return 0
