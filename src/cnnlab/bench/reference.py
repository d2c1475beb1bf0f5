"""The plain reference: a training loop written the way the PyTorch tutorials write it.

TensorDataset + DataLoader(shuffle=True) over float tensors normalised once, Adam with its defaults,
fp32, the default memory format, `loss.item()` summed for the running loss. Nothing here is tuned:
it is the yardstick `cnnlab bench` measures the trainer against.

    python -m cnnlab.bench.reference --data mnist --model fast-cnn --epochs 3   # prints test accuracy per epoch
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from cnnlab.data import dataset_spec, load_dataset
from cnnlab.models import create_model

__all__ = ["tutorial_tensors", "tutorial_epoch", "tutorial_accuracy", "main"]


def tutorial_tensors(name: str, split: str, data_dir=None, limit: int = 0) -> TensorDataset:
    """The split as float tensors, normalised like transforms.ToTensor() + Normalize(mean, std)."""
    spec = dataset_spec(name)
    data = load_dataset(name, split, data_dir)
    images, labels = (data.images[:limit], data.labels[:limit]) if limit else (data.images, data.labels)
    mean = torch.tensor(spec.mean).view(1, -1, 1, 1)
    std = torch.tensor(spec.std).view(1, -1, 1, 1)
    return TensorDataset((images.float() / 255 - mean) / std, labels)


def tutorial_epoch(model, loader, optimizer) -> tuple[float, int, float]:
    """One epoch of the tutorial loop; returns (mean loss, images, seconds)."""
    model.train()
    running_loss, seen = 0.0, 0
    start = time.perf_counter()
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * len(targets)
        seen += len(targets)
    return running_loss / max(seen, 1), seen, time.perf_counter() - start


def tutorial_accuracy(model, dataset: TensorDataset, batch_size: int = 1000) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, targets in DataLoader(dataset, batch_size=batch_size):
            correct += (model(inputs).argmax(1) == targets).sum().item()
    return correct / len(dataset)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="The plain tutorial training loop; prints test accuracy after each epoch."
    )
    parser.add_argument("--data", default="mnist")
    parser.add_argument("--model", default="lenet5")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir")
    parser.add_argument("--option", action="append", metavar="KEY=VALUE", help="model option, as for cnnlab train")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    spec = dataset_spec(args.data)
    train_set = tutorial_tensors(args.data, "train", args.data_dir)
    test_set = tutorial_tensors(args.data, "test", args.data_dir)
    from cnnlab.cli.options import parse_options

    model = create_model(args.model, spec.in_shape, len(spec.classes), **parse_options(args.option))
    if hasattr(model, "fit_whitening"):  # the model's own first layer needs it; part of the model, not the loop
        model.fit_whitening(train_set.tensors[0][:5000])
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    for epoch in range(1, args.epochs + 1):
        loss, seen, seconds = tutorial_epoch(model, loader, optimizer)
        accuracy = tutorial_accuracy(model, test_set)
        print(
            f"epoch {epoch}/{args.epochs}  train loss {loss:.4f}  test acc {100 * accuracy:.2f}%  "
            f"{seen / seconds:,.0f} img/s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
