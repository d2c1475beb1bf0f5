"""Tiny fake dataset files in the exact official layouts, for tests that go through the real readers."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from cnnlab.data.idx import write_idx


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def write_fake_mnist(folder: Path, n_train: int = 60, n_test: int = 20, seed: int = 0) -> dict[str, str]:
    """The four official MNIST .gz names; returns {filename: md5}."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, dtype=np.uint8))
    for path in folder.iterdir():
        files[path.name] = md5(path)
    return files


def _batch_bytes(n: int, rng, label: str) -> bytes:
    # Exactly what the official files hold: a protocol-2 pickle of a dict with bytes keys.
    batch = {
        b"batch_label": label.encode(),
        b"labels": [int(v) for v in rng.integers(0, 10, n)],
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [f"img_{i}.png".encode() for i in range(n)],
    }
    return pickle.dumps(batch, protocol=2)


def cifar_members(n_per_batch: int = 8, seed: int = 0) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    members = {f"data_batch_{i}": _batch_bytes(n_per_batch, rng, f"training batch {i} of 5") for i in range(1, 6)}
    members["test_batch"] = _batch_bytes(n_per_batch, rng, "testing batch 1 of 1")
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    members["batches.meta"] = pickle.dumps(
        {b"label_names": [n.encode() for n in names], b"num_cases_per_batch": n_per_batch}, protocol=2
    )
    return members


def write_fake_cifar_tar(folder: Path, n_per_batch: int = 8) -> Path:
    """cifar-10-python.tar.gz holding cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, blob in cifar_members(n_per_batch).items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            archive.addfile(info, io.BytesIO(blob))
    return path


def write_fake_cifar_dir(folder: Path, n_per_batch: int = 8) -> dict[str, str]:
    target = folder / "cifar-10-batches-py"
    target.mkdir(parents=True, exist_ok=True)
    for name, blob in cifar_members(n_per_batch).items():
        (target / name).write_bytes(blob)
    return {p.name: md5(p) for p in target.iterdir()}
