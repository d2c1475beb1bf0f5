"""cnnlab.scratch imports NumPy only, and bad input is a CnnlabError that says what to change."""

import ast
from pathlib import Path

import numpy as np
import pytest

import cnnlab.scratch
from cnnlab.errors import CnnlabError
from cnnlab.scratch import (
    Affine,
    Conv2d,
    MaxPool2d,
    Network,
    ReLU,
    SimpleConvNet,
    SoftmaxCrossEntropy,
    create_scratch_model,
)
from cnnlab.scratch.dense import Flatten


def test_no_module_of_cnnlab_scratch_imports_torch():
    files = sorted(Path(cnnlab.scratch.__file__).parent.glob("*.py"))
    assert len(files) >= 10
    for path in files:
        tree = ast.parse(path.read_text())
        names = {
            alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        names |= {
            node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
        }
        assert names <= {"__future__", "numpy", "cnnlab", "dataclasses", "math", "typing"}, path.name


def test_public_api_is_complete():
    assert not [name for name in cnnlab.scratch.__all__ if not hasattr(cnnlab.scratch, name)]


def test_layer_shape_mismatch_names_the_layer():
    net = Network([Flatten("flatten"), Affine(784, 50, name="fc1"), ReLU("act"), Affine(60, 10, name="fc2")])
    with pytest.raises(CnnlabError, match=r"layer fc2 \(Affine\) expects in_features = 60 .* shape \(2, 50\)"):
        net.forward(np.zeros((2, 1, 28, 28), np.float32))


def test_conv_channel_mismatch_and_too_small_input():
    with pytest.raises(CnnlabError, match="conv1 .* in_channels = 3"):
        Conv2d(3, 4, 3, name="conv1").forward(np.zeros((1, 1, 8, 8), np.float32))
    with pytest.raises(CnnlabError, match="does not fit"):
        Conv2d(1, 4, 5, name="conv1").forward(np.zeros((1, 1, 3, 3), np.float32))
    with pytest.raises(CnnlabError, match="window does not fit"):
        MaxPool2d(2, name="pool").forward(np.zeros((1, 1, 1, 5), np.float32))


def test_wrong_image_size_for_a_network():
    net = SimpleConvNet((1, 28, 28), filters=2, hidden_size=4)
    with pytest.raises(CnnlabError, match="fc1 .* in_features = 288"):
        net.forward(np.zeros((1, 1, 32, 32), np.float32))


def test_nan_loss_is_a_clear_error():
    with pytest.raises(CnnlabError, match="loss became nan.*lower the learning rate"):
        SoftmaxCrossEntropy().forward(np.array([[np.nan, 0.0]]), np.array([0]))


def test_bad_labels_and_options():
    with pytest.raises(CnnlabError, match=r"class indices in \[0, 2\)"):
        SoftmaxCrossEntropy().forward(np.zeros((1, 2)), np.array([2]))
    with pytest.raises(CnnlabError, match="no model 'resnet20'"):
        create_scratch_model("resnet20")
    with pytest.raises(CnnlabError, match="unexpected keyword argument 'width'"):
        create_scratch_model("simple-convnet", width=3)
    with pytest.raises(CnnlabError, match="unknown weight init 'glorot'"):
        Affine(2, 2, init="glorot")


def test_loading_weights_of_another_network_is_refused():
    net = create_scratch_model("two-layer-net")
    with pytest.raises(CnnlabError, match="fc1.weight has shape"):
        net.load_state_dict({**net.state_dict(), "fc1.weight": np.zeros((3, 3), np.float32)})
    with pytest.raises(CnnlabError, match="missing"):
        net.load_state_dict({})
