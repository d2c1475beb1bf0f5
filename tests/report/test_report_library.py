"""cnnlab.report's library functions against the maths they draw: conv weights, hooked activations equal to
the layers' own outputs, saliency of a linear model equal to its weights, Grad-CAM by hand, PCA by sklearn."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.models import create_model, list_models
from cnnlab.report import (
    embedding,
    feature_maps,
    filters,
    grad_cam,
    misclassified,
    penultimate_features,
    per_class_accuracy,
    saliency,
)
from cnnlab.report.images import colorize, png_bytes, tile

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")


def _model(name, in_shape=(1, 28, 28), classes=10):
    torch.manual_seed(0)
    return create_model(name, in_shape, classes).eval()


def test_filters_are_the_first_conv_weights_and_rgb_only_for_three_channels():
    lenet = _model("lenet5")
    bank = filters(lenet)
    assert bank.layer == "features.0" and not bank.rgb
    np.testing.assert_array_equal(bank.weights, lenet.features[0].weight.detach().numpy())
    assert bank.grid().shape == (2 * 6 - 1, 3 * 6 - 1)  # 6 filters 5x5 in 2 rows of 3, 1-pixel gaps
    second = filters(lenet, "features.3")
    assert second.weights.shape == (16, 6, 5, 5)
    assert second.grid().shape == (16 * 6 - 1, 6 * 6 - 1)  # one row per filter, one column per input channel
    colour = filters(_model("resnet20", (3, 32, 32)))
    assert colour.rgb and colour.grid().shape[-1] == 3
    grid = colour.grid()
    assert np.nanmin(grid) >= 0 and np.nanmax(grid) <= 1
    assert png_bytes(colorize(grid)).startswith(b"\x89PNG")


def test_filters_refuse_a_model_without_conv_and_a_layer_that_is_not_conv():
    with pytest.raises(CnnlabError, match="no convolution layers"):
        filters(_model("mlp"))
    with pytest.raises(CnnlabError, match="not a Conv2d"):
        filters(_model("lenet5"), "features.2")
    with pytest.raises(CnnlabError, match="no layer 'nope'.*features.0"):
        filters(_model("lenet5"), "nope")


def test_feature_maps_equal_each_layer_output_and_leave_no_hook():
    lenet = _model("lenet5")
    x = torch.randn(1, 28, 28)
    maps = feature_maps(lenet, x)
    assert [(m.layer, m.kind, m.maps.shape) for m in maps] == [
        ("features.0", "Conv2d", (6, 28, 28)),
        ("features.2", "MaxPool2d", (6, 14, 14)),
        ("features.3", "Conv2d", (16, 10, 10)),
        ("features.5", "MaxPool2d", (16, 5, 5)),
    ]
    conv = lenet.features[0]
    expected = F.conv2d(x[None], conv.weight, conv.bias, padding=conv.padding)[0]
    np.testing.assert_allclose(maps[0].maps, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert all(not m._forward_hooks for m in lenet.modules())
    only = feature_maps(lenet, x, layers=["features.3"])
    np.testing.assert_array_equal(only[0].maps, maps[2].maps)


def test_saliency_of_a_linear_model_is_the_absolute_weight_of_the_target_class():
    slp = _model("slp")
    linear = [m for m in slp.modules() if isinstance(m, nn.Linear)][0]
    x = torch.randn(1, 28, 28)
    for target in (0, 7):
        expected = linear.weight[target].abs().reshape(28, 28).detach().numpy()
        np.testing.assert_allclose(saliency(slp, x, target), expected, rtol=1e-6)


def test_grad_cam_matches_the_formula_for_conv_global_pool_linear():
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)
    ).eval()
    x = torch.randn(1, 8, 8)
    target = 2
    A = model[0](x[None]).detach()[0]  # (4, 8, 8): the last conv layer's output
    # score = sum_k W[t,k] * mean_ij relu(A_k): d score / d A_k = W[t,k]/64 where A_k > 0, else 0
    gradient = (model[4].weight[target].detach()[:, None, None] / 64) * (A > 0)
    cam = F.relu((gradient.mean((1, 2))[:, None, None] * A).sum(0))
    expected = (cam / cam.max()).numpy()  # same size as the input: the upsampling is the identity
    np.testing.assert_allclose(grad_cam(model, x, target), expected, rtol=1e-5, atol=1e-6)


# Every classifier of the zoo on 3x32x32, and those made for MNIST also on 1x28x28 (the field-to-field nets
# unet and fcn-resnet are not classifiers; resnet56/plain56 are resnet20/plain20 with more blocks of the same kind).
MNIST_MODELS = {"lenet5", "keras-cnn", "simple-convnet", "deep-convnet", "fast-cnn", "slp", "mlp", "two-layer-net"}
IMAGE_MODELS = [(name, 3) for name in list_models() if name not in ("unet", "fcn-resnet", "resnet56", "plain56")]
IMAGE_MODELS += [(name, 1) for name in sorted(MNIST_MODELS)]


@pytest.mark.parametrize("name,channels", IMAGE_MODELS)
def test_every_image_model_gets_its_pictures(name, channels):
    shape = (channels, 32, 32) if channels == 3 else (1, 28, 28)
    try:
        model = _model(name, shape)
    except CnnlabError:
        pytest.skip(f"{name} does not take {shape}")
    x = torch.randn(shape)
    assert saliency(model, x, 3).shape == shape[1:]
    has_conv = any(isinstance(m, nn.Conv2d) for m in model.modules())
    if not has_conv:
        with pytest.raises(CnnlabError, match="no convolution layers"):
            grad_cam(model, x, 3)
        return
    cam = grad_cam(model, x, 3)
    assert cam.shape == shape[1:] and cam.min() >= 0 and cam.max() <= 1
    maps = feature_maps(model, x)
    assert maps and all(m.maps.ndim == 3 for m in maps)
    assert filters(model).weights.ndim == 4


def test_embedding_pca_of_pixels_is_sklearns_pca_and_features_are_the_last_linear_input():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    images = rng.normal(size=(60, 1, 28, 28)).astype(np.float32)
    labels = np.repeat(np.arange(3), 20)
    images[labels == 1] += 3.0  # three well separated clusters
    images[labels == 2] -= 3.0
    flat = images.reshape(60, -1)
    pca = embedding(None, images, labels, method="pca", space="pixels")
    expected = PCA(2, random_state=0).fit_transform(flat)
    np.testing.assert_allclose(np.abs(pca.points), np.abs(expected), rtol=1e-3, atol=1e-3)
    assert pca.neighbour_accuracy == 1.0 and pca.dimensions == 784
    tsne = embedding(None, images, labels, method="tsne", space="pixels")
    assert tsne.points.shape == (60, 2) and tsne.neighbour_accuracy == 1.0
    lenet = _model("lenet5")
    features = penultimate_features(lenet, torch.from_numpy(images))
    assert features.shape == (60, 84)  # fc120 -> fc84 -> fc10: the classifier reads 84 features
    assert embedding(lenet, torch.from_numpy(images), labels, method="pca").dimensions == 84
    with pytest.raises(CnnlabError, match="not one of tsne, pca"):
        embedding(None, images, labels, method="umap", space="pixels")


def test_misclassified_orders_mistakes_by_confidence_and_per_class_accuracy_is_recall():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.05, 0.95], [0.7, 0.3]])
    labels = np.array([0, 0, 1, 1, 1])
    mistakes = misclassified(probabilities, labels, count=5)
    assert mistakes.total_wrong == 3
    assert mistakes.indices.tolist() == [1, 4, 2] and mistakes.predicted.tolist() == [1, 0, 0]
    np.testing.assert_allclose(mistakes.confidence, [0.8, 0.7, 0.6])
    accuracy = per_class_accuracy(np.array([[3, 1, 0], [0, 0, 0], [2, 2, 4]]))
    np.testing.assert_allclose(accuracy[[0, 2]], [0.75, 0.5])
    assert np.isnan(accuracy[1])


def test_tile_leaves_nan_gaps_between_cells():
    grid = tile(np.ones((5, 2, 3)), columns=3)
    assert grid.shape == (2 * 3 - 1, 3 * 4 - 1)
    assert np.isnan(grid[2]).all() and np.isnan(grid[:, 3]).all() and np.isnan(grid[3:, 8:]).all()
    assert np.nansum(grid) == 5 * 6
