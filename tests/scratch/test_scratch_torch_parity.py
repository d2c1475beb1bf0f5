"""The scratch layers, networks and optimisers equal PyTorch's in float64 (to 1e-6 or better)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnlab.models import create_model
from cnnlab.scratch import (
    SCRATCH_OPTIMIZERS,
    Affine,
    AvgPool2d,
    BatchNorm,
    Conv2d,
    Dropout,
    MaxPool2d,
    ReLU,
    Sigmoid,
    SoftmaxCrossEntropy,
    Tanh,
    build_scratch_optimizer,
    create_scratch_model,
)

ATOL = 1e-10


def arr(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def torch_forward_backward(fn, x, dout, *params):
    """y = fn(x, *params) with autograd; returns y and the gradients w.r.t. x and params for dL/dy = dout."""
    xt = torch.tensor(x, requires_grad=True)
    pts = [torch.tensor(p, requires_grad=True) for p in params]
    y = fn(xt, *pts)
    y.backward(torch.tensor(dout))
    return y.detach().numpy(), xt.grad.numpy(), [p.grad.numpy() for p in pts]


def test_affine_matches_linear():
    layer = Affine(5, 3, "he", np.random.default_rng(0), np.float64)
    x, dout = arr(4, 5), arr(4, 3, seed=1)
    y = layer.forward(x)
    dx = layer.backward(dout)
    ty, tdx, (tdw, tdb) = torch_forward_backward(F.linear, x, dout, layer.params["weight"], layer.params["bias"])
    np.testing.assert_allclose(y, ty, atol=ATOL)
    np.testing.assert_allclose(dx, tdx, atol=ATOL)
    np.testing.assert_allclose(layer.grads["weight"], tdw, atol=ATOL)
    np.testing.assert_allclose(layer.grads["bias"], tdb, atol=ATOL)


@pytest.mark.parametrize("kernel,stride,padding", [(3, 1, 1), (5, 1, 0), ((3, 2), 2, (1, 0))])
def test_conv2d_matches_torch(kernel, stride, padding):
    layer = Conv2d(3, 4, kernel, stride, padding, "he", np.random.default_rng(0), np.float64)
    x = arr(2, 3, 9, 8)
    y = layer.forward(x)
    dout = arr(*y.shape, seed=1)
    dx = layer.backward(dout)
    fn = lambda xt, w, b: F.conv2d(xt, w, b, stride=stride, padding=padding)  # noqa: E731
    ty, tdx, (tdw, tdb) = torch_forward_backward(fn, x, dout, layer.params["weight"], layer.params["bias"])
    np.testing.assert_allclose(y, ty, atol=ATOL)
    np.testing.assert_allclose(dx, tdx, atol=ATOL)
    np.testing.assert_allclose(layer.grads["weight"], tdw, atol=ATOL)
    np.testing.assert_allclose(layer.grads["bias"], tdb, atol=ATOL)


@pytest.mark.parametrize(
    "layer,fn",
    [
        (MaxPool2d(2), lambda x: F.max_pool2d(x, 2)),
        (MaxPool2d(3, 2, 1), lambda x: F.max_pool2d(x, 3, 2, 1)),
        (AvgPool2d(2), lambda x: F.avg_pool2d(x, 2)),
        (AvgPool2d(3, 2, 1), lambda x: F.avg_pool2d(x, 3, 2, 1)),
        (ReLU(), torch.relu),
        (Sigmoid(), torch.sigmoid),
        (Tanh(), torch.tanh),
    ],
    ids=["maxpool", "maxpool-overlap", "avgpool", "avgpool-overlap", "relu", "sigmoid", "tanh"],
)
def test_parameter_free_layers_match_torch(layer, fn):
    x = arr(2, 3, 7, 6)  # 7 rows: the 2x2 pools drop the last one, as torch's floor mode does
    y = layer.forward(x)
    dout = arr(*y.shape, seed=1)
    ty, tdx, _ = torch_forward_backward(fn, x, dout)
    np.testing.assert_allclose(y, ty, atol=ATOL)
    np.testing.assert_allclose(layer.backward(dout), tdx, atol=ATOL)


@pytest.mark.parametrize("spatial", [False, True])
def test_batchnorm_matches_torch_in_training_and_evaluation(spatial):
    shape = (6, 3, 4, 5) if spatial else (6, 3)
    layer = BatchNorm(3, spatial, dtype=np.float64)
    layer.params["weight"], layer.params["bias"] = arr(3, seed=2) + 1, arr(3, seed=3)
    torch_bn = (torch.nn.BatchNorm2d(3) if spatial else torch.nn.BatchNorm1d(3)).double()
    with torch.no_grad():
        torch_bn.weight.copy_(torch.tensor(layer.params["weight"]))
        torch_bn.bias.copy_(torch.tensor(layer.params["bias"]))
    for step in range(3):  # the running statistics follow torch's over several batches
        x, dout = arr(*shape, seed=10 + step) * 2 + 1, arr(*shape, seed=20 + step)
        y = layer.forward(x, train=True)
        dx = layer.backward(dout)
        xt = torch.tensor(x, requires_grad=True)
        torch_bn.zero_grad()
        ty = torch_bn(xt)
        ty.backward(torch.tensor(dout))
        np.testing.assert_allclose(y, ty.detach().numpy(), atol=ATOL)
        np.testing.assert_allclose(dx, xt.grad.numpy(), atol=ATOL)
        np.testing.assert_allclose(layer.grads["weight"], torch_bn.weight.grad.numpy(), atol=ATOL)
        np.testing.assert_allclose(layer.grads["bias"], torch_bn.bias.grad.numpy(), atol=ATOL)
    np.testing.assert_allclose(layer.buffers["running_mean"], torch_bn.running_mean.numpy(), atol=ATOL)
    np.testing.assert_allclose(layer.buffers["running_var"], torch_bn.running_var.numpy(), atol=ATOL)
    x = arr(*shape, seed=99)
    torch_bn.eval()
    np.testing.assert_allclose(layer.forward(x, train=False), torch_bn(torch.tensor(x)).detach().numpy(), atol=ATOL)


def test_dropout_scales_kept_units_and_is_the_identity_in_evaluation():
    layer = Dropout(0.25)
    x = np.ones((200, 500))
    y = layer.forward(x, train=True)
    assert set(np.unique(y)) == {0.0, 1 / 0.75}
    assert abs((y == 0).mean() - 0.25) < 0.01  # 100,000 draws: the standard error is 0.0014
    assert abs(y.mean() - 1.0) < 0.02  # inverted scaling keeps the expectation
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), y)
    assert layer.forward(x, train=False) is x


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_softmax_cross_entropy_matches_torch(smoothing):
    logits, labels = arr(5, 4) * 3, np.array([0, 3, 1, 1, 2])
    loss_layer = SoftmaxCrossEntropy(smoothing)
    loss = loss_layer.forward(logits, labels)
    zt = torch.tensor(logits, requires_grad=True)
    tloss = F.cross_entropy(zt, torch.tensor(labels), label_smoothing=smoothing)
    tloss.backward()
    assert abs(loss - tloss.item()) < ATOL
    np.testing.assert_allclose(loss_layer.backward(), zt.grad.numpy(), atol=ATOL)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    loss = SoftmaxCrossEntropy().forward(np.array([[1000.0, 0.0], [0.0, -1000.0]]), np.array([0, 0]))
    assert loss == pytest.approx(0.0, abs=1e-12)


NETWORKS = [
    ("two-layer-net", {}, (4, 1, 28, 28)),
    ("mlp", {"hidden": (20, 10), "activation": "sigmoid"}, (4, 1, 28, 28)),
    ("simple-convnet", {"filters": 4, "hidden": 8}, (3, 1, 28, 28)),
    ("deep-convnet", {"hidden": 12}, (2, 1, 28, 28)),
]


@pytest.mark.parametrize("name,options,shape", NETWORKS, ids=[n[0] for n in NETWORKS])
def test_network_logits_and_gradients_equal_its_torch_twin(name, options, shape):
    net = create_scratch_model(name, (1, 28, 28), 10, seed=3, dtype=np.float64, **options)
    model = create_model(name, (1, 28, 28), 10, **options).double().eval()  # eval: no dropout on either side
    model.load_state_dict({k: torch.tensor(v) for k, v in net.state_dict().items()})
    x, labels = arr(*shape, seed=4), np.arange(shape[0]) % 10
    loss, grads = net.gradient(x, labels, train=False)
    logits = model(torch.tensor(x))
    tloss = F.cross_entropy(logits, torch.tensor(labels))
    tloss.backward()
    np.testing.assert_allclose(net.logits, logits.detach().numpy(), atol=1e-9)
    assert abs(loss - tloss.item()) < 1e-9
    torch_grads = {k: p.grad.numpy() for k, p in model.named_parameters()}
    assert set(torch_grads) == set(grads)
    for key, g in torch_grads.items():
        np.testing.assert_allclose(grads[key], g, atol=1e-9, err_msg=key)


TORCH_OPTIMIZERS = {
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
    "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.99),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
}


@pytest.mark.parametrize("name", SCRATCH_OPTIMIZERS)
def test_optimizer_steps_give_torchs_new_weights(name):
    params = {"w": arr(4, 3), "b": arr(3, seed=1)}
    torch_params = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    ours = build_scratch_optimizer(name, lr=0.05, momentum=0.9)
    theirs = TORCH_OPTIMIZERS[name](list(torch_params.values()), 0.05)
    for step in range(3):  # three steps: the optimiser's state (velocity, moments) is used, not only made
        grads = {"w": arr(4, 3, seed=10 + step), "b": arr(3, seed=20 + step)}
        ours.step(params, grads)
        for k, p in torch_params.items():
            p.grad = torch.tensor(grads[k])
        theirs.step()
        for k in params:
            np.testing.assert_allclose(
                params[k],
                torch_params[k].detach().numpy(),
                rtol=1e-12,
                atol=1e-12,
                err_msg=f"{name} step {step + 1} {k}",
            )


def test_weight_decay_step_equals_torchs_weight_decay():
    net = create_scratch_model("two-layer-net", (1, 4, 4), 3, dtype=np.float64, weight_decay=0.1, hidden=5)
    model = create_model("two-layer-net", (1, 4, 4), 3, hidden=5).double()
    model.load_state_dict({k: torch.tensor(v) for k, v in net.state_dict().items()})
    x, labels = arr(6, 1, 4, 4), np.array([0, 1, 2, 0, 1, 2])
    _, grads = net.gradient(x, labels)
    build_scratch_optimizer("sgd", 0.5).step(net.params(), grads)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    rest = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.SGD([{"params": decay, "weight_decay": 0.1}, {"params": rest}], lr=0.5)
    F.cross_entropy(model(torch.tensor(x)), torch.tensor(labels)).backward()
    optimizer.step()
    for key, p in model.state_dict().items():
        np.testing.assert_allclose(net.state_dict()[key], p.numpy(), atol=1e-12, err_msg=key)
