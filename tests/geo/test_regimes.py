"""Weather regimes: fitted on the training period only, planted regimes recovered, saved and loaded; label CSVs
and their one-line errors."""

import numpy as np
import pytest

from cnnlab.errors import CnnlabError
from cnnlab.geo.regimes import check_labels, fit_regimes, load_regimes, parse_regimes_spec, read_label_csv

pytest.importorskip("sklearn")


def _planted(days=500, k=3, seed=0):
    """6-hourly fields: a seasonal cycle plus one of k fixed anomaly patterns per day, plus noise; longer than a
    year, so the test period lies on a seasonal cycle the training period has seen."""
    rng = np.random.default_rng(seed)
    times = np.arange("2013-01-01T00", days * 24, 6, dtype="datetime64[h]").astype("datetime64[ns]")
    lat = np.linspace(60, 20, 8)
    patterns = 3 * rng.standard_normal((k, 1, 8, 12))
    regime_of_day = rng.integers(0, k, days)
    regime = np.repeat(regime_of_day, 4)
    season = 10 * np.cos(2 * np.pi * np.arange(len(times)) / (4 * 365.25))[:, None, None, None]
    fields = 280 + season + patterns[regime] + 0.3 * rng.standard_normal((len(times), 1, 8, 12))
    return fields.astype(np.float32), times, lat, regime


def test_planted_regimes_are_recovered():
    from sklearn.metrics import adjusted_rand_score

    fields, times, lat, regime = _planted()
    train = np.arange(len(times)) < 0.7 * len(times)
    regimes = fit_regimes(fields, times, lat, train, 3)
    assigned = regimes.assign(fields, times)
    assert adjusted_rand_score(regime, assigned) > 0.99
    counts = np.bincount(assigned[train], minlength=3)
    assert list(counts) == sorted(counts, reverse=True)  # regime 1 is the most frequent in training
    assert regimes.names == ["regime 1", "regime 2", "regime 3"]


def test_clustering_uses_the_training_period_only():
    fields, times, lat, _ = _planted()
    train = np.arange(len(times)) < 0.7 * len(times)
    changed = fields.copy()
    changed[~train] = 1e4 * np.random.default_rng(1).standard_normal(changed[~train].shape)  # any later data
    a = fit_regimes(fields, times, lat, train, 3)
    b = fit_regimes(changed, times, lat, train, 3)
    np.testing.assert_array_equal(a.centres, b.centres)
    np.testing.assert_array_equal(a.climatology, b.climatology)
    np.testing.assert_array_equal(a.components, b.components)
    c = fit_regimes(fields, times, lat, train & (np.arange(len(times)) >= 40), 3)  # other training times: other fit
    assert not np.allclose(a.climatology, c.climatology)


def test_saved_regimes_assign_the_same(tmp_path):
    fields, times, lat, _ = _planted(days=60)
    regimes = fit_regimes(fields, times, lat, np.arange(len(times)) < 160, 3)
    regimes.save(tmp_path / "regimes.npz")
    back = load_regimes(tmp_path / "regimes.npz")
    np.testing.assert_array_equal(back.assign(fields, times), regimes.assign(fields, times))
    assert back.names == regimes.names and back.train_period == regimes.train_period
    assert back.composites(fields, times, back.assign(fields, times)).shape == (3, 1, 8, 12)


TIMES = np.arange("2013-01-01T00", 40 * 6, 6, dtype="datetime64[h]").astype("datetime64[ns]")
SPLITS = {"train": np.arange(0, 24), "test": np.arange(28, 40)}
PERIODS = {"train": ("2013-01-01", "2013-01-06T23:59"), "test": ("2013-01-08", "2013-01-10T23:59")}


def _csv(tmp_path, text):
    path = tmp_path / "labels.csv"
    path.write_text(text)
    return path


def test_label_csv_is_read_by_time(tmp_path):
    path = _csv(
        tmp_path,
        "time,label,comment\n2013-01-01T00:00,storm,x\n2013-01-01T06,calm,\n2013-01-02,storm,\n2013-01-08T06,calm,\n",
    )
    labels, names = read_label_csv(path, TIMES, "grid.nc")
    assert names == ["calm", "storm"]
    assert labels[[0, 1, 4, 29]].tolist() == [1, 0, 1, 0] and (labels >= 0).sum() == 4
    check_labels(labels, names, SPLITS, PERIODS, str(path))


@pytest.mark.parametrize(
    "text, message",
    [
        ("when,label\n2013-01-01,a\n", "needs the columns time,label; its header has: when, label"),
        ("time,label\n2013-01-01,a\n2013-01-01T03,b\n", "1 time(s) are not times of grid.nc, the first 2013-01-01T03"),
        ("time,label\n2013-01-01,a\nyesterday,b\n", "row 3: 'yesterday' is not an ISO time"),
    ],
)
def test_bad_label_files_are_one_line_errors(tmp_path, text, message):
    with pytest.raises(CnnlabError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_label_csv(_csv(tmp_path, text), TIMES, "grid.nc")


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "time,label\n2013-01-01,a\n2013-01-01T06,a\n2013-01-02,b\n",
            "class 'b' of labels.csv has only 1 labelled time",
        ),
        (
            "time,label\n2013-01-08,a\n2013-01-08T06,a\n2013-01-09,b\n2013-01-09T06,b\n",
            "labels no time of the training period 2013-01-01..2013-01-06T23:59",
        ),
    ],
)
def test_labels_a_classifier_cannot_learn_from_are_refused(tmp_path, text, message):
    labels, names = read_label_csv(_csv(tmp_path, text), TIMES, "grid.nc")
    with pytest.raises(CnnlabError, match=message):
        check_labels(labels, names, SPLITS, PERIODS, "labels.csv")


def test_regimes_spec():
    assert parse_regimes_spec("regimes:4") == 4 and parse_regimes_spec("labels.csv") is None
    with pytest.raises(CnnlabError, match="at least 2"):
        parse_regimes_spec("regimes:1")
