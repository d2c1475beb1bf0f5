import pytest
import torch
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.inspect import summary
from cnnlab.models import create_model, list_models, model_info

CLASSIFIERS = [m for m in list_models() if model_info(m).family in ("perceptron", "lenet", "keras_cnn", "cifar_cnn", "vgg", "resnet")]
SMALL_INPUT_FAILS = {"vgg11", "vgg16"}  # five 2x2 pools need at least 32x32


@pytest.mark.parametrize("name", CLASSIFIERS)
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_every_model_trains_one_step(name, shape):
    if shape == (1, 28, 28) and name in SMALL_INPUT_FAILS:
        with pytest.raises(CnnlabError, match="too small"):
            create_model(name, shape, 10)
        return
    torch.manual_seed(0)
    model = create_model(name, shape, num_classes=7)
    x = torch.randn(4, *shape)
    logits = model(x)
    assert logits.shape == (4, 7) and torch.isfinite(logits).all()
    loss = nn.functional.cross_entropy(logits, torch.arange(4) % 7)
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    table = summary(model, shape, name)
    assert table.total_params == sum(p.numel() for p in model.parameters())
    assert table.layers[-1].output_shape == [7]


@pytest.mark.parametrize(
    "name,shape,params",
    [
        ("slp", (1, 28, 28), 7_850),  # 784*10 + 10 (SEEDS.md C: 7,840 weights)
        ("mlp", (1, 28, 28), 79_510),  # 784*100+100 + 100*10+10
        ("mlp-cifar", (3, 32, 32), 3072 * 100 + 100 + 4 * (100 * 100 + 100) + 100 * 10 + 10),
        ("lenet5", (3, 32, 32), 62_006),  # the classic count for 3-channel LeNet-5
        ("keras-cnn", (1, 28, 28), 93_322),  # SEEDS.md E
        ("resnet20", (3, 32, 32), 269_722),  # He et al.: 0.27M
        ("resnet56", (3, 32, 32), 853_018),  # He et al.: 0.85M
        ("resnet18", (3, 32, 32), 11_173_962),
    ],
)
def test_parameter_counts_match_the_literature(name, shape, params):
    model = create_model(name, shape, 10)
    assert sum(p.numel() for p in model.parameters()) == params


def test_plain_nets_have_the_same_layers_as_resnets_without_shortcuts():
    x = torch.randn(2, 3, 32, 32)
    plain, res = create_model("plain20", (3, 32, 32), 10), create_model("resnet20", (3, 32, 32), 10)
    res.load_state_dict(plain.state_dict())
    assert not torch.allclose(plain.eval()(x), res.eval()(x))  # same weights, only the shortcut differs


def test_cifar_cnn_feature_maps_follow_the_lecture():
    model = create_model("cifar-cnn", (3, 32, 32), 10)
    shapes = [r.output_shape for r in summary(model, (3, 32, 32)).layers if r.type == "Conv2d"]
    assert shapes[:2] == [[32, 28, 28], [32, 24, 24]]


def test_lenet5_pads_only_28x28_inputs():
    first = lambda m: m.features[0]  # noqa: E731
    assert first(create_model("lenet5", (1, 28, 28), 10)).padding == (2, 2)
    assert first(create_model("lenet5", (3, 32, 32), 10)).padding == (0, 0)


def test_unknown_model_and_option_errors_name_the_valid_choices():
    with pytest.raises(CnnlabError, match="choose one of: .*lenet5"):
        create_model("lenet6")
    with pytest.raises(CnnlabError, match="its options are: padding, dropout"):
        create_model("lenet5", (1, 28, 28), 10, width=3)


def test_input_too_small_names_the_layer_and_the_formula():
    with pytest.raises(CnnlabError) as error:
        create_model("lenet5", (1, 8, 8), 10)
    message = str(error.value)
    assert "features.3" in message and "floor((4 + 2*0 - 1*(5-1) - 1)/1) + 1 = 0" in message
