import pytest
import torch

from cnnlab.errors import CnnlabError
from cnnlab.inspect import summary
from cnnlab.models import create_model


def test_vgg_refuses_inputs_smaller_than_its_five_pools():
    for name in ("vgg11", "vgg16"):
        with pytest.raises(CnnlabError, match="too small"):
            create_model(name, (1, 28, 28), 10)


@pytest.mark.parametrize(
    "name,shape,params",
    [
        ("slp", (1, 28, 28), 7_850),  # 784*10 + 10 (the lecture counts the 7,840 weights)
        ("mlp", (1, 28, 28), 79_510),  # 784*100+100 + 100*10+10
        ("mlp-cifar", (3, 32, 32), 3072 * 100 + 100 + 4 * (100 * 100 + 100) + 100 * 10 + 10),
        ("lenet5", (3, 32, 32), 62_006),  # the classic count for 3-channel LeNet-5
        ("keras-cnn", (1, 28, 28), 93_322),  # the Keras lecture's model.summary()
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
