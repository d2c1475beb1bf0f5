"""Rollouts: the offsets they reach, parity of one application with the one-step forecast, the sliding window,
and the multi-step loss (equal to the one-step loss for one application, differentiable through two)."""

import numpy as np
import pytest
import torch

from cnnlab.errors import CnnlabError
from cnnlab.geo.forecast_data import build_forecast_data, stack_inputs
from cnnlab.geo.gridded import GridSelection, open_gridded, select
from cnnlab.geo.rollout import (
    RolloutModel,
    complete_rollout_index,
    rollout,
    rollout_applications,
    rollout_loss,
    rollout_offsets,
)
from cnnlab.models import create_model
from geo_testing import SMALL_GRID_RUN, make_grid_dataset, write

pytest.importorskip("xarray")


def _forecast_data(tmp_path, leads=("6h",), history=2):
    data = write(make_grid_dataset(times=80), tmp_path, "netcdf4")
    da = select(open_gridded(data), GridSelection(variables=("t2m",)))
    periods = {"train": ("2000-01-01", "2000-01-12T23:59"), "test": ("2000-01-13", "2000-01-20T23:59")}
    return build_forecast_data(da, data, list(leads), history, periods)


def _model(fd, seed=0):
    torch.manual_seed(seed)
    return create_model(
        "unet", (fd.in_channels, *fd.fields.shape[-2:]), fd.out_channels, output="field", width=4, depth=1
    ).eval()


def _rollout_model(fd, model):
    return RolloutModel.from_statistics(model, fd.statistics(), fd.lat, fd.lon)


def test_offsets_and_lengths():
    zero = torch.nn.Identity()
    rm = RolloutModel(zero, np.zeros(1), np.ones(1), np.ones((1, 1)), (1,), 3, np.timedelta64(6, "h"))
    assert rollout_applications("72h", rm) == 12 and rollout_applications("5d", rm) == 20
    assert rollout_offsets(rm, 3) == [1, 2, 3]
    with pytest.raises(CnnlabError, match="not a positive multiple"):
        rollout_applications("9h", rm)
    four = RolloutModel(zero, np.zeros(1), np.ones(1), np.ones((4, 1)), (1, 2, 3, 4), 3, np.timedelta64(6, "h"))
    assert rollout_offsets(four, 2) == list(range(1, 9))
    gap = RolloutModel(zero, np.zeros(1), np.ones(1), np.ones((1, 1)), (2,), 2, np.timedelta64(6, "h"))
    with pytest.raises(CnnlabError, match="needs its forecast 1 steps ahead"):
        rollout_offsets(gap, 2)
    assert complete_rollout_index(np.arange(10, 20), rm, 3).tolist() == list(range(10, 18))


def test_one_application_is_the_one_step_forecast(tmp_path):
    fd = _forecast_data(tmp_path, leads=("6h", "12h"))
    model = _model(fd)
    index = fd.splits["test"][:7]
    with torch.no_grad():
        expected = fd.to_fields(model(fd.inputs(index)).numpy(), index)
    offsets, got = rollout(_rollout_model(fd, model), fd.past(index), fd.times[index], 1)
    assert offsets == [1, 2]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)


def test_second_application_reads_the_first_forecast_as_its_newest_field(tmp_path):
    fd = _forecast_data(tmp_path, leads=("6h",), history=2)
    model = _model(fd)
    index = fd.splits["test"][:5]
    offsets, got = rollout(_rollout_model(fd, model), fd.past(index), fd.times[index], 2)
    first = got[:, 0]
    past = np.stack([first, fd.fields[index]], axis=1)  # x[t+1] (forecast), x[t]
    x = torch.from_numpy(stack_inputs(past, fd.times[index] + fd.step, fd.mean, fd.std, False, False, fd.lat, fd.lon))
    with torch.no_grad():
        second = first + model(x).numpy() * fd.residual_std[0][:, None, None]
    assert offsets == [1, 2]
    np.testing.assert_allclose(got[:, 1], second, rtol=0, atol=1e-4)
    assert not np.allclose(got[:, 1], fd.fields[index + 2], atol=1e-3)  # a forecast, not the truth


def _truth(fd, index):
    def truth(offset):
        values = torch.from_numpy(fd.fields[index + offset])
        return values, torch.isfinite(values).float()

    return truth


def _plain_mse(prediction, target, mask):
    return (mask * (prediction - target) ** 2).sum() / mask.sum()


def test_rollout_loss_of_one_application_is_the_one_step_loss(tmp_path):
    fd = _forecast_data(tmp_path)
    model = _model(fd)
    index = fd.splits["train"][:16]
    x, y, m = fd.sample(index)
    one_step = _plain_mse(model(x), y, m)
    rm = _rollout_model(fd, model)
    loss = rollout_loss(rm, torch.from_numpy(fd.past(index)), fd.times[index], _truth(fd, index), 1, _plain_mse)
    assert loss.item() == pytest.approx(one_step.item(), rel=1e-4)


def test_two_step_loss_backpropagates_through_both_applications(tmp_path):
    fd = _forecast_data(tmp_path)
    model = _model(fd)
    rm = _rollout_model(fd, model)
    index = complete_rollout_index(fd.splits["train"], rm, 2)[:16]
    one = rollout_loss(rm, torch.from_numpy(fd.past(index)), fd.times[index], _truth(fd, index), 1, _plain_mse)
    two = rollout_loss(rm, torch.from_numpy(fd.past(index)), fd.times[index], _truth(fd, index), 2, _plain_mse)
    assert two.item() != pytest.approx(one.item(), rel=1e-3)
    two.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads) and any(g.abs().sum() > 0 for g in grads)


def test_rollout_training_continues_from_the_loop_s_first_output(tmp_path):
    from cnnlab.geo.rollout import RolloutTraining

    fd = _forecast_data(tmp_path)
    model = _model(fd)
    training = RolloutTraining(fd, 2, _plain_mse)
    training.bind(model)
    index = training.train_index(fd.splits["train"])
    assert index[-1] == fd.splits["train"][-1] - 1  # one more 6 h step must stay in the period
    batch = training.sample(index[:8])
    assert batch[-1].tolist() == index[:8].tolist()
    loss = training.loss(model(batch[0]), batch)
    direct = rollout_loss(
        _rollout_model(fd, model),
        torch.from_numpy(fd.past(index[:8])),
        fd.times[index[:8]],
        _truth(fd, index[:8]),
        2,
        _plain_mse,
    )
    assert loss.item() == pytest.approx(direct.item(), rel=1e-5)


def test_cli_forecast_trains_on_two_steps_and_rolls_out_to_every_multiple_of_the_lead(tmp_path):
    import json

    import xarray as xr

    from cnnlab.cli import main

    data = write(make_grid_dataset(times=80), tmp_path, "netcdf4")
    run = tmp_path / "run"
    code = main(
        [
            "train",
            "--data",
            data,
            "--task",
            "forecast",
            "--variable",
            "t2m",
            "--lead",
            "6h",
            "--history",
            "2",
            "--train-rollout",
            "2",
            "--rollout",
            "18h",
            *SMALL_GRID_RUN,
            "--out",
            str(run),
            "--no-report",
        ]
    )
    assert code == 0
    results = json.loads((run / "results.json").read_text())
    assert results["rollout"]["train_rollout"] == 2 and results["rollout"]["applications"] == 3
    assert list(results["test"]) == ["lead_6h", "lead_12h", "lead_18h"]
    counts = results["initial_times_by_lead"]
    assert counts["lead_6h"] - counts["lead_18h"] == 2  # the last initial times reach past the test period
    forecast = xr.open_dataset(run / "forecast.nc")
    assert forecast.sizes["prediction_timedelta"] == 3 and forecast.sizes["time"] == counts["lead_6h"]
