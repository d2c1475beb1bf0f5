"""Request bodies a client sends: read with a size limit, then taken as a PNG/JPEG picture or a JSON array
of pixels. Every refusal is a `RequestRefused` with the HTTP status and one line saying what to send instead."""

from __future__ import annotations

import json

import torch

from cnnlab.data.images import MAX_IMAGE_SIDE, decode_image, image_from_array
from cnnlab.errors import CnnlabError

__all__ = ["RequestRefused", "read_body", "image_from_body", "MAX_BODY_BYTES"]

MAX_BODY_BYTES = 5 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"


class RequestRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, refused with 413 as soon as it passes `limit` bytes (a lying or absent Content-Length
    does not help: the bytes are counted as they arrive)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestRefused(413, f"request body is {int(declared)} bytes; at most {limit} bytes ({limit // 2**20} MB)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestRefused(413, f"request body passes {limit} bytes ({limit // 2**20} MB); send a smaller image")
        chunks.append(chunk)
    return b"".join(chunks)


def image_from_body(body: bytes, channels: int) -> torch.Tensor:
    """PNG or JPEG bytes, or JSON: an array of pixels ((H, W), (C, H, W) or (H, W, C); 0..255, or floats
    in 0..1) or {"pixels": array} -> uint8 (C, H, W)."""
    if not body:
        raise RequestRefused(400, "empty request body; send a PNG or JPEG image, or a JSON array of pixels")
    try:
        if body.startswith(PNG_SIGNATURE) or body.startswith(JPEG_SIGNATURE):
            return decode_image(body, channels, "the uploaded image", MAX_IMAGE_SIDE)
        if body.lstrip()[:1] in (b"[", b"{"):
            return image_from_array(_pixels_from_json(body), "the JSON pixel array")
    except CnnlabError as error:
        raise RequestRefused(400, str(error)) from None
    raise RequestRefused(400, "the body is neither a PNG or JPEG image nor a JSON array of pixels")


def _pixels_from_json(body: bytes):
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise CnnlabError(f"the body is not valid JSON: {error}") from None
    if isinstance(data, dict):
        if "pixels" not in data:
            raise CnnlabError('a JSON object body needs a "pixels" key holding the array of pixels')
        data = data["pixels"]
    if not isinstance(data, list):
        raise CnnlabError("the JSON body must be an array of pixel rows, e.g. [[0, 255], [255, 0]]")
    return data
