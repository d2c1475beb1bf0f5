"""The named image datasets: where their files are, how to read them, and their statistics.

`load_dataset(name, split)` returns an `ImageDataset`: the whole split in memory as uint8 tensors
(MNIST: 47 MB; CIFAR-10: 150 MB), ready for batch-wise normalisation and augmentation on the device.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from cnnlab.data import cifar, permuted, synthetic
from cnnlab.data.idx import read_idx
from cnnlab.data.own_data import is_own_data, load_own_data, own_data_label
from cnnlab.data.sources import Resource, data_root, fetch, find_file, verify
from cnnlab.errors import CnnlabError

__all__ = [
    "ImageDataset",
    "DatasetSpec",
    "load_dataset",
    "dataset_spec",
    "list_datasets",
    "dataset_status",
    "dataset_label",
    "spec_facts",
    "spec_from_facts",
    "trained_spec",
]

MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
FASHION_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
CIFAR_MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)


@dataclass
class ImageDataset:
    """A whole split in memory: images uint8 (N, C, H, W), labels int64 (N,)."""

    name: str
    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def in_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    def split(self, holdout: int, seed: int = 0) -> tuple["ImageDataset", "ImageDataset"]:
        """A fixed random hold-out of `holdout` images (e.g. for validation) and the rest."""
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
        rest, held = order[holdout:], order[:holdout]
        return (
            ImageDataset(self.name, self.images[rest], self.labels[rest], self.classes),
            ImageDataset(self.name, self.images[held], self.labels[held], self.classes),
        )

    def take(self, n: int) -> "ImageDataset":
        return ImageDataset(self.name, self.images[:n], self.labels[:n], self.classes)


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    in_shape: tuple[int, int, int]
    classes: tuple[str, ...]
    mean: tuple[float, ...]  # per channel, of pixel values scaled to [0, 1]
    std: tuple[float, ...]
    hflip: bool  # whether a horizontal flip keeps the label (true for photos, false for digits)
    description: str
    reader: Callable[["DatasetSpec", Path, str, bool], tuple[np.ndarray, np.ndarray]]
    folders: tuple[str, ...] = ()  # sub-folders of the data root searched for the files
    resources: dict[str, tuple[Resource, ...]] = field(default_factory=dict)  # split -> files


# --- readers ---------------------------------------------------------------------------------------


def _folders(spec: DatasetSpec, root: Path) -> list[Path]:
    return [root / f for f in spec.folders]


def _read_mnist_like(spec: DatasetSpec, root: Path, split: str, download: bool):
    images_res, labels_res = spec.resources[split]
    folders = _folders(spec, root)
    images = read_idx(_fetch_raw_or_gz(images_res, folders, download, spec.name))
    labels = read_idx(_fetch_raw_or_gz(labels_res, folders, download, spec.name))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise CnnlabError(f"{spec.name} {split}: images {images.shape} and labels {labels.shape} do not match")
    return images[:, None], labels.astype(np.int64)


def _fetch_raw_or_gz(resource: Resource, folders: list[Path], download: bool, name: str) -> Path:
    # torchvision keeps the uncompressed IDX beside the .gz; the raw file has no official checksum,
    # so it is used only when the .gz is absent.
    raw_name = resource.filename.removesuffix(".gz")
    if find_file(resource.filename, folders) is None:
        raw = find_file(raw_name, folders)
        if raw is not None:
            return raw
    return fetch(resource, folders, download, name)


CIFAR10_ARCHIVE = Resource("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a", CIFAR_MIRRORS)
# Checksums of the extracted files, as published with the dataset (and used by torchvision).
CIFAR10_BATCH_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}


def _read_cifar10(spec: DatasetSpec, root: Path, split: str, download: bool):
    batches = cifar.TRAIN_BATCHES if split == "train" else cifar.TEST_BATCHES
    folders = _folders(spec, root)
    extracted = next((f / cifar.FOLDER for f in folders if (f / cifar.FOLDER).is_dir()), None)
    if extracted is not None:
        for name in batches + ["batches.meta"]:
            path = extracted / name
            if not path.is_file():
                raise CnnlabError(
                    f"{extracted} lacks {name}; it should hold data_batch_1..5, test_batch and batches.meta"
                )
            verify(path, CIFAR10_BATCH_MD5[name])
        source = extracted
    else:
        source = fetch(CIFAR10_ARCHIVE, folders, download, spec.name)
    images, labels, _ = cifar.read_cifar10(source, batches)
    return images, labels


def _read_synthetic(spec: DatasetSpec, root: Path, split: str, download: bool):
    n, seed = (10_000, 1) if split == "train" else (2_000, 2)
    images, labels = synthetic.make_gratings(n, spec.in_shape, len(spec.classes), seed=seed)
    return images.numpy(), labels.numpy()


def _mnist_resources(prefix_mirrors, md5s) -> dict[str, tuple[Resource, ...]]:
    names = [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    res = [Resource(n, m, prefix_mirrors) for n, m in zip(names, md5s)]
    return {"train": (res[0], res[1]), "test": (res[2], res[3])}


_SPECS = {
    spec.name: spec
    for spec in [
        DatasetSpec(
            "mnist",
            (1, 28, 28),
            tuple(str(i) for i in range(10)),
            (0.1307,),
            (0.3081,),
            False,
            "handwritten digits, 60,000 train / 10,000 test, 1x28x28 (LeCun et al.)",
            _read_mnist_like,
            ("mnist", "MNIST/raw"),
            _mnist_resources(
                MNIST_MIRRORS,
                [
                    "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                    "d53e105ee54ea40749a09fcbcd1e9432",
                    "9fb629c4189551a2d022fa330f9573f3",
                    "ec29112dd5afa0611ce80d1b7f02629c",
                ],
            ),
        ),
        DatasetSpec(
            "fashion-mnist",
            (1, 28, 28),
            ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
            (0.2860,),
            (0.3530,),
            True,
            "Zalando clothing images, 60,000 train / 10,000 test, 1x28x28 (Xiao et al.)",
            _read_mnist_like,
            ("fashion-mnist", "FashionMNIST/raw"),
            _mnist_resources(
                FASHION_MIRRORS,
                [
                    "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                    "25c81989df183df01b3e8a0aad5dffbe",
                    "bef4ecab320f06d8554ea6380940ec79",
                    "bb300cfdad3c16e7a12a480ee83cd310",
                ],
            ),
        ),
        DatasetSpec(
            "cifar10",
            (3, 32, 32),
            ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
            (0.4914, 0.4822, 0.4465),
            (0.2470, 0.2435, 0.2616),
            True,
            "colour photos, 50,000 train / 10,000 test, 3x32x32 (Krizhevsky)",
            _read_cifar10,
            ("cifar10", "cifar-10", ""),
            {"train": (CIFAR10_ARCHIVE,), "test": (CIFAR10_ARCHIVE,)},
        ),
        DatasetSpec(
            "synthetic-mnist",
            (1, 28, 28),
            tuple(f"{18 * k} deg" for k in range(10)),
            (0.5,),
            (0.2,),
            False,
            "oriented gratings, 10,000 train / 2,000 test, 1x28x28, generated (no files)",
            _read_synthetic,
        ),
        DatasetSpec(
            "synthetic-cifar",
            (3, 32, 32),
            tuple(f"{18 * k} deg" for k in range(10)),
            (0.5, 0.5, 0.5),
            (0.2, 0.2, 0.2),
            False,
            "coloured oriented gratings, 10,000 train / 2,000 test, 3x32x32, generated (no files)",
            _read_synthetic,
        ),
    ]
}


def _permuted_spec(base: DatasetSpec) -> DatasetSpec:
    """The base dataset with its pixels shuffled by one fixed permutation (same files, same statistics)."""

    def read(spec: DatasetSpec, root: Path, split: str, download: bool):
        images, labels = base.reader(base, root, split, download)
        return permuted.permute_pixels(images), labels

    return dataclasses.replace(
        base,
        name=permuted.PREFIX + base.name,
        reader=read,
        hflip=False,
        description=f"{base.name} with every image's pixels shuffled by one fixed permutation",
    )


_SPECS.update({permuted.PREFIX + name: _permuted_spec(spec) for name, spec in list(_SPECS.items())})


def list_datasets() -> list[str]:
    return list(_SPECS)


def _read_own(spec: DatasetSpec, root: Path, split: str, download: bool):
    data = load_own_data(spec.name)
    if list(data.classes) != list(spec.classes):  # a spec stored with a run, and the folder changed since
        raise CnnlabError(
            f"{spec.name} now has the classes {', '.join(data.classes)}; the run was trained on "
            f"{', '.join(spec.classes)}: restore the data as it was, or train a new run"
        )
    return (data.train_images, data.train_labels) if split == "train" else (data.test_images, data.test_labels)


def _own_spec(name: str) -> DatasetSpec:
    data = load_own_data(name)
    kind = name.partition(":")[0]
    return DatasetSpec(
        data.name,
        tuple(data.train_images.shape[1:]),
        tuple(data.classes),
        data.mean,
        data.std,
        False,
        f"your {kind} {name.partition(':')[2]}: {len(data.train_labels):,} train / {len(data.test_labels):,} test",
        _read_own,
    )


# --- what a trained model needs of its data, stored with the run ------------------------------------

_TRAINED_SPECS: ContextVar[dict[str, DatasetSpec]] = ContextVar("trained_specs", default={})


def spec_facts(spec: DatasetSpec) -> dict:
    """The part of a spec a trained model depends on (shape, classes, normalisation), as JSON-ready values."""
    return {
        "data": spec.name,
        "in_shape": list(spec.in_shape),
        "classes": list(spec.classes),
        "mean": list(spec.mean),
        "std": list(spec.std),
        "hflip": spec.hflip,
    }


def spec_from_facts(facts: dict) -> DatasetSpec:
    """The inverse of spec_facts, for own data (its images are read from the data only when asked for)."""
    try:
        name, in_shape = str(facts["data"]), tuple(int(n) for n in facts["in_shape"])
        classes = tuple(str(c) for c in facts["classes"])
        mean, std = tuple(float(m) for m in facts["mean"]), tuple(float(s) for s in facts["std"])
    except (KeyError, TypeError, ValueError) as error:
        raise CnnlabError(f"the stored description of the data lacks or garbles {error}") from None
    if (
        not is_own_data(name)
        or len(in_shape) != 3
        or len(mean) != in_shape[0]
        or len(std) != in_shape[0]
        or len(classes) < 2
    ):
        raise CnnlabError(f"the stored description of the data {name!r} is not one cnnlab writes")
    return DatasetSpec(
        name,
        in_shape,
        classes,
        mean,
        std,
        bool(facts.get("hflip", False)),
        f"your {name.partition(':')[0]} {name.partition(':')[2]} (as the run was trained on it)",
        _read_own,
    )


@contextmanager
def trained_spec(spec: DatasetSpec | None) -> Iterator[None]:
    """Inside the block, dataset_spec(spec.name) is `spec`: the classes and statistics a run was trained with,
    read from its folder, instead of those of the data as it is now (or of no data, once it is deleted)."""
    if spec is None:
        yield
        return
    token = _TRAINED_SPECS.set({**_TRAINED_SPECS.get(), spec.name: spec})
    try:
        yield
    finally:
        _TRAINED_SPECS.reset(token)


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of a named dataset, or of own data (`folder:PATH`, `csv:FILE`), which is read to learn it
    (unless a run's stored spec of it is in use: trained_spec)."""
    if is_own_data(name):
        stored = _TRAINED_SPECS.get().get(name)
        return stored if stored is not None else _own_spec(name)
    if name not in _SPECS:
        from difflib import get_close_matches

        close = get_close_matches(name, list(_SPECS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise CnnlabError(
            f"unknown dataset {name!r}; {hint}choose one of: {', '.join(_SPECS)}, "
            "or your own images as folder:PATH or csv:FILE"
        )
    return _SPECS[name]


def dataset_label(name: str) -> str:
    """A short name for file names: the dataset's name, or the folder's/file's name of own data."""
    return own_data_label(name) if is_own_data(name) else name


def load_dataset(
    name: str, split: str = "train", data_dir: str | Path | None = None, download: bool = True
) -> ImageDataset:
    """Read a whole split into memory, verifying every file's checksum; download missing files if allowed."""
    spec = dataset_spec(name)
    if split not in ("train", "test"):
        raise CnnlabError(f"unknown split {split!r}; choose train or test")
    images, labels = spec.reader(spec, data_root(data_dir), split, download)
    if tuple(images.shape[1:]) != spec.in_shape:
        raise CnnlabError(f"{name} {split}: images have shape {images.shape[1:]}, expected {spec.in_shape}")
    if labels.min() < 0 or labels.max() >= len(spec.classes):
        raise CnnlabError(f"{name} {split}: labels outside 0..{len(spec.classes) - 1}")
    return ImageDataset(
        spec.name, torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels), list(spec.classes)
    )


def dataset_status(name: str, data_dir: str | Path | None = None) -> str:
    """'generated', 'verified', or what is wrong, without downloading anything."""
    spec = dataset_spec(name)
    if not spec.resources:
        return "generated"
    try:
        for split in ("train", "test"):
            spec.reader(spec, data_root(data_dir), split, False)
    except CnnlabError as error:
        return f"missing or invalid ({error})"
    return "verified"
