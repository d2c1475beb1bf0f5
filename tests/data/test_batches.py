import torch

from cnnlab.data import Batches, ImageDataset, Normalise
from cnnlab.data.augment import translate


def _data(n=10):
    images = torch.arange(n * 2 * 4 * 4, dtype=torch.int64).remainder(256).to(torch.uint8).reshape(n, 2, 4, 4)
    return ImageDataset("toy", images, torch.arange(n) % 3, ["a", "b", "c"])


def test_normalise_matches_the_formula():
    x = torch.tensor([[[[0, 255]], [[51, 102]]]], dtype=torch.uint8)
    out = Normalise((0.5, 0.2), (0.25, 0.1))(x)
    expected = (x.double() / 255 - torch.tensor([0.5, 0.2]).view(1, 2, 1, 1)) / torch.tensor([0.25, 0.1]).view(
        1, 2, 1, 1
    )
    torch.testing.assert_close(out.double(), expected, atol=1e-5, rtol=0)


def test_batches_cover_every_example_once_per_epoch_in_seeded_order():
    data = _data(10)
    norm = Normalise((0.0, 0.0), (1 / 255, 1 / 255))  # identity on the 0..255 scale
    batches = Batches(data, 4, norm, torch.device("cpu"), shuffle=True, generator=torch.Generator().manual_seed(1))
    seen = torch.cat([x[:, 0, 0, 0] for x, _ in batches])
    assert len(batches) == 3 and sorted(seen.tolist()) == sorted(data.images[:, 0, 0, 0].float().tolist())
    again = Batches(data, 4, norm, torch.device("cpu"), shuffle=True, generator=torch.Generator().manual_seed(1))
    assert torch.equal(seen, torch.cat([x[:, 0, 0, 0] for x, _ in again]))


def test_translate_shifts_each_image_by_its_own_offset():
    x = torch.arange(3 * 1 * 5 * 5, dtype=torch.float32).reshape(3, 1, 5, 5) + 1
    offsets = torch.tensor([[0, 2, 4], [3, 2, 1]])  # (dy, dx) = offset - pad: (-2, 1), (0, 0), (2, -1)
    out = translate(x, offsets, 2)
    for i, (dy, dx) in enumerate([(-2, 1), (0, 0), (2, -1)]):
        assert torch.equal(out[i, 0], _shift(x[i, 0], dy, dx))


def _shift(img, dy, dx):
    # output[r, c] = img[r + dy, c + dx], zero outside
    out = torch.zeros_like(img)
    h, w = img.shape
    for r in range(h):
        for c in range(w):
            if 0 <= r + dy < h and 0 <= c + dx < w:
                out[r, c] = img[r + dy, c + dx]
    return out
