import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.inspect import summary
from cnnlab.models import create_model, list_models, model_info
from cnnlab.models.padding import GridPad, grid_conv

FIELD_MODELS = [m for m in list_models() if model_info(m).family in ("unet", "fcn_resnet")]


def test_both_field_models_are_registered():
    assert FIELD_MODELS == ["fcn-resnet", "unet"]


@pytest.mark.parametrize("name", FIELD_MODELS)
@pytest.mark.parametrize(
    "shape,padding_mode", [((7, 25, 53), "replicate"), ((3, 48, 48), "zeros"), ((2, 9, 16), "circular")]
)
def test_field_models_map_a_grid_to_a_grid_of_the_same_size(name, shape, padding_mode):
    torch.manual_seed(0)
    model = create_model(name, shape, 2, width=8, padding_mode=padding_mode)
    x = torch.randn(3, *shape)
    y = model(x)
    assert y.shape == (3, 2, *shape[1:]) and torch.isfinite(y).all()
    y.square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert summary(model, shape, name).layers[-1].output_shape == [2, *shape[1:]]


def test_unet_has_skip_connections_and_transposed_upsampling():
    model = create_model("unet", (4, 25, 53), 1, width=8, depth=2)
    ups = [m for m in model.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(u.kernel_size, u.stride) for u in ups] == [((2, 2), (2, 2))] * 2  # kernel 2N, stride N for N = 2
    assert model.merge[0][0][1].in_channels == 2 * 16  # the decoder sees upsampled + skip channels


@pytest.mark.parametrize("mode,torch_mode", [("replicate", "replicate"), ("zeros", "zeros")])
def test_grid_conv_equals_torch_conv2d_with_the_same_padding(mode, torch_mode):
    torch.manual_seed(0)
    reference = nn.Conv2d(3, 4, 3, padding=1, padding_mode=torch_mode)
    ours = grid_conv(3, 4, 3, mode)
    ours[1].load_state_dict(reference.state_dict())
    x = torch.randn(2, 3, 7, 11)
    torch.testing.assert_close(ours(x), reference(x))


def test_circular_mode_wraps_longitude_and_replicates_latitude():
    x = torch.arange(12.0).view(1, 1, 3, 4)
    padded = GridPad(1, "circular")(x)
    expected = F.pad(F.pad(x, (1, 1, 0, 0), mode="circular"), (0, 0, 1, 1), mode="replicate")
    torch.testing.assert_close(padded, expected)
    assert padded[0, 0, 1, 0] == x[0, 0, 0, 3] and padded[0, 0, 0, 2] == x[0, 0, 0, 1]


def test_a_feature_across_the_date_line_is_seen_whole_with_circular_padding():
    """A blob split over the last and first longitude (2 at lon 330, 1 at lon 0 on a 30-degree global grid):
    a 3x3 box filter at lon 0 sums all of it (3) only when longitude wraps."""
    field = torch.zeros(1, 1, 5, 12)
    field[0, 0, 2, 11], field[0, 0, 2, 0] = 2.0, 1.0
    box = torch.ones(1, 1, 3, 3)
    for mode, expected in (("circular", 3.0), ("replicate", 2.0), ("zeros", 1.0)):
        out = F.conv2d(GridPad(1, mode)(field), box)
        assert out[0, 0, 2, 0].item() == expected, mode  # the cell at lon 0 sees lon 330, 0, 30
    circular = F.conv2d(GridPad(1, "circular")(field), box)
    shifted = F.conv2d(GridPad(1, "circular")(torch.roll(field, 6, dims=-1)), box)
    torch.testing.assert_close(torch.roll(circular, 6, dims=-1), shifted)  # equivariant to longitude shifts


def test_unknown_padding_mode_names_the_choices():
    with pytest.raises(CnnlabError, match="choose one of: zeros, replicate, circular, circular-zeros"):
        create_model("unet", (1, 8, 8), 1, padding_mode="reflect-ish")
