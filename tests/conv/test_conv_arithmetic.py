"""Layer arithmetic: the lecture's worked numbers, and agreement with the shapes torch layers produce."""

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from cnnlab.conv import (
    conv_macs,
    conv_output_size,
    conv_params,
    explain_conv,
    explain_linear,
    explain_pool,
    explain_stack,
    explain_transposed,
    linear_macs,
    linear_params,
    pool_output_size,
    receptive_field,
    same_padding,
    transposed_output_size,
)
from cnnlab.errors import CnnlabError
from conv_testing import fast

# --- the lectures' worked examples ---


def test_lecture_conv_layer_760_params_768000_macs():
    e = explain_conv((3, 32, 32), filters=10, kernel=5, stride=1, padding=2)
    assert e.output_shape == (10, 32, 32)
    assert e.quantities["params"].value == 760 == 10 * (3 * 5 * 5 + 1)
    assert e.quantities["macs"].value == 768_000 == 10 * 32 * 32 * 75
    assert str(e.quantities["params"]) == "params = O x (C x KH x KW + 1) = 10 x (3 x 5 x 5 + 1) = 760"
    assert e.to_dict()["output_shape"] == [10, 32, 32] and e.to_dict()["macs"] == 768000


@pytest.mark.parametrize(
    "size,kernel,stride,padding,expected",
    [(28, 3, 1, 0, 26), (7, 3, 1, 0, 5), (7, 3, 2, 0, 3), (32, 5, 1, 0, 28), (224, 2, 2, 0, 112), (5, 3, 1, 1, 5)],
)
def test_lecture_output_sizes(size, kernel, stride, padding, expected):
    assert conv_output_size(size, kernel, stride, padding).value == expected


def test_lecture_32x32x3_with_six_5x5_filters_gives_28x28x6():
    assert explain_conv((3, 32, 32), filters=6, kernel=5).output_shape == (6, 28, 28)


def test_lecture_keras_summary_parameter_counts():
    # the Keras lecture's summary: conv 26x26x32 320 | conv_1 11x11x64 18,496 | conv_2 3x3x64 36,928
    # | dense 64 36,928 | dense_1 10 650
    assert conv_params(1, 32, 3).value == 320
    assert conv_params(32, 64, 3).value == 18_496
    assert conv_params(64, 64, 3).value == 36_928
    assert linear_params(576, 64).value == 36_928 and linear_params(64, 10).value == 650
    assert explain_pool((32, 26, 26), 2).output_shape == (32, 13, 13)
    assert explain_pool((64, 11, 11), 2).output_shape == (64, 5, 5)


def test_lecture_fc_vs_conv_weight_counts():
    # the PyTorch lecture: FC 784->10 has 7,840 weights; a 5x5 conv layer of 64 filters has 1,600
    assert linear_params(784, 10, bias=False).value == 7_840
    assert conv_params(1, 64, 5, bias=False).value == 1_600
    assert linear_macs(784, 10).value == 7_840


def test_receptive_field_of_stacked_layers_is_1_plus_L_times_K_minus_1():
    for k in (3, 5):
        for layers in (1, 2, 3, 4):
            assert receptive_field([k] * layers).value == 1 + layers * (k - 1)
    e = explain_stack(3, 3, channels=64)
    assert e.quantities["receptive_field"].value == 7
    assert e.quantities["stack_params"].value == 27 * 64**2 and e.quantities["single_params"].value == 49 * 64**2


@fast
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 2)), min_size=1, max_size=4))
def test_receptive_field_matches_brute_force_with_torch(layers):
    # the input pixels that can influence one output pixel: nonzero gradient of that output
    size = 64
    x = torch.zeros(1, 1, size, requires_grad=True)
    y = x
    for k, s, d in layers:
        assume(y.shape[-1] >= d * (k - 1) + 1)
        y = torch.nn.functional.conv1d(y, torch.ones(1, 1, k), stride=s, dilation=d)
    y[0, 0, 0].backward()
    touched = torch.nonzero(x.grad[0, 0]).flatten()
    assert receptive_field(layers).value == int(touched.max() - touched.min() + 1)


def test_formulas_show_the_numbers():
    assert str(conv_output_size(7, 3, stride=2)) == "O = floor((I - K + 2P)/S) + 1 = floor((7 - 3 + 2*0)/2) + 1 = 3"
    assert "1*(3-1)*1 + 1*(3-1)*1" in str(receptive_field([3, 3]))
    assert str(linear_params(3072, 128)) == "params = in x out + out = 3072 x 128 + 128 = 393,344"


# --- agreement with the shapes torch layers produce ---


def torch_size(layer, size):
    """The output width torch produces, or None where torch refuses the layer."""
    try:
        return layer(torch.zeros(1, 1, size, size)).shape[-1]
    except RuntimeError:
        return None


@fast
@given(st.integers(1, 20), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3), st.booleans())
def test_conv_and_pool_sizes_match_torch(size, kernel, stride, padding, dilation, ceil_mode):
    layers = [
        (
            torch.nn.Conv2d(1, 1, kernel, stride, padding, dilation),
            lambda: conv_output_size(size, kernel, stride, padding, dilation),
        )
    ]
    if 2 * padding <= kernel:
        layers.append(
            (
                torch.nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil_mode),
                lambda: pool_output_size(size, kernel, stride, padding, dilation, ceil_mode),
            )
        )
    for layer, ours in layers:
        expected = torch_size(layer, size)
        if expected is None:
            with pytest.raises(CnnlabError, match="does not fit"):
                ours()
        else:
            assert ours().value == expected


@fast
@given(st.integers(1, 8), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3), st.data())
def test_transposed_size_matches_torch(size, kernel, stride, padding, dilation, data):
    output_padding = data.draw(st.integers(0, max(stride, dilation) - 1))
    expected = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    assume(expected >= 1)
    layer = torch.nn.ConvTranspose2d(1, 1, kernel, stride, padding, output_padding, dilation=dilation)
    got = transposed_output_size(size, kernel, stride, padding, output_padding, dilation).value
    assert layer(torch.zeros(1, 1, size, size)).shape[-1] == got


@fast
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 5), st.integers(1, 3), st.integers(1, 2), st.integers(4, 9))
def test_params_and_macs_match_a_torch_layer(groups, c_per_group, filters_per_group, kernel, stride, size):
    c, o = groups * c_per_group, groups * filters_per_group
    layer = torch.nn.Conv2d(c, o, kernel, stride, groups=groups)
    out = layer(torch.zeros(1, c, size, size))
    assert conv_params(c, o, kernel, groups).value == sum(p.numel() for p in layer.parameters())
    # one multiply-add per weight per output position
    assert conv_macs(c, o, kernel, out.shape[-1], groups).value == layer.weight.numel() * out.shape[-1] ** 2


def test_same_padding_keeps_the_size_as_torch_same_does():
    for kernel, dilation in [(3, 1), (4, 1), (5, 2), (2, 3)]:
        before, after = same_padding(kernel, dilation=dilation).value
        x = torch.zeros(1, 1, 9)
        y = torch.nn.functional.conv1d(
            torch.nn.functional.pad(x, (before, after)), torch.zeros(1, 1, kernel), dilation=dilation
        )
        assert y.shape[-1] == 9
    assert same_padding(3, stride=2, size=7).value == (1, 1)  # out = ceil(7/2) = 4
    assert conv_output_size(7 + 2, 3, 2).value == 4


def test_transposed_explanation_counts_match_torch():
    e = explain_transposed((16, 8, 8), filters=8, kernel=4, stride=2, padding=1)
    layer = torch.nn.ConvTranspose2d(16, 8, 4, 2, 1)
    assert e.output_shape == tuple(layer(torch.zeros(1, 16, 8, 8)).shape[1:]) == (8, 16, 16)
    assert e.quantities["params"].value == sum(p.numel() for p in layer.parameters())
    assert "upsamples 2 times" in e.notes[0]


def test_strict_refuses_a_stride_that_leaves_pixels_uncovered():
    assert conv_output_size(8, 3, 2).value == 3 and "never covered" in conv_output_size(8, 3, 2).note
    with pytest.raises(CnnlabError, match="5/2 is not an integer"):
        conv_output_size(8, 3, 2, exact=True)
    assert conv_output_size(7, 3, 2, exact=True).value == 3


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: conv_output_size(4, 5), r"does not fit: .* = floor\(\(4 - 5 \+ 2\*0\)/1\) \+ 1 = 0"),
        (lambda: conv_output_size(4, 3, stride=0), "stride must be an integer >= 1"),
        (lambda: conv_params(3, 4, 3, groups=2), "must divide the 3 input channels"),
        (lambda: same_padding(3, stride=2), "depends on the input size"),
        (lambda: transposed_output_size(1, 1, padding=1), "has no output"),
        (lambda: receptive_field([]), "at least one layer"),
        (lambda: explain_linear(0, 3), "in_features must be"),
    ],
)
def test_invalid_arithmetic_is_one_clear_error(call, match):
    with pytest.raises(CnnlabError, match=match):
        call()
