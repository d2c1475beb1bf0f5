import pytest
import torch
from torch import nn

from cnnlab.inspect import summary
from cnnlab.models import create_model

# The Keras lecture's model.summary(), in channels-first order: (name, output shape, params)
KERAS_TABLE = [
    ("conv2d", [32, 26, 26], 320),
    ("max_pooling2d", [32, 13, 13], 0),
    ("conv2d_1", [64, 11, 11], 18_496),
    ("max_pooling2d_1", [64, 5, 5], 0),
    ("conv2d_2", [64, 3, 3], 36_928),
    ("flatten", [576], 0),
    ("dense", [64], 36_928),
    ("dense_1", [10], 650),
]


def test_keras_cnn_summary_reproduces_the_lecture_table():
    result = summary(create_model("keras-cnn", (1, 28, 28), 10), (1, 28, 28))
    assert [(r.name, r.output_shape, r.params) for r in result.layers] == KERAS_TABLE
    assert result.total_params == result.trainable_params == 93_322


def test_conv_macs_seeds_worked_example():
    # 3x32x32, 10 filters 5x5, stride 1, pad 2 -> 10x32x32, 760 params, 768,000 multiply-adds
    layer = nn.Conv2d(3, 10, 5, padding=2)
    result = summary(layer, (3, 32, 32))
    assert result.layers[0].output_shape == [10, 32, 32]
    assert result.layers[0].params == 760 and result.layers[0].macs == 768_000


@pytest.mark.parametrize("groups,stride,dilation", [(1, 1, 1), (2, 2, 1), (4, 1, 2), (8, 3, 3)])
def test_conv_macs_equal_brute_force_count(groups, stride, dilation):
    layer = nn.Conv2d(8, 16, 3, stride=stride, padding=1, dilation=dilation, groups=groups, bias=False)
    out = layer(torch.zeros(1, 8, 17, 13))
    # each output value is a dot product over (C_in/groups) * 3 * 3 inputs
    expected = out.numel() * (8 // groups) * 9
    assert summary(layer, (8, 17, 13)).layers[0].macs == expected


def test_containers_are_not_counted_twice():
    inner = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))
    model = nn.Sequential(inner, nn.Sequential(nn.Linear(5, 3)))
    result = summary(model, (10,))
    assert [r.type for r in result.layers] == ["Linear", "ReLU", "Linear", "Linear"]
    assert result.total_macs == 10 * 20 + 20 * 5 + 5 * 3


def test_batchnorm_and_transposed_conv_macs():
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.MaxPool2d(2),
        nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1),
    )
    rows = summary(model, (2, 8, 8)).layers
    assert rows[1].macs == 4 * 8 * 8 and rows[1].params == 8
    assert rows[2].macs == 0
    assert (
        rows[3].output_shape == [3, 8, 8] and rows[3].macs == (4 * 4 * 4) * 3 * 16
    )  # every input meets 3 output kernels of 4x4


def test_summary_leaves_the_model_in_training_mode():
    model = create_model("resnet20", (3, 32, 32), 10).train()
    summary(model, (3, 32, 32))
    assert model.training and all(m.training for m in model.modules())
