"""Helpers of the report tests: the sections of a page, its images decoded, its self-containment."""

import base64
import io
import re

IMAGE_SECTIONS = [
    "summary",
    "curves",
    "confusion",
    "per-class",
    "misclassified",
    "filters",
    "feature-maps",
    "embedding",
    "saliency",
    "model",
]


def sections_of(page: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)">', page)


def decoded_images(page: str) -> list:
    """Every <img> of the page decoded with Pillow; each must be an inline PNG."""
    from PIL import Image

    sources = re.findall(r'<img[^>]* src="([^"]+)"', page)
    assert all(s.startswith("data:image/png;base64,") for s in sources), [s[:40] for s in sources]
    images = [Image.open(io.BytesIO(base64.b64decode(s.split(",", 1)[1]))) for s in sources]
    for image in images:
        image.load()  # decodes the pixels, not only the header
    return images


def assert_self_contained(page: str) -> None:
    """No script, no stylesheet import, no URL, no link or source that leaves the file."""
    assert "<script" not in page.lower() and "@import" not in page and "url(" not in page
    assert not re.search(r'(src|href)="(?!data:|#)', page), "a link or source that leaves the file"
