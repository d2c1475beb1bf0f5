"""CIFAR-10 in its official python layout: cifar-10-python.tar.gz holding cifar-10-batches-py/ with
data_batch_1..5, test_batch and batches.meta (pickles of dicts with b"data" (N, 3072) uint8 and
b"labels").

Pickles can execute code when loaded, so they are read with a restricted unpickler that rebuilds only
builtin containers, bytes/str/numbers and numpy arrays, never `pickle.load`.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from cnnlab.errors import CnnlabError

__all__ = ["load_cifar_pickle", "read_cifar10", "TRAIN_BATCHES", "TEST_BATCHES", "FOLDER"]

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]
TEST_BATCHES = ["test_batch"]

# What a numpy array pickle needs, and nothing else.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("builtins", "bytes"),
    ("_codecs", "encode"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR file")


def load_cifar_pickle(data: bytes, source: str) -> dict:
    try:
        obj = _RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except Exception as error:  # any unpickling failure means a bad file, whatever its type
        raise CnnlabError(f"{source} is not a valid CIFAR pickle: {error}") from None
    if not isinstance(obj, dict):
        raise CnnlabError(f"{source} is not a valid CIFAR pickle: expected a dict, got {type(obj).__name__}")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _batch_arrays(batch: dict, source: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"], dtype=np.int64)
    except KeyError as missing:
        raise CnnlabError(f"{source} has no {missing} entry; is it a CIFAR-10 batch?") from None
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise CnnlabError(f"{source} has data of shape {data.shape} and {len(labels)} labels; expected (N, 3072) and N")
    return data.reshape(-1, 3, 32, 32), labels


def read_cifar10(source: Path, batches: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read the named batches from the .tar.gz or the extracted folder; returns images, labels, classes."""
    blobs: dict[str, bytes] = {}
    wanted = set(batches) | {"batches.meta"}
    if source.is_dir():
        for name in wanted:
            blobs[name] = (source / name).read_bytes()
    else:
        with tarfile.open(source, "r:gz") as archive:
            for member in archive.getmembers():
                name = Path(member.name).name
                if member.isfile() and name in wanted:
                    blobs[name] = archive.extractfile(member).read()
    missing = wanted - set(blobs)
    if missing:
        raise CnnlabError(f"{source} lacks {', '.join(sorted(missing))}")
    meta = load_cifar_pickle(blobs["batches.meta"], f"{source}:batches.meta")
    classes = [c.decode() if isinstance(c, bytes) else str(c) for c in meta.get("label_names", [])]
    parts = [_batch_arrays(load_cifar_pickle(blobs[b], f"{source}:{b}"), f"{source}:{b}") for b in batches]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return images, labels, classes
