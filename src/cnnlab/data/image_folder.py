"""Image folders in torchvision's ImageFolder layout: `root/<class>/<image>` (PNG, JPEG, BMP or NPY),
with `root/train/<class>/...` and `root/test/<class>/...` when the user has split them already.

Every image is decoded once into uint8 (C, H, W); the channels come from the files (all grey -> 1,
any colour -> 3) and the size is the most common one unless given; other sizes are resized bilinearly.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnlab.data.images import IMAGE_SUFFIXES, fit_to_shape
from cnnlab.errors import CnnlabError
from cnnlab.picture_files import read_picture_files

__all__ = ["FolderImages", "FolderListing", "list_image_folder", "read_image_folder"]

SPLITS = ("train", "test")


@dataclass
class FolderListing:
    """The image files of a folder, by class: files[i] = (path, class index, is_test, size, mtime_ns);
    folders: the modification time of every folder read, taken before it was read."""

    root: Path
    classes: list[str]
    files: list[tuple[str, int, bool, int, int]]
    has_splits: bool
    folders: dict[str, int]

    def signature(self) -> str:
        """A digest of what the decoded images depend on: every file's relative path, size and modification time."""
        start = len(str(self.root)) + 1
        lines = "".join(
            f"{path[start:]}\0{label}\0{is_test:d}\0{size}\0{mtime}\n"
            for path, label, is_test, size, mtime in self.files
        )
        return hashlib.sha256(lines.encode()).hexdigest()

    def unchanged(self) -> bool:
        """Whether no file was added, removed or renamed since the listing (every folder's time is as it was);
        a few stat calls, where listing again reads every file's."""
        try:
            return all(os.stat(folder).st_mtime_ns == mtime for folder, mtime in self.folders.items())
        except OSError:
            return False


@dataclass
class FolderImages:
    images: np.ndarray  # uint8 (N, C, H, W)
    labels: np.ndarray  # int64 (N,)
    is_test: np.ndarray | None  # bool (N,) when the folder has train/ and test/, else None
    classes: list[str]
    skipped: list[str]  # files that could not be decoded
    resized: int  # images whose size differed from the chosen one


def _visible_dirs(folder: Path, folders: dict[str, int]) -> list[str]:
    folders[str(folder)] = os.stat(folder).st_mtime_ns
    return sorted(e.name for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))


def _image_files(class_dir: str, folders: dict[str, int]) -> list[tuple[str, int, int]]:
    """(path, size, mtime_ns) of every image file under `class_dir`, in sorted order, sub-folders included;
    the time of every folder read goes into `folders`."""
    found, subfolders = [], []
    folders[class_dir] = os.stat(class_dir).st_mtime_ns
    with os.scandir(class_dir) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                subfolders.append(entry.path)
            elif entry.name.lower().endswith(IMAGE_SUFFIXES):
                st = entry.stat()
                found.append((entry.path, st.st_size, st.st_mtime_ns))
    found.sort()  # by name: the paths differ only after class_dir
    for folder in sorted(subfolders):
        found += _image_files(folder, folders)
    return found


def list_image_folder(root: str | Path) -> FolderListing:
    """Find the classes and image files under `root`; refuse layouts that cannot train a classifier."""
    root = Path(root)
    if not root.is_dir():
        raise CnnlabError(f"folder:{root}: no such folder; give a folder with one sub-folder of images per class")
    folders: dict[str, int] = {}
    top = _visible_dirs(root, folders)
    has_splits = all(s in top for s in SPLITS)
    split_dirs = [(root / s, s == "test") for s in SPLITS] if has_splits else [(root, False)]
    classes = _visible_dirs(split_dirs[0][0], folders)
    if has_splits:
        extra = sorted(set(_visible_dirs(root / "test", folders)) - set(classes))
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
            found = _image_files(str(class_dir), folders)
            if not found:
                raise CnnlabError(
                    f"folder:{root}: class folder {class_dir} holds no images ({', '.join(IMAGE_SUFFIXES)}); "
                    "add images or remove the folder"
                )
            files += [(path, label, is_test, size, mtime) for path, size, mtime in found]
    return FolderListing(root, classes, files, has_splits, folders)


def _usable(path: str, image: np.ndarray | str) -> np.ndarray | str:
    if isinstance(image, str) or image.shape[0] in (1, 3):
        return image
    if image.shape[0] == 4:
        return image[:3]  # RGBA: the alpha channel is not part of the picture a model sees
    return f"{path} has {image.shape[0]} channels; expected 1 (grey), 3 (RGB) or 4 (RGBA)"


def read_image_folder(
    listing: FolderListing, image_size: tuple[int, int] | None = None, strict: bool = False
) -> FolderImages:
    """Decode every listed file. Undecodable files are skipped (and listed), or refused when `strict`.

    In this one thread: a small picture costs more Python than zlib, so decoding threads mostly waited for
    the GIL (and cost more CPU), and worker processes were not faster on the shared 2-core machine
    (measurements in docs/own-data-and-export.md)."""
    paths = [f[0] for f in listing.files]
    decoded = [_usable(path, image) for path, image in zip(paths, read_picture_files(paths))]
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
        fits = image.shape == images.shape[1:]
        images[i] = image if fits else fit_to_shape(torch.from_numpy(image), (channels, *size)).numpy()
    labels = np.array([f[1] for f, _ in kept], dtype=np.int64)
    is_test = np.array([f[2] for f, _ in kept], dtype=bool) if listing.has_splits else None
    if is_test is not None and (is_test.all() or not is_test.any()):
        raise CnnlabError(f"folder:{listing.root}: no decodable images left in {'train' if is_test.all() else 'test'}/")
    return FolderImages(images, labels, is_test, listing.classes, [p for p, _ in problems], resized)
