import torch
from torch import nn

from cnnlab.train.tta import shift_image, tta_logits


def test_shift_image_matches_its_definition():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    for dy, dx in [(1, 1), (-1, -1), (0, 1), (1, -1)]:
        out = shift_image(x, dy, dx)
        for r in range(4):
            for c in range(4):
                inside = 0 <= r + dy < 4 and 0 <= c + dx < 4
                assert out[0, 0, r, c] == (x[0, 0, r + dy, c + dx] if inside else 0)


def test_tta_is_the_weighted_mean_of_the_views():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.Flatten(), nn.Linear(3 * 4 * 4, 5))
    x = torch.randn(2, 1, 6, 6)
    assert torch.equal(tta_logits(model, x, 0), model(x))
    mirror = lambda v: (model(v) + model(v.flip(-1))) / 2  # noqa: E731
    torch.testing.assert_close(tta_logits(model, x, 1), mirror(x))
    expected = 0.5 * mirror(x) + 0.25 * mirror(shift_image(x, -1, -1)) + 0.25 * mirror(shift_image(x, 1, 1))
    torch.testing.assert_close(tta_logits(model, x, 2), expected)


def test_tta_of_a_mirror_symmetric_model_changes_nothing_at_level_1():
    model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1, 3))  # blind to left-right order
    x = torch.randn(4, 1, 5, 5)
    torch.testing.assert_close(tta_logits(model, x, 1), model(x))
