import numpy as np
import pytest

from cnnlab.geo.metrics import forecast_scores, per_step_rmse
from cnnlab.geo.weights import latitude_weights


def _brute_force(f, y, w, clim):
    """The docstring's formulas, one time step and one cell at a time."""
    T, C, H, W = f.shape
    rmse, mse, mae, bias, acc = [], [], [], [], []
    for t in range(T):
        num = den = ab = bi = fa = ff = aa = 0.0
        for c in range(C):
            for i in range(H):
                for j in range(W):
                    e = f[t, c, i, j] - y[t, c, i, j]
                    num += w[i] * e * e
                    den += w[i]
                    ab += w[i] * abs(e)
                    bi += w[i] * e
                    fp, ap = f[t, c, i, j] - clim[t, c, i, j], y[t, c, i, j] - clim[t, c, i, j]
                    fa += w[i] * fp * ap
                    ff += w[i] * fp * fp
                    aa += w[i] * ap * ap
        mse.append(num / den)
        rmse.append(np.sqrt(num / den))
        mae.append(ab / den)
        bias.append(bi / den)
        acc.append((fa / den) / np.sqrt((ff / den) * (aa / den)))
    return {
        "rmse": np.mean(rmse),
        "rmse_wb2": np.sqrt(np.mean(mse)),
        "mae": np.mean(mae),
        "bias": np.mean(bias),
        "acc": np.mean(acc),
    }


def test_scores_equal_the_brute_force_formulas():
    rng = np.random.default_rng(0)
    f, y, clim = rng.normal(size=(3, 2, 4, 5, 6))
    w = latitude_weights(np.linspace(-60, 60, 5))
    got = forecast_scores(f, y, w, clim)
    expected = _brute_force(f, y, w, clim)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12), key


def test_rmse_is_the_mean_of_per_step_rmse_and_wb2_the_root_of_the_mean():
    y = np.zeros((2, 1, 2, 2))
    f = np.stack([np.full((1, 2, 2), 1.0), np.full((1, 2, 2), 3.0)])  # per-step RMSE 1 and 3
    scores = forecast_scores(f, y, np.ones(2))
    assert scores["rmse"] == pytest.approx(2.0)  # (1 + 3) / 2
    assert scores["rmse_wb2"] == pytest.approx(np.sqrt(5.0))  # sqrt((1 + 9) / 2)
    assert scores["bias"] == pytest.approx(2.0) and scores["mae"] == pytest.approx(2.0)


def test_missing_cells_are_left_out_not_counted_as_zero_error():
    y = np.array([[[[1.0, np.nan]]], [[[np.nan, np.nan]]]])  # step 2 has no known cell at all
    f = np.array([[[[3.0, 100.0]]], [[[0.0, 0.0]]]])
    scores = forecast_scores(f, y, np.ones(1))
    assert scores["rmse"] == pytest.approx(2.0) and scores["bias"] == pytest.approx(2.0)
    np.testing.assert_array_equal(np.isnan(per_step_rmse(f, y, np.ones(1))), [False, True])


def test_perfect_forecast_scores_zero_error_and_acc_one():
    rng = np.random.default_rng(1)
    y, clim = rng.normal(size=(2, 4, 1, 3, 3))
    scores = forecast_scores(y, y, np.ones(3), clim)
    assert scores["rmse"] == 0 and scores["acc"] == pytest.approx(1.0)


@pytest.mark.data
def test_persistence_on_2014_reproduces_the_reference_numbers(real_data_dir):
    """Issue 5: 2.33 / 2.85 K (mean of per-step RMSE), 2.43 / 3.01 K (root of mean squared error)."""
    import xarray as xr

    air = xr.open_dataset(real_data_dir / "air_temperature.nc")["air"].sel(time=slice("2014-01-01", "2014-12-31"))
    x = air.values[:, None]  # (T, 1, 25, 53)
    w = latitude_weights(air["lat"].values, "cos")
    for steps, rmse, wb2 in ((1, 2.33, 2.43), (4, 2.85, 3.01)):
        scores = forecast_scores(x[:-steps], x[steps:], w)
        assert round(scores["rmse"], 2) == rmse
        assert round(scores["rmse_wb2"], 2) == wb2
