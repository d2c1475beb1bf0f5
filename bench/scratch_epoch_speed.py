"""One training epoch of SimpleConvNet: the numpy engine (cnnlab.scratch) vs its torch twin, in one process.

Both train the same network (conv 5x5x30 - ReLU - maxpool 2 - fc 100 - ReLU - fc 10, 433,890 parameters)
with Adam on the same MNIST batches (128 images, normalised as the trainer does), in float32, with the
same thread count (numpy: OpenBLAS via threadpoolctl; torch: set_num_threads). The epochs alternate
(numpy, torch, numpy, torch, ...) so load from other processes hits both alike; the median of --repeats
epochs is reported. Target: numpy within 4x of torch.
Usage: CNNLAB_DATA=/work/shared/data python bench/scratch_epoch_speed.py [--threads 1] [--repeats 3] [--images 55000]

Evidence (2026-11-25, 2-core AMD EPYC VM shared with other jobs, torch 2.13.0 CPU, numpy 2.4.6 / OpenBLAS 0.3.31):
  --threads 1: numpy 11.37 s vs torch 10.78 s per epoch of 54,912 images, numpy/torch = 1.06x (median of 3, load 4.0)
  --threads 2: numpy 89.75 s vs torch 71.10 s, 1.26x (1 epoch each, load 5.6): a second thread on busy cores
  makes both several times slower, which is why the numpy engine defaults to one BLAS thread.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for numpy and torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="epochs per engine (default 3); the median counts")
    parser.add_argument(
        "--images", type=int, default=55000, help="training images per epoch (default 55,000: MNIST less validation)"
    )
    parser.add_argument("--data", default="mnist", help="mnist, or synthetic-mnist where MNIST is absent")
    args = parser.parse_args()

    import numpy as np
    import torch
    import torch.nn.functional as F
    from threadpoolctl import threadpool_limits

    from cnnlab.data import Batches, Normalise, dataset_spec, load_dataset
    from cnnlab.models import create_model
    from cnnlab.scratch import Adam, create_scratch_model

    torch.set_num_threads(args.threads)
    spec = dataset_spec(args.data)
    data = load_dataset(args.data, "train").take(args.images)
    batches = Batches(
        data,
        128,
        Normalise(spec.mean, spec.std),
        torch.device("cpu"),
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
        drop_last=True,
    )
    # the batches are made once, so that both engines time only their training steps
    epoch = [(x, y, x.numpy(), y.numpy()) for x, y in batches]

    net = create_scratch_model("simple-convnet", spec.in_shape, len(spec.classes))
    scratch_adam = Adam(1e-3)
    model = create_model("simple-convnet", spec.in_shape, len(spec.classes))
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in net.state_dict().items()})
    torch_adam = torch.optim.Adam(model.parameters(), 1e-3)

    def numpy_epoch() -> float:
        with threadpool_limits(limits=args.threads, user_api="blas"):
            for _, _, x, y in epoch:
                _, grads = net.gradient(x, y, train=True)
                scratch_adam.step(net.params(), grads)
        return net.criterion.value

    def torch_epoch() -> float:
        model.train()
        for x, y, _, _ in epoch:
            torch_adam.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            torch_adam.step()
        return loss.item()

    times: dict[str, list[float]] = {"numpy": [], "torch": []}
    for _ in range(args.repeats):
        for name, run in (("numpy", numpy_epoch), ("torch", torch_epoch)):
            start = time.perf_counter()
            last_loss = run()
            times[name].append(time.perf_counter() - start)
            print(f"  {name:<5} epoch {times[name][-1]:6.2f} s  last loss {last_loss:.4f}", flush=True)
    numpy_s, torch_s = statistics.median(times["numpy"]), statistics.median(times["torch"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"SimpleConvNet, one epoch of {len(epoch) * 128:,} {args.data} images, batch 128, {args.threads} thread(s), "
        f"median of {args.repeats}; load average {load:.1f}"
    )
    print(
        f"numpy {numpy_s:.2f} s ({len(epoch) * 128 / numpy_s:,.0f} img/s)   torch {torch_s:.2f} s "
        f"({len(epoch) * 128 / torch_s:,.0f} img/s)   numpy/torch = {numpy_s / torch_s:.2f}x   "
        f"(torch {torch.__version__}, numpy {np.__version__})"
    )


if __name__ == "__main__":
    main()
