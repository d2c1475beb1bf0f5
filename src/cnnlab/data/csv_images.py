"""Images in one CSV table, Kaggle's MNIST layout: a `label` column and one column per pixel.

    label,pixel0,pixel1,...,pixel783
    1,0,0,...,0

Pixels are numbers 0..255 in C, H, W order (row by row, one channel after the other); the shape comes
from `image_shape`, or is 1xSxS when the pixel count is a square S*S. Labels may be numbers or words;
the classes are the distinct labels, sorted (numerically when they are all numbers).
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np

from cnnlab.errors import CnnlabError

__all__ = ["read_image_csv"]


def _header(path: Path) -> list[str]:
    try:
        with open(path, newline="") as f:
            header = next(csv.reader(f), None)
    except (OSError, UnicodeDecodeError) as error:
        raise CnnlabError(f"csv:{path}: cannot read it as a CSV table: {error}") from None
    if not header:
        raise CnnlabError(f"csv:{path}: the file is empty; expected a header line `label,pixel0,pixel1,...`")
    return [name.strip() for name in header]


def _shape_for(path: Path, pixels: int, image_shape: tuple[int, ...] | None) -> tuple[int, int, int]:
    if image_shape is not None:
        if len(image_shape) != 3:
            raise CnnlabError(
                f"--image-shape {'x'.join(map(str, image_shape))}: give channels x height x width, e.g. 1x28x28"
            )
        if math.prod(image_shape) != pixels:
            raise CnnlabError(
                f"csv:{path}: {pixels} pixel columns do not make images of --image-shape "
                f"{'x'.join(map(str, image_shape))} ({math.prod(image_shape)} pixels); give the shape the table holds"
            )
        return tuple(image_shape)
    side = math.isqrt(pixels)
    if side * side != pixels:
        raise CnnlabError(
            f"csv:{path}: {pixels} pixel columns are not a square image; give --image-shape CxHxW, e.g. 3x32x32"
        )
    return (1, side, side)


def _check_row_lengths(path: Path, columns: int) -> None:
    with open(path) as f:
        next(f)
        for line_number, line in enumerate(f, start=2):
            cells = line.count(",") + 1
            if line.strip() and cells != columns:
                raise CnnlabError(
                    f"csv:{path}: line {line_number} has {cells} cells but the header names {columns} columns; "
                    "every row needs a label and every pixel"
                )


def _numpy_message(error: ValueError, header: list[str]) -> str:
    # numpy counts data rows from 0 and columns from 1 ("could not convert string 'x' to float32 at row 3,
    # column 5"); a person looks for the file's line number and the column's name.
    message = str(error).rstrip(".")
    found = re.search(r"(.*) at row (\d+), column (\d+)", message)
    if not found:
        return message
    what, row, column = found.group(1), int(found.group(2)), int(found.group(3))
    name = header[column - 1] if 0 < column <= len(header) else f"#{column}"
    return f"{what.replace('string', 'cell')} at line {row + 2}, column {name!r}"


def read_image_csv(path: str | Path, image_shape: tuple[int, ...] | None = None):
    """(images uint8 (N, C, H, W), labels int64 (N,), class names) from a Kaggle-style CSV table."""
    path = Path(path)
    if not path.is_file():
        raise CnnlabError(f"csv:{path}: no such file; give a CSV table with a `label` column and one column per pixel")
    header = _header(path)
    lowered = [name.lower() for name in header]
    if "label" not in lowered:
        raise CnnlabError(
            f"csv:{path}: no `label` column in the header ({', '.join(header[:4])}, ...); "
            "the first line must name the columns, one of them `label`"
        )
    label_column = lowered.index("label")
    pixel_columns = [i for i in range(len(header)) if i != label_column]
    shape = _shape_for(path, len(pixel_columns), image_shape)
    _check_row_lengths(path, len(header))
    try:
        pixels = np.loadtxt(path, delimiter=",", skiprows=1, usecols=pixel_columns, dtype=np.float32, ndmin=2)
        names = np.loadtxt(path, delimiter=",", skiprows=1, usecols=[label_column], dtype=str, ndmin=1)
    except ValueError as error:
        message = _numpy_message(error, header)
        raise CnnlabError(f"csv:{path}: {message}; every cell must be a number (labels may be words)") from None
    if len(pixels) == 0:
        raise CnnlabError(f"csv:{path}: the table has a header but no rows of images")
    bad = ~np.isfinite(pixels)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        where = f"line {row + 2}, column {header[pixel_columns[column]]!r}"
        raise CnnlabError(f"csv:{path}: missing or non-numeric cell at {where}; fill every pixel with a number 0..255")
    if pixels.min() < 0 or pixels.max() > 255:
        raise CnnlabError(f"csv:{path}: pixel values range over {pixels.min():g}..{pixels.max():g}; expected 0..255")
    names = np.char.strip(names)
    if (names == "").any():
        raise CnnlabError(f"csv:{path}: row {int(np.argmax(names == '')) + 2} has no label; every row needs one")
    distinct = sorted(set(names.tolist()))
    try:
        distinct = sorted(distinct, key=float)
    except ValueError:
        pass  # word labels keep their alphabetical order
    if len(distinct) < 2:
        raise CnnlabError(
            f"csv:{path}: every row has the label {distinct[0]!r}; a classifier needs at least two classes"
        )
    index = {name: i for i, name in enumerate(distinct)}
    labels = np.array([index[n] for n in names.tolist()], dtype=np.int64)
    images = np.rint(pixels).astype(np.uint8).reshape(len(pixels), *shape)
    return images, labels, distinct
