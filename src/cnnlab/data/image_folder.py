"""Image folders in torchvision's ImageFolder layout: `root/<class>/<image>` (PNG, JPEG, BMP or NPY),
with `root/train/<class>/...` and `root/test/<class>/...` when the user has split them already.

Every image is decoded once into uint8 (C, H, W); the channels come from the files (all grey -> 1,
any colour -> 3) and the size is the most common one unless given; other sizes are resized bilinearly.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnlab.data.images import IMAGE_SUFFIXES, fit_to_shape, read_image_file
from cnnlab.errors import CnnlabError

__all__ = ["FolderImages", "FolderListing", "list_image_folder", "read_image_folder"]

SPLITS = ("train", "test")
DECODE_THREADS = 4  # Pillow and zlib release the GIL while decoding, so threads overlap on several cores


@dataclass
class FolderListing:
    """The image files of a folder, by class: files[i] = (path, class index, is_test, size, mtime_ns)."""

    root: Path
    classes: list[str]
    files: list[tuple[str, int, bool, int, int]]
    has_splits: bool

    def signature(self) -> str:
        """A digest of what the decoded images depend on: every file's relative path, size and modification time."""
        digest = hashlib.sha256()
        start = len(str(self.root)) + 1
        for path, label, is_test, size, mtime in self.files:
            digest.update(f"{path[start:]}\0{label}\0{is_test:d}\0{size}\0{mtime}\n".encode())
        return digest.hexdigest()


@dataclass
class FolderImages:
    images: np.ndarray  # uint8 (N, C, H, W)
    labels: np.ndarray  # int64 (N,)
    is_test: np.ndarray | None  # bool (N,) when the folder has train/ and test/, else None
    classes: list[str]
    skipped: list[str]  # files that could not be decoded
    resized: int  # images whose size differed from the chosen one


def _visible_dirs(folder: Path) -> list[str]:
    return sorted(e.name for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))


def _image_files(class_dir: str) -> list[tuple[str, int, int]]:
    """(path, size, mtime_ns) of every image file under `class_dir`, in sorted order, sub-folders included."""
    found, subfolders = [], []
    for entry in sorted(os.scandir(class_dir), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            subfolders.append(entry.path)
        elif entry.name.lower().endswith(IMAGE_SUFFIXES):
            st = entry.stat()
            found.append((entry.path, st.st_size, st.st_mtime_ns))
    for folder in subfolders:
        found += _image_files(folder)
    return found


def list_image_folder(root: str | Path) -> FolderListing:
    """Find the classes and image files under `root`; refuse layouts that cannot train a classifier."""
    root = Path(root)
    if not root.is_dir():
        raise CnnlabError(f"folder:{root}: no such folder; give a folder with one sub-folder of images per class")
    top = _visible_dirs(root)
    has_splits = all(s in top for s in SPLITS)
    split_dirs = [(root / s, s == "test") for s in SPLITS] if has_splits else [(root, False)]
    classes = _visible_dirs(split_dirs[0][0])
    if has_splits:
        extra = sorted(set(_visible_dirs(root / "test")) - set(classes))
        if extra:
            raise CnnlabError(
                f"folder:{root}: test/ has class folders that train/ lacks ({', '.join(extra[:5])}); "
                "every test class must also be in train/"
            )
    where = f"{root}/train" if has_splits else str(root)
    if len(classes) < 2:
        found = f"only {classes[0]!r}" if classes else "none"
        raise CnnlabError(
            f"folder:{root}: a classifier needs at least two class folders in {where} ({found}); "
            "put each class's images in its own sub-folder, e.g. cats/ and dogs/"
        )
    files = []
    for folder, is_test in split_dirs:
        for label, name in enumerate(classes):
            class_dir = folder / name
            if is_test and not class_dir.is_dir():
                continue
            found = _image_files(str(class_dir))
            if not found:
                raise CnnlabError(
                    f"folder:{root}: class folder {class_dir} holds no images ({', '.join(IMAGE_SUFFIXES)}); "
                    "add images or remove the folder"
                )
            files += [(path, label, is_test, size, mtime) for path, size, mtime in found]
    return FolderListing(root, classes, files, has_splits)


def _decode(path: str) -> torch.Tensor | str:
    try:
        image = read_image_file(path)
    except CnnlabError as error:
        return str(error)
    if image.shape[0] not in (1, 3, 4):
        return f"{path} has {image.shape[0]} channels; expected 1 (grey), 3 (RGB) or 4 (RGBA)"
    return image[:3]


def read_image_folder(
    listing: FolderListing, image_size: tuple[int, int] | None = None, strict: bool = False
) -> FolderImages:
    """Decode every listed file. Undecodable files are skipped (and listed), or refused when `strict`."""
    with ThreadPoolExecutor(DECODE_THREADS) as pool:
        decoded = list(pool.map(_decode, [f[0] for f in listing.files], chunksize=256))
    problems = [(f[0], d) for f, d in zip(listing.files, decoded) if isinstance(d, str)]
    if problems and strict:
        shown = "; ".join(message for _, message in problems[:3])
        raise CnnlabError(
            f"folder:{listing.root}: {len(problems)} file(s) cannot be read as images (--strict): {shown}"
        )
    kept = [(f, d) for f, d in zip(listing.files, decoded) if not isinstance(d, str)]
    if not kept:
        raise CnnlabError(f"folder:{listing.root}: none of the {len(listing.files)} files could be decoded as images")
    channels = 3 if any(d.shape[0] == 3 for _, d in kept) else 1
    sizes = Counter(tuple(d.shape[1:]) for _, d in kept)
    size = tuple(image_size) if image_size else sizes.most_common(1)[0][0]
    resized = sum(n for s, n in sizes.items() if s != size)
    images = np.empty((len(kept), channels, *size), dtype=np.uint8)
    for i, (_, image) in enumerate(kept):
        images[i] = fit_to_shape(image, (channels, *size)).numpy()
    labels = np.array([f[1] for f, _ in kept], dtype=np.int64)
    is_test = np.array([f[2] for f, _ in kept], dtype=bool) if listing.has_splits else None
    if is_test is not None and (is_test.all() or not is_test.any()):
        raise CnnlabError(f"folder:{listing.root}: no decodable images left in {'train' if is_test.all() else 'test'}/")
    return FolderImages(images, labels, is_test, listing.classes, [p for p, _ in problems], resized)
