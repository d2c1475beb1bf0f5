"""Forecasting a new file with a trained run: forecast.nc equals the library's one-step forecast, rollouts give
every multiple of the lead, and wrong inputs are one-line errors."""

import numpy as np
import pytest
import xarray as xr

from cnnlab.errors import CnnlabError
from cnnlab.geo.forecast import forecast_from_fields, load_forecast_run, selection_from
from cnnlab.geo.forecast_predict import predict_forecast_file
from cnnlab.geo.options import options_for
from cnnlab.train import TrainConfig, train
from geo_testing import make_grid_dataset, write


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("predict")
    data = write(make_grid_dataset(times=120), folder, "netcdf4")
    config = TrainConfig(
        model="unet",
        data=data,
        task="forecast",
        lead="6h",
        history=2,
        epochs=1,
        batch_size=16,
        model_options={"width": 4, "depth": 1},
        out=str(folder / "run"),
        geo={"variables": ["t2m"]},
    )
    train(config, log=lambda line: None, progress=False)
    new = folder / "new"
    new.mkdir()
    new_data = write(make_grid_dataset(times=30, seed=5), new, "netcdf3")
    return folder / "run", new_data, config


def test_forecast_file_of_new_data_matches_the_library_forecast(run, tmp_path):
    run_dir, new_data, config = run
    model, stats = load_forecast_run(run_dir)
    path, count, leads = predict_forecast_file(
        model,
        stats,
        config.to_dict(),
        new_data,
        tmp_path / "f.nc",
        inits=["2000-01-02T00", "2000-01-03T06"],
        selection=selection_from(options_for("forecast", config.geo)),
    )
    assert count == 2 and leads == ["6h"]
    ds = xr.open_dataset(path)
    source = xr.open_dataset(new_data.partition(":")[2])
    past = source["t2m"].sel(time=["2000-01-01T18", "2000-01-02T00"]).values[:, None]
    expected = forecast_from_fields(model, stats, past, np.datetime64("2000-01-02T00"))
    np.testing.assert_allclose(ds["t2m"].isel(time=0, prediction_timedelta=0).values, expected[0, 0], atol=2e-3)
    assert ds.attrs["model"] == "unet" and ds.attrs["training_period"].startswith("2000-01-01")
    rolled, count, leads = predict_forecast_file(
        model,
        stats,
        config.to_dict(),
        new_data,
        tmp_path / "r.nc",
        rollout_length="24h",
        selection=selection_from(options_for("forecast", config.geo)),
    )
    assert count == 29 and leads == ["6h", "12h", "18h", "24h"]
    np.testing.assert_allclose(
        xr.open_dataset(rolled)["t2m"].sel(time="2000-01-02T00").isel(prediction_timedelta=0).values,
        expected[0, 0],
        atol=2e-3,
    )


def test_wrong_initial_times_and_channels_are_one_line_errors(run, tmp_path):
    run_dir, new_data, config = run
    model, stats = load_forecast_run(run_dir)
    with pytest.raises(CnnlabError, match="--init 2000-01-02T03 is not a time of"):
        predict_forecast_file(
            model,
            stats,
            config.to_dict(),
            new_data,
            tmp_path / "f.nc",
            inits=["2000-01-02T03"],
            selection=selection_from(options_for("forecast", config.geo)),
        )
    with pytest.raises(CnnlabError, match="needs 2 past fields"):
        predict_forecast_file(
            model,
            stats,
            config.to_dict(),
            new_data,
            tmp_path / "f.nc",
            inits=["2000-01-01T00"],
            selection=selection_from(options_for("forecast", config.geo)),
        )
    with pytest.raises(CnnlabError, match="the run was trained on t2m"):
        predict_forecast_file(model, stats, config.to_dict(), new_data, tmp_path / "f.nc")
    assert not (tmp_path / "f.nc").exists()


def test_cli_predict_writes_a_forecast_file_and_refuses_a_missing_out(run, tmp_path, capsys):
    from cnnlab.cli import main

    run_dir, new_data, _ = run
    out = tmp_path / "new.nc"
    assert main(["predict", str(run_dir), "--data", new_data, "--out", str(out), "--rollout", "12h"]) == 0
    assert "29 initial times x 2 leads (6h .. 12h)" in capsys.readouterr().out
    assert list(xr.open_dataset(out)["prediction_timedelta"].values) == [
        np.timedelta64(6, "h"),
        np.timedelta64(12, "h"),
    ]
    assert main(["predict", str(run_dir), "--data", new_data]) == 2
    assert (
        capsys.readouterr().err.strip() == "cnnlab predict: error: --data needs --out FILE.nc, where the forecasts go"
        or "--data needs --out FILE.nc" in capsys.readouterr().err
    )


def test_training_run_writes_forecast_nc_that_plain_xarray_scores_like_results_json(run):
    """The per-lead RMSE recomputed from forecast.nc and the source file with xarray alone (no cnnlab code):
    cos-latitude weights normalised to mean 1, per-step weighted RMSE, mean over initial times."""
    import json

    run_dir, _, config = run
    results = json.loads((run_dir / "results.json").read_text())
    forecast = xr.open_dataset(run_dir / "forecast.nc")
    truth = xr.open_dataset(config.data.partition(":")[2])["t2m"].rename(lat="latitude", lon="longitude")
    weights = np.cos(np.deg2rad(forecast["latitude"]))
    weights = weights / weights.mean()
    for lead in forecast["prediction_timedelta"].values:
        f = forecast["t2m"].sel(prediction_timedelta=lead)
        valid = f["time"] + lead
        y = truth.reindex(time=valid.values).assign_coords(time=f["time"].values)
        error2 = ((f - y) ** 2 * weights).mean(("latitude", "longitude")) / weights.mean()
        rmse = float(np.sqrt(error2).dropna("time").mean())
        hours = int(lead / np.timedelta64(1, "h"))
        assert rmse == pytest.approx(results["test"][f"lead_{hours}h"]["rmse"]["model"], abs=1e-4)
