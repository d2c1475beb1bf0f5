"""Every registered model builds, runs forward and backward, and has a summary, for its family's inputs.

A family missing from FAMILIES fails the test: whoever adds a family adds its row here.
"""

from dataclasses import dataclass, field

import pytest
import torch
from torch import nn

from cnnlab.inspect import summary
from cnnlab.models import create_model, list_models, model_info


@dataclass(frozen=True)
class Family:
    shapes: tuple  # input shapes (C, H, W) the family must accept
    output: str = "classes"  # "classes": (N, K) logits; "grid": (N, K, H, W), one score map per class
    options: dict = field(default_factory=dict)  # small widths, to keep the test quick


FAMILIES = {
    "perceptron": Family(((1, 28, 28), (3, 32, 32))),
    "lenet": Family(((1, 28, 28), (3, 32, 32))),
    "keras_cnn": Family(((1, 28, 28), (3, 32, 32))),
    "cifar_cnn": Family(((1, 28, 28), (3, 32, 32))),
    "vgg": Family(((3, 32, 32),)),  # five 2x2 pools need at least 32x32
    "resnet": Family(((1, 28, 28), (3, 32, 32))),
    "from_scratch": Family(((1, 28, 28), (3, 32, 32))),
    "airbench": Family(((1, 28, 28), (3, 32, 32))),
    "fcn_resnet": Family(((7, 25, 53), (2, 9, 16)), "grid", {"width": 8}),
    "unet": Family(((7, 25, 53), (2, 9, 16)), "grid", {"width": 8}),
    "alexnet": Family(((1, 28, 28), (3, 32, 32)), options={"width": 16}),
    "googlenet": Family(((1, 28, 28), (3, 32, 32)), options={"width": 0.25}),
    "unet_classifier": Family(((1, 28, 28), (3, 32, 32)), options={"width": 8}),
    "conv_stack": Family(((1, 28, 28), (3, 32, 32))),
}

UNKNOWN = Family((None,))  # one case per model of an unknown family, which then fails
CASES = [(name, shape) for name in list_models() for shape in FAMILIES.get(model_info(name).family, UNKNOWN).shapes]


def test_every_family_has_a_row():
    unknown = sorted({model_info(name).family for name in list_models()} - set(FAMILIES))
    assert not unknown, f"add a row to FAMILIES in {__file__} for the model families {unknown}"


@pytest.mark.parametrize("name,shape", CASES, ids=[f"{n}-{'x'.join(map(str, s or ()))}" for n, s in CASES])
def test_every_model_runs_forward_and_backward(name, shape):
    family = FAMILIES.get(model_info(name).family)
    if family is None:
        pytest.fail(f"no row in FAMILIES for family {model_info(name).family!r} of model {name!r}")
    torch.manual_seed(0)
    classes = 3
    model = create_model(name, shape, classes, **family.options)
    x = torch.randn(2, *shape)
    y = model(x)
    expected = (2, classes) if family.output == "classes" else (2, classes, *shape[1:])
    assert tuple(y.shape) == expected and torch.isfinite(y).all()
    if family.output == "classes":
        loss = nn.functional.cross_entropy(y, torch.tensor([0, 2]))
    else:
        loss = nn.functional.cross_entropy(y, torch.randint(0, classes, (2, *shape[1:])))
    loss.backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert trainable, f"{name} has nothing to train"
    missing = [n for n, p in trainable if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, f"{name}: no finite gradient for {missing}"
    table = summary(model, shape, name)
    assert table.total_params == sum(p.numel() for p in model.parameters())
    assert table.layers[-1].output_shape == list(expected[1:])
