"""forecast.nc: WeatherBench 2's layout, levels from `name@level` channels, CF attributes, compression, atomic write."""

import numpy as np
import pytest

from cnnlab.geo.forecast_file import config_hash, forecast_dataset, split_channel, write_forecast_file

xr = pytest.importorskip("xarray")


def _arrays(n=10, leads=2, channels=3, h=5, w=7, seed=0):
    rng = np.random.default_rng(seed)
    values = (280 + rng.standard_normal((n, leads, channels, h, w))).astype(np.float32)
    times = np.arange("2014-01-01T00", n * 6, 6, dtype="datetime64[h]")[:n].astype("datetime64[ns]")
    return (
        values,
        times,
        [np.timedelta64(6 * (i + 1), "h") for i in range(leads)],
        np.linspace(60, 20, h),
        np.arange(w) * 2.5 + 230,
    )


def test_channels_become_variables_with_a_level_axis():
    values, times, leads, lat, lon = _arrays(channels=3)
    ds = forecast_dataset(
        values,
        times,
        leads,
        lat,
        lon,
        ["t2m", "z@500", "z@850"],
        {"z": {"units": "m2 s-2", "long_name": "Geopotential"}},
    )
    assert ds["t2m"].dims == ("time", "prediction_timedelta", "latitude", "longitude")
    assert ds["z"].dims == ("time", "prediction_timedelta", "level", "latitude", "longitude")
    assert ds["level"].values.tolist() == [500.0, 850.0]
    np.testing.assert_array_equal(ds["z"].sel(level=850).values, values[:, :, 2])
    assert ds["z"].attrs == {"units": "m2 s-2", "long_name": "Geopotential"}
    assert split_channel("z@500") == ("z", 500.0) and split_channel("air") == ("air", None)


def test_written_file_reads_back_in_plain_xarray_with_cf_attributes(tmp_path):
    values, times, leads, lat, lon = _arrays(n=70, channels=1)
    baselines = {"persistence": values + 1, "climatology": values - 1}
    ds = forecast_dataset(
        values,
        times,
        leads,
        lat,
        lon,
        ["air"],
        {"air": {"units": "degK", "long_name": "Air temperature", "precision": 2}},
        baselines,
        {"model": "unet", "config_sha256": config_hash({"b": 1, "a": 2})},
    )
    path = write_forecast_file(tmp_path / "forecast.nc", ds)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forecast.nc"]  # no temporary file left behind
    back = xr.open_dataset(path)
    assert back["prediction_timedelta"].dtype == np.dtype("timedelta64[ns]")
    assert list(back["prediction_timedelta"].values) == [np.timedelta64(6, "h"), np.timedelta64(12, "h")]
    np.testing.assert_array_equal(back["time"].values, times)
    assert back["latitude"].attrs["units"] == "degrees_north" and back["longitude"].attrs["units"] == "degrees_east"
    assert back["air"].attrs["units"] == "degK" and "precision" not in back["air"].attrs
    assert back["air_climatology"].attrs["long_name"] == "Air temperature (climatology baseline)"
    assert back.attrs["Conventions"] == "CF-1.8" and back.attrs["model"] == "unet"
    assert back.attrs["config_sha256"] == config_hash({"a": 2, "b": 1})
    # six significant digits: 280 K is kept to better than 0.001 K
    np.testing.assert_allclose(back["air"].values, values[:, :, 0], atol=2e-3, rtol=0)
    np.testing.assert_allclose(back["air_persistence"].values, values[:, :, 0] + 1, atol=2e-3, rtol=0)
    enc = back["air"].encoding
    assert enc["zlib"] and enc["shuffle"] and enc["chunksizes"][0] == 64


def test_mismatched_shapes_are_refused():
    values, times, leads, lat, lon = _arrays()
    with pytest.raises(ValueError, match="do not match"):
        forecast_dataset(values, times[:-1], leads, lat, lon, ["a", "b", "c"])
