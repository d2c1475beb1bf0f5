"""Images from bytes and arrays: the header size check runs before any pixel is decoded."""

from __future__ import annotations

import io

import numpy as np
import pytest

from cnnlab.data.images import decode_image, image_from_array
from cnnlab.errors import CnnlabError

Image = pytest.importorskip("PIL.Image")


def test_decode_png_and_jpeg_bytes():
    picture = (np.arange(12 * 7).reshape(7, 12) * 3).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, "PNG")
    assert np.array_equal(decode_image(buffer.getvalue(), 1)[0].numpy(), picture)
    buffer = io.BytesIO()
    Image.fromarray(np.stack([picture] * 3, -1)).save(buffer, "JPEG", quality=95)
    assert decode_image(buffer.getvalue(), 3).shape == (3, 7, 12)


def test_oversized_pictures_are_refused_from_the_header():
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((3, 40), np.uint8)).save(buffer, "PNG")
    with pytest.raises(CnnlabError, match="40x3 pixels; at most 32x32"):
        decode_image(buffer.getvalue(), 1, max_side=32)


def test_other_formats_are_not_decoded():
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(buffer, "BMP")
    with pytest.raises(CnnlabError, match="cannot decode"):
        decode_image(buffer.getvalue(), 1)


@pytest.mark.parametrize(
    "array, expected",
    [
        ([[0, 255], [128, 1]], [[0, 255], [128, 1]]),
        ([[0.0, 1.0], [0.5, 0.25]], [[0, 255], [128, 64]]),
        ([[-5, 300], [12.4, 0]], [[0, 255], [12, 0]]),
    ],
)
def test_arrays_become_uint8(array, expected):
    assert image_from_array(array)[0].tolist() == expected


@pytest.mark.parametrize(
    "array, words",
    [
        ([[1, 2], [3]], "not a rectangular array"),
        ([["a"]], "give numbers"),
        ([[[[1]]]], "expected (H, W)"),
        (np.zeros((1, 5000)), "at most 4096x4096"),
    ],
)
def test_bad_arrays_are_refused(array, words):
    with pytest.raises(CnnlabError, match=words.replace("(", r"\(").replace(")", r"\)")):
        image_from_array(array)
