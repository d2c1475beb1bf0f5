"""centre_like_mnist brings a drawn digit to MNIST's form; on real MNIST digits it changes (almost) nothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnlab.data.mnist_style import MNIST_BOX, centre_like_mnist


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    x = image.astype(np.float64)
    return ((x.sum(1) * np.arange(28)).sum() / x.sum(), (x.sum(0) * np.arange(28)).sum() / x.sum())


@pytest.mark.data
def test_real_mnist_digits_are_already_in_that_form(real_data_dir):
    from cnnlab.data import load_dataset

    test = load_dataset("mnist", "test", data_dir=real_data_dir, download=False)
    differences = [
        np.abs(centre_like_mnist(test.images[i, 0].numpy()).astype(int) - test.images[i, 0].numpy()).mean()
        for i in range(300)
    ]
    assert np.median(differences) == 0  # most digits come back unchanged, to the grey level
    assert np.mean(differences) < 1.0


def test_a_small_dark_digit_in_a_corner_of_a_white_page_is_centred_and_scaled():
    page = np.full((300, 200), 255, np.uint8)
    page[220:280, 20:40] = 0  # a dark bar 60 tall, 20 wide: a "1"
    out = centre_like_mnist(page)
    rows, cols = np.nonzero(out > 0)
    assert rows.max() - rows.min() + 1 == MNIST_BOX  # the long side fills the 20-pixel box
    assert 6 <= cols.max() - cols.min() + 1 <= 8  # aspect kept: 20 * 20 / 60, plus antialiased edges
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert out.max() == 255 and out[0].max() == 0  # inverted: white ink on black, as in MNIST


def test_a_blank_picture_stays_blank():
    assert not centre_like_mnist(np.zeros((50, 50), np.uint8)).any()
    assert not centre_like_mnist(np.full((50, 50), 255, np.uint8)).any()


def test_scaling_matches_an_antialiased_resize_of_the_bounding_box():
    digit = torch.zeros(40, 40)
    digit[5:35, 10:20] = 1.0
    out = centre_like_mnist((digit * 255).byte().numpy())
    expected = F.interpolate(digit[5:35, 10:20][None, None], size=(20, 7), mode="bilinear", antialias=True)[0, 0]
    rows, cols = np.nonzero(out)
    np.testing.assert_allclose(
        out[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] / 255, expected.clamp(0, 1).numpy(), atol=1 / 255
    )
