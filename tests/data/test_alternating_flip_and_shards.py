import torch

from cnnlab.data import Batches, ImageDataset, Normalise

IDENTITY = Normalise((0.0,), (1 / 255,))  # x = pixel value


def _asymmetric(n=12):
    # image i: a 1x2x2 with a left-right asymmetric pattern and its index in the corner
    images = torch.zeros(n, 1, 2, 2, dtype=torch.uint8)
    images[:, 0, 0, 0] = torch.arange(n, dtype=torch.uint8) + 10  # top-left: the index (flipped -> top-right)
    return ImageDataset("toy", images, torch.arange(n), [str(i) for i in range(n)])


def _flipped_by_label(batches):
    seen = {}
    for x, y in batches:
        for img, label in zip(x, y):
            seen[int(label)] = bool(img[0, 0, 1] > 0)  # content moved to the right: mirrored
    return seen


def test_alternating_flip_shows_every_image_both_ways_in_two_epochs():
    data = _asymmetric()
    batches = Batches(
        data,
        5,
        IDENTITY,
        torch.device("cpu"),
        shuffle=True,
        hflip=True,
        alternating_flip=True,
        generator=torch.Generator().manual_seed(3),
    )
    first, second, third = _flipped_by_label(batches), _flipped_by_label(batches), _flipped_by_label(batches)
    assert len(first) == len(second) == 12
    assert all(first[i] != second[i] for i in first)  # each image once each way
    assert first == third
    assert 0 < sum(first.values()) < 12  # a random half, not all or none


def test_shards_together_are_exactly_the_single_process_batches():
    data = _asymmetric(20)

    def batches(shard):
        return Batches(
            data,
            8,
            IDENTITY,
            torch.device("cpu"),
            shuffle=True,
            translate=0,
            generator=torch.Generator().manual_seed(1),
            drop_last=True,
            shard=shard,
        )

    whole = [set(y.tolist()) for _, y in batches((0, 1))]
    parts = [[set(y.tolist()) for _, y in batches((r, 2))] for r in range(2)]
    assert len(whole) == 2 and all(len(p) == 2 for p in parts)
    for i, batch in enumerate(whole):
        assert parts[0][i] | parts[1][i] == batch and not parts[0][i] & parts[1][i]
        assert len(parts[0][i]) == len(parts[1][i]) == 4
