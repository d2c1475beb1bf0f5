"""End to end: `cnnlab train --task forecast|segment|detect` on tiny data, results.json layout, errors."""

import json

import numpy as np
import pytest
import torch

from cnnlab.cli import main
from cnnlab.errors import CnnlabError
from cnnlab.geo.forecast import forecast_from_fields, load_forecast_data, load_forecast_run
from cnnlab.geo.metrics import forecast_scores
from cnnlab.geo.weights import latitude_weights
from cnnlab.train import TrainConfig, train
from geo_testing import make_grid_dataset, write

pytest.importorskip("xarray")
TINY = {"width": 4, "depth": 1}


@pytest.fixture(scope="module")
def forecast_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forecast")
    data = write(make_grid_dataset(times=120), folder, "netcdf4")
    config = TrainConfig(
        model="unet",
        data=data,
        task="forecast",
        lead="6h,12h",
        history=2,
        epochs=2,
        batch_size=16,
        model_options=dict(TINY),
        out=str(folder / "run"),
        geo={"variables": ["t2m"]},
    )
    return train(config, log=lambda line: None, progress=False), data


def test_forecast_results_hold_every_metric_for_model_and_baselines(forecast_run):
    result, _ = forecast_run
    saved = json.loads((result.run_dir / "results.json").read_text())
    assert list(saved["test"]) == ["lead_6h", "lead_12h"]
    for lead in saved["test"].values():
        assert list(lead) == ["rmse", "rmse_wb2", "mae", "bias", "acc"]
        for metric in ("rmse", "rmse_wb2", "mae", "bias"):
            assert set(lead[metric]) == {"model", "persistence", "climatology"}
            assert all(isinstance(v, float) for v in lead[metric].values())
    assert saved["padding_mode"] == "replicate" and saved["samples"]["train"] > 0
    for name in (
        "forecast_maps.png",
        "rmse_by_lead.png",
        "curves.png",
        "metrics.csv",
        "best.safetensors",
        "config.json",
    ):
        assert (result.run_dir / name).is_file(), name


def test_persistence_score_in_results_is_recomputable(forecast_run):
    result, data = forecast_run
    ds = make_grid_dataset(times=120)
    t2m = ds["t2m"].values.astype(np.float32)[:, None]
    times = ds["time"].values
    first, last = (np.datetime64(t) for t in result.results["periods"]["test"])
    inside = np.flatnonzero((times >= first) & (times <= last))
    init = inside[(inside - 1 >= inside[0]) & (inside + 2 <= inside[-1])]  # history 2, longest lead 2 steps
    expected = forecast_scores(t2m[init], t2m[init + 1], latitude_weights(ds["lat"].values))["rmse"]
    assert result.results["test"]["lead_6h"]["rmse"]["persistence"] == pytest.approx(expected, abs=1e-4)


def test_checkpoint_carries_the_training_statistics(forecast_run):
    result, _ = forecast_run
    model, stats = load_forecast_run(result.run_dir)
    ds = make_grid_dataset(times=120)
    first, last = result.results["periods"]["train"]
    train_part = ds["t2m"].sel(time=slice(first, last)).values
    assert stats["mean"][0] == pytest.approx(train_part.mean(), rel=1e-4)
    assert stats["leads"] == ["6h", "12h"] and stats["history"] == 2 and stats["step_minutes"] == 360
    assert model(torch.zeros(1, 2 + 4, 9, 16)).shape == (1, 2, 9, 16)


def test_inference_on_new_fields_uses_the_stored_statistics(forecast_run):
    """forecast_from_fields (checkpoint statistics only) equals the trainer's own test forecast."""
    result, _ = forecast_run
    model, stats = load_forecast_run(result.run_dir)
    config = TrainConfig.load(result.run_dir / "config.json")
    fd = load_forecast_data(config)
    t = fd.splits["test"][3]
    expected = fd.to_fields(model(fd.inputs(np.array([t]))).detach().numpy(), np.array([t]))[0]
    got = forecast_from_fields(model, stats, fd.fields[t - 1 : t + 1], fd.times[t])
    np.testing.assert_allclose(got, expected, atol=1e-4)
    with pytest.raises(CnnlabError, match="needs 2 past fields of 1 channels"):
        forecast_from_fields(model, stats, fd.fields[t : t + 1], fd.times[t])


def test_cyclone_segmentation_results_layout(tmp_path):
    config = TrainConfig(
        model="unet",
        data="synthetic-cyclones",
        task="segment",
        epochs=1,
        batch_size=16,
        model_options=dict(TINY),
        out=str(tmp_path / "seg"),
        geo={"scenes": 48, "val_scenes": 16, "test_scenes": 24},
    )
    result = train(config, log=lambda line: None, progress=False)
    test = json.loads((result.run_dir / "results.json").read_text())["test"]
    for key in ("accuracy", "f1", "iou", "center_error_cells", "center_error_km"):
        assert key in test
    assert 0 <= test["iou"] <= 1 and test["scenes"] == 24
    assert (result.run_dir / "cyclones.png").is_file()


def _cli(argv, capsys):
    code = main(argv)
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--task", "forecast", "--lead", "9h"], "lead 9h is not a positive multiple of the time step"),
        (["--task", "forecast", "--variable", "air"], "variable 'air' is not in"),
        (["--task", "detect"], "--task detect runs on --data synthetic-cyclones"),
        (["--task", "classify"], "is gridded data, not an image dataset: pass --task forecast"),
    ],
)
def test_cli_errors_are_one_line_and_write_no_run_folder(tmp_path, capsys, argv, message):
    data = write(make_grid_dataset(times=60), tmp_path, "netcdf3")
    out = tmp_path / "run"
    code, err = _cli(["train", "--data", data, "--out", str(out), *argv], capsys)
    assert code == 2 and len(err) == 1 and message in err[0]
    assert not out.exists()


def test_cli_refuses_a_file_with_nans_in_one_line(tmp_path, capsys):
    ds = make_grid_dataset(times=60)
    ds["t2m"][10, 0, 0] = np.nan
    data = write(ds, tmp_path, "zarr")
    code, err = _cli(
        ["train", "--data", data, "--task", "forecast", "--variable", "t2m", "--out", str(tmp_path / "r")], capsys
    )
    assert code == 2 and len(err) == 1 and "missing (NaN) values in 't2m'" in err[0] and "--nans mask" in err[0]


@pytest.mark.data
def test_air_temperature_default_split_and_lead_check(real_data_dir):
    config = TrainConfig(data="air_temperature", task="forecast", lead="6h,24h", history=3, data_dir=str(real_data_dir))
    fd = load_forecast_data(config)
    times = fd.times
    assert (
        str(times[fd.splits["train"][-1] + 4])[:10] <= "2013-10-31"
        and str(times[fd.splits["val"][0] - 2])[:10] >= "2013-11-01"
    )
    assert str(times[fd.splits["test"][0] - 2])[:4] == "2014" and len(fd.splits["test"]) == 1460 - 2 - 4
    assert fd.fields.shape == (2920, 1, 25, 53)
    with pytest.raises(CnnlabError, match=r"lead 3h is not a positive multiple of the time step .*\(6h\)"):
        load_forecast_data(TrainConfig(data="air_temperature", task="forecast", lead="3h", data_dir=str(real_data_dir)))


def test_help_examples_parse_into_the_configs_they_promise():
    import shlex

    from cnnlab.cli import build_parser
    from cnnlab.cli.geo_options import GEO_EXAMPLES
    from cnnlab.cli.train import config_from_args

    commands = [c for c in GEO_EXAMPLES.replace("\\\n", " ").splitlines() if c.strip().startswith("cnnlab train")]
    configs = [config_from_args(build_parser().parse_args(shlex.split(c)[1:])) for c in commands]
    forecast = configs[0]
    assert (forecast.task, forecast.lead, forecast.history, forecast.model) == ("forecast", "6h,12h,18h,24h", 5, "unet")
    assert forecast.model_options == {"width": 16, "depth": 3} and forecast.optimizer == "adamw"
    assert configs[1].geo == {"variables": ["z"], "levels": [500.0], "box": [20.0, 70.0, 230.0, 300.0]}
    assert configs[2].geo["stream"] is True and configs[2].geo["test_period"] == "2017-01-01..2017-12-31"
    assert configs[3].task == "segment" and configs[3].data == "synthetic-cyclones"
    assert configs[4].geo == {"rollout": "120h", "train_rollout": 2} and configs[4].lead == "6h"
    assert configs[5].geo == {"variables": ["u", "v", "z"], "levels": [200.0, 500.0, 850.0], "target": "z500"}
    assert (configs[6].task, configs[6].lead, configs[6].model, configs[6].geo) == (
        "classify-grid",
        "24h",
        "conv-stack",
        {"labels": "regimes:4"},
    )


def test_a_global_grid_trains_with_circular_padding(tmp_path):
    data = write(make_grid_dataset(times=48, global_lon=True), tmp_path, "netcdf3")
    config = TrainConfig(
        model="fcn-resnet",
        data=data,
        task="forecast",
        lead="6h",
        history=1,
        epochs=1,
        batch_size=8,
        model_options={"width": 4, "blocks": 1},
        out=str(tmp_path / "run"),
        geo={"variables": ["t2m"]},
    )
    result = train(config, log=lambda line: None, progress=False)
    assert result.results["padding_mode"] == "circular"
    assert json.loads((result.run_dir / "config.json").read_text())["task"] == "forecast"
