"""Scores per lead: the same samples for model and baselines, leads past the test period's end left unscored,
per-channel scores with several targets."""

import numpy as np
import pytest

from cnnlab.geo.forecast_data import build_forecast_data, climatology_for, parse_targets
from cnnlab.geo.gridded import GridSelection, open_gridded, select
from cnnlab.geo.lead_scores import baseline_fields, last_test_index, lead_name, score_leads
from cnnlab.geo.metrics import forecast_scores
from cnnlab.geo.weights import latitude_weights
from geo_testing import make_grid_dataset, write

pytest.importorskip("xarray")
PERIODS = {"train": ("2000-01-01", "2000-01-12T23:59"), "test": ("2000-01-13", "2000-01-20T23:59")}


def test_lead_names():
    assert lead_name(20, np.timedelta64(6, "h")) == "120h" and lead_name(1, np.timedelta64(30, "m")) == "30min"


def test_each_lead_is_scored_on_the_initial_times_whose_valid_time_is_in_the_test_period(tmp_path):
    data = write(make_grid_dataset(times=80), tmp_path, "netcdf4")
    da = select(open_gridded(data), GridSelection())
    fd = build_forecast_data(da, data, ["6h"], 1, PERIODS, targets=parse_targets("t2m,z500", ["t2m", "z@500", "z@850"]))
    index = fd.splits["test"]
    offsets = [1, 4]
    forecasts = baseline_fields(fd, index, offsets)["persistence"] + 0.5  # persistence, shifted
    w = latitude_weights(fd.lat)
    scores, details = score_leads(fd, index, offsets, forecasts, w)
    last = last_test_index(fd)
    assert last == 79 and details["initial_times"] == {"lead_6h": len(index), "lead_24h": len(index) - 3}
    keep = index[index + 4 <= last]
    truth = fd.fields[keep + 4][:, [0, 1]]
    clim = climatology_for(fd, fd.times[keep + 4])[:, [0, 1]]
    expected = forecast_scores(fd.fields[keep][:, [0, 1]] + 0.5, truth, w, clim)
    assert scores["lead_24h"]["rmse"]["model"] == pytest.approx(expected["rmse"], abs=1e-4)
    assert scores["lead_24h"]["bias"]["model"] == pytest.approx(
        scores["lead_24h"]["bias"]["persistence"] + 0.5, abs=2e-4
    )
    z500 = details["by_channel"]["lead_24h"]["z@500"]
    alone = forecast_scores(fd.fields[keep][:, [1]] + 0.5, truth[:, [1]], w, clim[:, [1]])
    assert z500["rmse"]["model"] == pytest.approx(alone["rmse"], abs=1e-4)
