import torch
import torch.nn.functional as F

from cnnlab.models import create_model
from cnnlab.models.airbench import FrozenScaleBatchNorm, PatchWhitening, patch_whitening_weights


def _correlated_images(n=400, seed=0):
    # smooth images: neighbouring pixels strongly correlated, channels mixed
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 12, 12, generator=g)
    x = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    return x + 0.5 * x.mean(1, keepdim=True)


def test_whitening_decorrelates_2x2_patches_to_unit_variance():
    x = _correlated_images()
    raw = F.unfold(x, 2).transpose(1, 2).reshape(-1, 12)
    raw_corr = torch.corrcoef(raw.T)
    assert (raw_corr - torch.eye(12)).abs().max() > 0.5  # the input is far from white
    layer = PatchWhitening(3)
    layer.fit(x)
    out = layer(x)[:, :12]  # the first half; the second half is its negation
    feats = out.permute(0, 2, 3, 1).reshape(-1, 12).double()
    cov = torch.cov(feats.T)
    off_diagonal = cov - torch.diag(cov.diag())
    assert off_diagonal.abs().max() < 1e-3  # decorrelated
    # unit variance, up to the eps of 1/sqrt(lambda + eps): var_i = lambda_i / (lambda_i + eps)
    eigenvalues = torch.linalg.eigvalsh(torch.cov(raw.T.double())).flip(0)
    torch.testing.assert_close(cov.diag(), eigenvalues / (eigenvalues + 5e-4), atol=1e-3, rtol=0)
    assert cov.diag().min() > 0.9
    torch.testing.assert_close(layer(x)[:, 12:], -layer(x)[:, :12])


def test_whitening_filters_are_the_scaled_eigenvectors_of_the_patch_covariance():
    x = _correlated_images(100, seed=1)
    w = patch_whitening_weights(x, eps=0.0)[:12].reshape(12, 12).double()
    patches = F.unfold(x.double(), 2).transpose(1, 2).reshape(-1, 12)
    sigma = torch.cov(patches.T)
    torch.testing.assert_close(w @ sigma @ w.T, torch.eye(12, dtype=torch.float64), atol=1e-6, rtol=0)  # W S W^T = I


def test_frozen_parts_do_not_train():
    model = create_model("fast-cnn", (1, 28, 28), 10)
    frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
    assert "whiten.weight" in frozen and all(
        isinstance(model.get_submodule(n.rsplit(".", 1)[0]), (PatchWhitening, FrozenScaleBatchNorm)) for n in frozen
    )
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    F.cross_entropy(model(torch.randn(8, 1, 28, 28)), torch.arange(8)).backward()
    opt.step()
    for name, p in model.named_parameters():
        assert torch.equal(p, before[name]) == (name in frozen), name


def test_airbench_shapes_and_logit_scale():
    model = create_model("airbench", (3, 32, 32), 10)
    x = torch.randn(2, 3, 32, 32)
    assert model(x).shape == (2, 10)
    assert model.whiten.out_channels == 24 and [g.conv2.out_channels for g in model.groups] == [64, 256, 256]
    model.eval()
    features = model.pool(model.groups(model.act(model.whiten(x)))).flatten(1)
    torch.testing.assert_close(model(x), model.head(features) / 9)
