"""A person's own images as a dataset: `folder:PATH` (ImageFolder layout) or `csv:FILE` (Kaggle layout).

The dataset name carries everything needed to read the data again (for eval, resume and predict):

    folder:/home/me/pets                      csv:/home/me/digits.csv?shape=1x28x28
    folder:/home/me/pets?size=64x64&strict

Decoded images are cached as one .npz per dataset under ~/.cache/cnnlab/own-data (or $XDG_CACHE_HOME),
keyed by the file list, sizes and modification times, so the second run reads one file instead of
decoding every image. Without `train/` and `test/` sub-folders a fixed seeded fifth of the images is
held out as the test split. Mean and standard deviation per channel come from the training split; the
cache keeps them and the split beside the images, so a load from the cache computes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from cnnlab.errors import CnnlabError, CnnlabWarning
from cnnlab.files import atomic_path

__all__ = [
    "OwnData",
    "OwnDataRequest",
    "is_own_data",
    "parse_own_data",
    "own_data_name",
    "own_data_label",
    "load_own_data",
    "own_data_cache_dir",
    "forget_own_data",
    "TEST_FRACTION",
]

KINDS = ("folder", "csv")
TEST_FRACTION = 0.2  # held out as the test split when the data has no test part of its own
SPLIT_SEED = 0
CACHE_FORMAT = 2  # bump when the decoded layout changes, so old caches are not read


@dataclass(frozen=True)
class OwnDataRequest:
    kind: str  # folder | csv
    path: Path
    image_size: tuple[int, int] | None = None  # folder: resize every image to H x W
    image_shape: tuple[int, int, int] | None = None  # csv: C x H x W of the pixel columns
    strict: bool = False  # folder: refuse undecodable files instead of skipping them


@dataclass
class OwnData:
    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: list[str]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    skipped: list[str]
    resized: int


def is_own_data(name: str) -> bool:
    return any(name.startswith(f"{kind}:") for kind in KINDS)


def _parse_size(text: str, parts: int, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(p) for p in text.lower().split("x"))
    except ValueError:
        values = ()
    if len(values) != parts or any(v <= 0 for v in values):
        example = "1x28x28" if parts == 3 else "64x64"
        raise CnnlabError(f"{what} {text!r}: expected {parts} positive sizes joined by x, e.g. {example}")
    return values


def parse_own_data(name: str) -> OwnDataRequest:
    """`folder:PATH?size=HxW&strict` or `csv:FILE?shape=CxHxW` -> OwnDataRequest (path made absolute)."""
    kind, _, rest = name.partition(":")
    if kind not in KINDS or not rest:
        raise CnnlabError(f"{name!r} is not own data; write folder:PATH or csv:FILE")
    path, _, query = rest.partition("?")
    options = dict(part.partition("=")[::2] for part in query.split("&") if part)
    allowed = {"folder": {"size", "strict"}, "csv": {"shape"}}[kind]
    unknown = sorted(set(options) - allowed)
    if unknown:
        flags = {"size": "--image-size", "strict": "--strict", "shape": "--image-shape"}
        raise CnnlabError(
            f"{kind}: data does not take {flags.get(unknown[0], unknown[0])}; "
            f"it takes {', '.join(flags[a] for a in sorted(allowed))}"
        )
    return OwnDataRequest(
        kind,
        Path(path).expanduser().absolute(),
        _parse_size(options["size"], 2, "--image-size") if options.get("size") else None,
        _parse_size(options["shape"], 3, "--image-shape") if options.get("shape") else None,
        "strict" in options,
    )


def own_data_name(request: OwnDataRequest) -> str:
    """The canonical name of a request (absolute path, options in a fixed order): what config.json keeps."""
    options = []
    if request.image_size:
        options.append("size=" + "x".join(map(str, request.image_size)))
    if request.image_shape:
        options.append("shape=" + "x".join(map(str, request.image_shape)))
    if request.strict:
        options.append("strict")
    return f"{request.kind}:{request.path}" + ("?" + "&".join(options) if options else "")


def own_data_label(name: str) -> str:
    """A short label for file and folder names: the folder's or file's name (`folder:/a/pets` -> `pets`)."""
    path = parse_own_data(name).path
    return path.stem if path.suffix else path.name


def own_data_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cnnlab" / "own-data"


# --- decoding, with the cache ---------------------------------------------------------------------


def _cache_key(request: OwnDataRequest, signature) -> str:
    blob = json.dumps([CACHE_FORMAT, own_data_name(request), signature], sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def _read_cache(path: Path) -> dict | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: stored[key] for key in stored.files}
    except (OSError, ValueError, KeyError):  # absent, or a damaged file: decode again
        return None


def _write_cache(path: Path, arrays: dict) -> None:
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, **arrays)
    except (OSError, CnnlabError) as error:  # a read-only or full cache costs speed, not the run
        warnings.warn(f"could not cache the decoded images in {path.parent}: {error}", CnnlabWarning, stacklevel=2)


def _split_and_statistics(request: OwnDataRequest, arrays: dict) -> dict:
    """`arrays` with is_test (the data's own split, else a seeded TEST_FRACTION) and the training split's mean/std."""
    labels = arrays["labels"]
    if "is_test" not in arrays:
        order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
        is_test = np.zeros(len(labels), dtype=bool)
        is_test[order[: max(1, round(TEST_FRACTION * len(labels)))]] = True
        if is_test.all():
            raise CnnlabError(
                f"{own_data_name(request)}: {len(labels)} image(s) cannot be split into training and "
                "test images; add more"
            )
        arrays["is_test"] = is_test
    mean, std = channel_statistics(arrays["images"][~arrays["is_test"]])
    return arrays | {"mean": np.array(mean), "std": np.array(std)}


def _decode(request: OwnDataRequest) -> tuple[dict, Callable[[], bool]]:
    """Arrays of the whole dataset (images, labels, is_test, classes, skipped, resized, mean, std), from the cache
    or decoded and cached; and a cheap check of whether the data is still as it was read."""
    if request.kind == "folder":
        from cnnlab.data.image_folder import list_image_folder, read_image_folder

        listing = list_image_folder(request.path)
        signature, unchanged = listing.signature(), listing.unchanged
    else:
        if not request.path.is_file():
            raise CnnlabError(
                f"csv:{request.path}: no such file; give a CSV table with a `label` column and one column per pixel"
            )
        st = request.path.stat()
        signature = [st.st_size, st.st_mtime_ns]

        def unchanged() -> bool:
            try:
                now = request.path.stat()
            except OSError:
                return False
            return [now.st_size, now.st_mtime_ns] == signature

    cache = own_data_cache_dir() / f"{request.kind}-{_cache_key(request, signature)}.npz"
    stored = _read_cache(cache)
    if stored is not None:
        return stored, unchanged
    if request.kind == "folder":
        decoded = read_image_folder(listing, request.image_size, request.strict)
        arrays = dict(
            images=decoded.images,
            labels=decoded.labels,
            classes=np.array(decoded.classes),
            skipped=np.array(decoded.skipped, dtype=str),
            resized=np.array(decoded.resized),
        )
        if decoded.is_test is not None:
            arrays["is_test"] = decoded.is_test
    else:
        from cnnlab.data.csv_images import read_image_csv

        images, labels, classes = read_image_csv(request.path, request.image_shape)
        arrays = dict(
            images=images,
            labels=labels,
            classes=np.array(classes),
            skipped=np.array([], dtype=str),
            resized=np.array(0),
        )
    arrays = _split_and_statistics(request, arrays)
    _write_cache(cache, arrays)
    return arrays, unchanged


def channel_statistics(images: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and standard deviation of uint8 (N, C, H, W) images scaled to [0, 1]."""
    means, stds = [], []
    values = np.arange(256, dtype=np.float64) / 255
    for c in range(images.shape[1]):
        # A histogram of the 256 possible values gives exact sums without a float copy of the images.
        counts = np.bincount(np.ascontiguousarray(images[:, c]).ravel(), minlength=256).astype(np.float64)
        total = counts.sum()
        mean = float(counts @ values / total)
        std = float(np.sqrt(max(counts @ (values - mean) ** 2 / total, 0.0)))
        means.append(round(mean, 6))
        stds.append(round(std, 6) if std > 0 else 1.0)  # a constant channel: normalise by 1, not by zero
    return tuple(means), tuple(stds)


_LOADED: dict[str, tuple[Callable[[], bool], OwnData]] = {}  # name -> (is it still current?, the data)


def forget_own_data() -> None:
    """Drop the in-memory copy (the next load reads the disk cache, as a new process would)."""
    _LOADED.clear()


def load_own_data(name: str) -> OwnData:
    """The train and test splits of own data, decoded (or read from the cache) once per process.

    The copy in memory is used again while the data's folders (or CSV file) keep their modification times,
    which change when files are added, removed or renamed; the disk cache checks every file."""
    request = parse_own_data(name)
    held = _LOADED.get(own_data_name(request))
    if held is not None and held[0]():
        return held[1]
    arrays, unchanged = _decode(request)
    images, labels, is_test = arrays["images"], arrays["labels"], arrays["is_test"]
    classes = [str(c) for c in arrays["classes"]]
    skipped = [str(s) for s in arrays["skipped"]]
    resized = int(arrays["resized"])
    if skipped:
        shown = ", ".join(skipped[:3]) + (", ..." if len(skipped) > 3 else "")
        warnings.warn(
            f"{len(skipped)} file(s) could not be decoded and were skipped ({shown}); --strict refuses them",
            CnnlabWarning,
            stacklevel=2,
        )
    if resized:
        size = "x".join(map(str, images.shape[2:]))
        warnings.warn(
            f"{resized} of {len(labels)} images were resized to {size}"
            f"{'' if request.image_size else ' (the most common size; --image-size chooses another)'}",
            CnnlabWarning,
            stacklevel=2,
        )
    data = OwnData(
        own_data_name(request),
        images[~is_test],
        labels[~is_test],
        images[is_test],
        labels[is_test],
        classes,
        tuple(float(m) for m in arrays["mean"]),
        tuple(float(s) for s in arrays["std"]),
        skipped,
        resized,
    )
    _LOADED.clear()  # keep one dataset in memory, like a run needs
    _LOADED[data.name] = (unchanged, data)
    return data
