import pytest
import torch
from torch import nn

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
        # conv 3*121*64+64, 64*25*192+192, 192*9*384+384, 384*9*256+256, 256*9*256+256; fc 256*2*2 -> 1024 -> 1024 -> 10
        ("alexnet", (3, 32, 32), 23_296 + 307_392 + 663_936 + 884_992 + 590_080 + 1_049_600 + 1_049_600 + 10_250),
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


def test_alexnet_keeps_the_paper_kernels_and_overlapping_pools():
    model = create_model("alexnet", (1, 28, 28), 10)
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    assert [c.kernel_size[0] for c in convs] == [11, 5, 3, 3, 3]
    pools = [m for m in model.features if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 3 and all(p.kernel_size == 3 and p.stride == 2 for p in pools)  # windows overlap
    assert sum(isinstance(m, nn.Dropout) for m in model.classifier) == 2
    narrow = create_model("alexnet", (3, 32, 32), 10, width=16)
    assert [c.out_channels for c in narrow.features if isinstance(c, nn.Conv2d)] == [16, 48, 96, 64, 64]


def test_googlenet_concatenates_four_branches_and_summary_shows_them():
    from cnnlab.models.googlenet import BLOCKS, Inception

    block = Inception(192, *BLOCKS["inception3a"])
    assert block(torch.randn(2, 192, 8, 8)).shape == (2, 64 + 128 + 32 + 32, 8, 8)  # 256, the paper's 3a output
    # 1x1: 192*64; 3x3: 192*96 + 96*9*128; 5x5: 192*16 + 16*25*32; pool: 192*32; plus 2 per channel of batch norm
    convs = 192 * 64 + 192 * 96 + 96 * 9 * 128 + 192 * 16 + 16 * 25 * 32 + 192 * 32
    norms = 2 * (64 + 96 + 128 + 16 + 32 + 32)
    assert sum(p.numel() for p in block.parameters()) == convs + norms
    names = [row.name for row in summary(create_model("googlenet", (3, 32, 32), 10, width=0.25), (3, 32, 32)).layers]
    for branch in ("branch1x1", "branch3x3", "branch5x5", "branch_pool"):
        assert any(n.startswith(f"blocks.inception3a.{branch}.") for n in names)
    assert sum(n.endswith("branch5x5.1.0") for n in names) == 9  # nine Inception blocks, 3a .. 5b


def test_unet_classifier_upsamples_by_the_lecture_rule():
    model = create_model("unet-classifier", (3, 32, 32), 10, width=8)
    convs = [m for m in model.modules() if type(m) is nn.Conv2d]
    assert all(c.kernel_size == (5, 5) and c.stride == (1, 1) and c.padding == (2, 2) for c in convs)
    ups = [m for m in model.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(u.kernel_size, u.stride, u.padding) for u in ups] == [((4, 4), (2, 2), (1, 1))] * 2  # N = 2: 2N, N, N/2
    rows = summary(model, (3, 32, 32)).layers
    assert [r.output_shape[1:] for r in rows if r.type == "ConvTranspose2d"] == [[16, 16], [32, 32]]
    with pytest.raises(CnnlabError, match="must divide by 8"):
        create_model("unet-classifier", (1, 28, 28), 10, depth=3)
