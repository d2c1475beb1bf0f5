"""conv2d forward + backward in float32: cnnlab.conv (NumPy, im2col + BLAS) vs torch on the CPU.

Layer: batch 64, 32 -> 64 channels, 3x3 kernel, 32x32 input, padding 1 (a CIFAR-sized CNN layer).
Both run in this one process with the same thread count; each is timed as the median of --repeats runs,
alternating, after one warm-up. Target: NumPy within 3x of torch. Usage: python bench/conv_speed.py [--threads N].

Evidence (2026-11-25, 2-core shared VM, load average 8-10 from other jobs, torch 2.13 CPU, OpenBLAS 0.3.31):
three runs gave numpy/torch = 1.87x, 1.46x, 1.23x (numpy 0.71-0.92 s, torch 0.49-0.58 s per fwd+bwd).
Provisional: the machine was busy; rerun on an idle one. conv_backward recomputes the im2col columns
instead of caching them from the forward pass, so the NumPy side does that copy twice.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def interleaved_medians(fns, repeats: int) -> list[float]:
    """Median seconds of each function, run alternately so that load from other processes hits both alike."""
    for fn in fns:
        fn()  # warm-up: allocations, BLAS thread start, oneDNN kernel selection
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, spent in zip(fns, times):
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1), help="threads for torch")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    import numpy as np
    import torch
    import torch.nn.functional as F

    from cnnlab.conv import conv2d, conv_backward

    torch.set_num_threads(args.threads)
    n, c, o, k, size, padding = 64, 32, 64, 3, 32, 1
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    w = rng.standard_normal((o, c, k, k), dtype=np.float32) * 0.1
    b = rng.standard_normal(o, dtype=np.float32)
    delta = rng.standard_normal((n, o, size, size), dtype=np.float32)

    def numpy_step():
        conv2d(x, w, b, padding=padding)
        conv_backward(delta, x, w, padding=padding)

    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    dt = torch.from_numpy(delta)

    def torch_step():
        xt.grad = wt.grad = bt.grad = None
        F.conv2d(xt, wt, bt, padding=padding).backward(dt)

    # Same numbers first: a benchmark of a wrong result would mean nothing.
    numpy_step()
    torch_step()
    grads = conv_backward(delta, x, w, padding=padding)
    np.testing.assert_allclose(grads.weight, wt.grad.numpy(), rtol=1e-3, atol=1e-2)

    t_numpy, t_torch = interleaved_medians([numpy_step, torch_step], args.repeats)
    print(
        f"conv2d fwd+bwd float32, N={n} C={c}->{o} {k}x{k} {size}x{size} pad {padding}, "
        f"torch threads {args.threads}, median of {args.repeats}"
    )
    print(f"  cnnlab.conv (numpy): {t_numpy * 1e3:8.1f} ms")
    print(f"  torch CPU          : {t_torch * 1e3:8.1f} ms")
    print(f"  ratio numpy/torch  : {t_numpy / t_torch:8.2f}x  (target <= 3x)")


if __name__ == "__main__":
    main()
