"""Several variables and levels as channels: every channel an input, only --target channels forecast; the
ERA-Interim sample's u, v, z at 200/500/850 hPa as 9 channels on a global grid (circular padding)."""

import numpy as np
import pytest
import torch

from cnnlab.errors import CnnlabError
from cnnlab.geo.forecast_data import build_forecast_data, input_channels, parse_targets
from cnnlab.geo.gridded import GridSelection, open_gridded, select
from cnnlab.geo.padding import grid_padding_mode
from cnnlab.geo.rollout import RolloutModel, rollout, rollout_offsets
from cnnlab.models import create_model
from geo_testing import SMALL_GRID_RUN, make_grid_dataset, write

xr = pytest.importorskip("xarray")

PERIODS = {"train": ("2000-01-01", "2000-01-12T23:59"), "test": ("2000-01-13", "2000-01-20T23:59")}


def test_targets_are_named_by_channel_variable_or_all():
    channels = ["t2m", "z@500", "z@850"]
    assert parse_targets("z500", channels) == ["z@500"]
    assert parse_targets("z@850,t2m", channels) == ["t2m", "z@850"]  # the channels' order
    assert parse_targets("z", channels) == ["z@500", "z@850"]
    assert parse_targets(None, channels) == parse_targets("all", channels) == channels
    with pytest.raises(CnnlabError, match="--target z300 is none of the channels t2m, z@500, z@850"):
        parse_targets("z300", channels)


def test_every_channel_is_an_input_and_only_the_target_is_forecast(tmp_path):
    data = write(make_grid_dataset(times=80), tmp_path, "netcdf4")
    da = select(open_gridded(data), GridSelection())
    assert [str(c) for c in da["channel"].values] == ["t2m", "z@500", "z@850"]
    fd = build_forecast_data(
        da, data, ["6h", "12h"], 2, PERIODS, targets=parse_targets("z500", ["t2m", "z@500", "z@850"])
    )
    index = fd.splits["test"][:4]
    x, y, m = fd.sample(index)
    assert x.shape == (4, 2 * 3 + 4, 9, 16) and fd.in_channels == 10
    assert y.shape == (4, 2 * 1, 9, 16) and fd.out_channels == 2
    z500 = da.sel(channel="z@500").values
    expected = (z500[index + 2] - z500[index]) / fd.residual_std[1, 0]
    np.testing.assert_allclose(y[:, 1].numpy(), expected, rtol=1e-5, atol=1e-5)
    train = fd.splits["train"]
    assert fd.residual_std[0, 0] == pytest.approx(np.std(z500[train + 1] - z500[train]), rel=1e-4)
    np.testing.assert_allclose(fd.truth(index)[:, :, 0], np.stack([z500[index + 1], z500[index + 2]], 1))
    assert fd.to_fields(np.zeros((4, 2, 9, 16), np.float32), index).shape == (4, 2, 1, 9, 16)
    assert fd.statistics()["targets"] == ["z@500"]
    with pytest.raises(CnnlabError, match="must forecast every input channel"):
        rollout_offsets(RolloutModel.from_statistics(torch.nn.Identity(), fd.statistics()), 2)
    model = create_model("unet", (fd.in_channels, 9, 16), fd.out_channels, output="field", width=4, depth=1).eval()
    offsets, got = rollout(
        RolloutModel.from_statistics(model, fd.statistics(), fd.lat, fd.lon), fd.past(index), fd.times[index], 1
    )
    with torch.no_grad():
        np.testing.assert_allclose(got, fd.to_fields(model(x).numpy(), index), atol=1e-3, rtol=0)


def test_era_interim_u_v_z_at_three_levels_form_nine_channels_on_a_global_grid(real_data_dir, tmp_path):
    source = xr.open_dataset(real_data_dir / "xarray-data" / "eraint_uvz.nc")
    # The sample holds two monthly means on a `month` axis; give them dates to make a (two-step) time series.
    dated = source.rename(month="time").assign_coords(time=np.array(["2000-01-15", "2000-07-15"], "datetime64[ns]"))
    path = tmp_path / "eraint_dated.nc"
    dated.to_netcdf(path)
    da = select(open_gridded(f"netcdf:{path}"), GridSelection(variables=("u", "v", "z"), levels=(200.0, 500.0, 850.0)))
    channels = [str(c) for c in da["channel"].values]
    assert channels == [f"{v}@{lv}" for v in ("u", "v", "z") for lv in (200, 500, 850)]
    assert grid_padding_mode("auto", da["lon"].values) == "circular"
    targets = parse_targets("z500", channels)
    in_ch = input_channels(1, len(channels), False, False)
    model = create_model(
        "unet", (in_ch, 241, 480), len(targets), output="field", width=4, depth=1, padding_mode="circular"
    )
    x = torch.from_numpy(
        np.concatenate([np.asarray(da.isel(time=[0]).values, np.float32), np.zeros((1, 4, 241, 480), np.float32)], 1)
    )
    assert in_ch == 13 and model(x).shape == (1, 1, 241, 480)


def test_cli_forecast_of_a_target_variable_at_two_levels_scores_each_channel_and_writes_its_levels(tmp_path):
    import json

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
            "t2m,z",
            "--level",
            "500,850",
            "--target",
            "z",
            "--lead",
            "6h",
            "--history",
            "1",
            *SMALL_GRID_RUN,
            "--out",
            str(run),
            "--no-report",
        ]
    )
    assert code == 0
    results = json.loads((run / "results.json").read_text())
    assert results["channels"] == ["t2m", "z@500", "z@850"] and results["targets"] == ["z@500", "z@850"]
    assert set(results["test_by_channel"]["lead_6h"]) == {"z@500", "z@850"}
    forecast = xr.open_dataset(run / "forecast.nc")
    assert list(forecast.data_vars) == ["z"] and forecast["z"].dims == (
        "time",
        "prediction_timedelta",
        "level",
        "latitude",
        "longitude",
    )
    assert forecast["level"].values.tolist() == [500.0, 850.0]
