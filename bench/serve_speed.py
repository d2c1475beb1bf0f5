"""`POST /api/runs/{id}/predict` latency: a LeNet-5 run served by `cnnlab serve` (its own process, uvicorn),
asked over loopback by one client with a kept-alive connection, one request at a time.

Each request sends a different real MNIST test image as PNG; the time is from sending the request to having
the parsed JSON answer. 200 requests after 10 warm-ups; prints the median, p90, p99 and max in ms, for the
plain answer (top classes, layer shapes) and for the page's answer with activation maps (?maps=1&centre=1).
Target: median under 50 ms for LeNet-5 on the 2-core CPU.
Usage: python bench/serve_speed.py [RUN_DIR] [--requests N] [--json]
(without RUN_DIR it trains a small LeNet-5 run first: 1 epoch on 5,000 MNIST images, in a temp folder)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def time_requests(client, url: str, bodies: list[bytes], warmup: int = 10) -> list[float]:
    for body in bodies[:warmup]:
        client.post(url, content=body).raise_for_status()
    spent = []
    for body in bodies:
        start = time.perf_counter()
        response = client.post(url, content=body)
        response.raise_for_status()
        response.json()
        spent.append(1000 * (time.perf_counter() - start))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", nargs="?", help="a LeNet-5 MNIST run folder (default: train a small one)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import httpx
    from PIL import Image

    from cnnlab.data import load_dataset

    scratch = tempfile.TemporaryDirectory(prefix="serve-bench-")
    run_dir = Path(args.run_dir) if args.run_dir else Path(scratch.name) / "lenet5"
    if not args.run_dir:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cnnlab",
                "train",
                "--data",
                "mnist",
                "--model",
                "lenet5",
                "--epochs",
                "1",
                "--train-size",
                "5000",
                "--val-size",
                "500",
                "--out",
                str(run_dir),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    test = load_dataset("mnist", "test")
    bodies = []
    for i in range(args.requests):
        buffer = io.BytesIO()
        Image.fromarray(test.images[i, 0].numpy()).save(buffer, "PNG")
        bodies.append(buffer.getvalue())

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cnnlab", "serve", str(run_dir), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=30) as client:
            for _ in range(300):
                try:
                    runs = client.get(f"{base}/api/runs").json()["runs"]
                    break
                except httpx.TransportError:
                    if server.poll() is not None:
                        raise SystemExit(f"the server stopped: {server.stderr.read()}") from None
                    time.sleep(0.2)
            run_id = runs[0]["id"]
            results = {}
            for name, query in (("plain", ""), ("maps", "?maps=1&centre=1")):
                ms = time_requests(client, f"{base}/api/runs/{run_id}/predict{query}", bodies)
                results[name] = {
                    "median_ms": round(statistics.median(ms), 2),
                    "p90_ms": round(percentile(ms, 90), 2),
                    "p99_ms": round(percentile(ms, 99), 2),
                    "max_ms": round(max(ms), 2),
                    "requests": len(ms),
                }
    finally:
        server.terminate()
        server.wait(timeout=20)
        scratch.cleanup()
    report = {
        "model": runs[0]["model"],
        "data": runs[0]["data"],
        "load_average": list(os.getloadavg()),
        "cpus": os.cpu_count(),
        **results,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{report['model']} on {report['data']}, {args.requests} requests over loopback, "
        f"load average {report['load_average'][0]:.1f} on {report['cpus']} CPUs"
    )
    for name, r in results.items():
        print(
            f"  {name:5s}  median {r['median_ms']:.1f} ms  p90 {r['p90_ms']:.1f}  p99 {r['p99_ms']:.1f}  "
            f"max {r['max_ms']:.1f}   (target: median < 50 ms)"
        )


if __name__ == "__main__":
    main()
