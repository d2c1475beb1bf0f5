"""Every layer and every network passes a numerical gradient check in float64 (relative error < 1e-6)."""

import numpy as np
import pytest

from cnnlab.errors import CnnlabError
from cnnlab.scratch import (
    Affine,
    AvgPool2d,
    BatchNorm,
    Conv2d,
    DeepConvNet,
    Dropout,
    MaxPool2d,
    MultiLayerNet,
    ReLU,
    Sigmoid,
    SimpleConvNet,
    Tanh,
    TwoLayerNet,
    check_layer,
    check_network,
    numerical_gradient,
)

TOL = 1e-6


def rng():
    return np.random.default_rng(1)


def away_from_zero(shape, margin=0.05):
    """Random values with |x| > margin, so no ReLU input sits at its kink."""
    x = rng().standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin * 2, x)


LAYERS = {
    "affine": (lambda: Affine(6, 4, "he", rng(), np.float64), (3, 6)),
    "conv2d": (lambda: Conv2d(2, 3, 3, 1, 1, "he", rng(), np.float64), (2, 2, 5, 5)),
    "conv2d-stride2": (lambda: Conv2d(2, 3, (3, 2), 2, 0, "he", rng(), np.float64), (2, 2, 7, 6)),
    "maxpool": (lambda: MaxPool2d(2), (2, 2, 5, 4)),
    "maxpool-overlap": (lambda: MaxPool2d(3, 2, 1), (2, 2, 5, 5)),
    "avgpool": (lambda: AvgPool2d(2), (2, 2, 4, 5)),
    "avgpool-overlap": (lambda: AvgPool2d(3, 2, 1), (2, 2, 5, 5)),
    "relu": (lambda: ReLU(), (4, 5)),
    "sigmoid": (lambda: Sigmoid(), (4, 5)),
    "tanh": (lambda: Tanh(), (4, 5)),
    "batchnorm1d": (lambda: BatchNorm(5, False, dtype=np.float64), (6, 5)),
    "batchnorm2d": (lambda: BatchNorm(3, True, dtype=np.float64), (4, 3, 3, 2)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layer_gradients_match_central_differences(name):
    make, shape = LAYERS[name]
    layer = make()
    if isinstance(layer, BatchNorm):  # non-trivial scale and shift
        layer.params["weight"] = rng().uniform(0.5, 1.5, layer.params["weight"].shape)
        layer.params["bias"] = rng().standard_normal(layer.params["bias"].shape)
    result = check_layer(layer, away_from_zero(shape))
    assert "input" in result.errors
    assert result.worst < TOL, str(result)


def test_dropout_gradient_with_its_mask_fixed():
    layer = Dropout(0.5)

    def reseed():
        layer.rng = np.random.default_rng(3)

    result = check_layer(layer, away_from_zero((4, 6)), reset=reseed)
    assert result.worst < TOL
    assert 0 < (layer.scale == 0).sum() < layer.scale.size  # some units dropped, not all


NETWORKS = {
    "two-layer-net": (lambda: TwoLayerNet(12, 6, 3, init="he", dtype=np.float64, weight_decay=0.1), (4, 12)),
    "multi-layer-net-sigmoid": (
        lambda: MultiLayerNet(10, (6, 5), 3, "sigmoid", dtype=np.float64, weight_decay=0.05),
        (5, 10),
    ),
    "multi-layer-net-bn": (lambda: MultiLayerNet(10, (6, 5), 3, "tanh", batch_norm=True, dtype=np.float64), (5, 10)),
    "simple-convnet": (
        lambda: SimpleConvNet((1, 8, 8), 3, 3, 0, 5, 4, dtype=np.float64, weight_decay=0.01),
        (3, 1, 8, 8),
    ),
    "deep-convnet": (lambda: DeepConvNet((1, 8, 8), 3, 6, 0.0, (3, 3, "M", 4, "M"), dtype=np.float64), (2, 1, 8, 8)),
}


@pytest.mark.parametrize("name", NETWORKS)
def test_network_gradients_match_central_differences(name):
    make, shape = NETWORKS[name]
    net = make()
    x = rng().standard_normal(shape)
    labels = np.arange(shape[0]) % 3
    result = check_network(net, x, labels)
    assert set(result.errors) == set(net.params())
    assert result.worst < TOL, str(result)


def test_network_with_dropout_and_label_smoothing():
    net = MultiLayerNet(10, (8,), 3, "relu", dropout=0.3, dtype=np.float64, seed=2)
    net.criterion.label_smoothing = 0.1
    dropout = net.layers[3]

    def reseed():
        dropout.rng = np.random.default_rng(5)

    result = check_network(net, rng().standard_normal((4, 10)), np.array([0, 1, 2, 0]), reset=reseed)
    assert result.worst < TOL


def test_a_relu_kink_is_reported_not_measured():
    layer = ReLU()
    x = np.array([[0.5, 0.0, -0.3]])  # the middle entry sits on the kink
    with pytest.raises(CnnlabError, match=r"non-differentiable point: input\[0, 1\]"):
        check_layer(layer, x)


def test_a_max_pool_tie_is_reported():
    x = np.ones((1, 1, 2, 2))  # every value of the window ties for the maximum
    with pytest.raises(CnnlabError, match="non-differentiable point"):
        check_layer(MaxPool2d(2), x)


def test_float32_is_refused_for_gradient_checks():
    with pytest.raises(CnnlabError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))


def test_central_differences_of_a_known_function():
    p = np.array([1.0, -2.0, 0.5])
    grad = numerical_gradient(lambda: float((p**3).sum()), p)
    np.testing.assert_allclose(grad, 3 * p**2, rtol=1e-9)
