import os

import pytest
import torch
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.train.checkpoint import load_state, load_weights, save_weights


def test_weights_round_trip_with_metadata(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    model[1].running_mean.fill_(3.0)
    save_weights(model, tmp_path / "w.safetensors", {"model": "toy", "epoch": 2})
    other = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    meta = load_weights(other, tmp_path / "w.safetensors", "toy")
    assert meta == {"model": "toy", "epoch": 2}
    for a, b in zip(model.state_dict().values(), other.state_dict().values()):
        assert torch.equal(a, b)


def test_loading_into_another_model_names_both(tmp_path):
    save_weights(nn.Linear(3, 4), tmp_path / "w.safetensors", {"model": "slp"})
    with pytest.raises(CnnlabError, match="written for slp, not for mlp .*weight has shape \\(4, 3\\)"):
        load_weights(nn.Linear(5, 4), tmp_path / "w.safetensors", "mlp")


def test_state_files_refuse_pickled_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    torch.save({"evil": Evil()}, tmp_path / "bad.pt")
    with pytest.raises(CnnlabError, match="cannot read training state"):
        load_state(tmp_path / "bad.pt")
