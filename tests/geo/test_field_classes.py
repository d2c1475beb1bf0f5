"""Classification samples from gridded fields: labelled samples only, the label `lead` ahead, dated splits, the
baselines and the scores."""

import numpy as np
import pytest

from cnnlab.geo.field_classes import baseline_predictions, build_field_class_data, class_scores, confusion_matrix
from cnnlab.geo.gridded import GridSelection, open_gridded, select
from geo_testing import make_grid_dataset, write

pytest.importorskip("xarray")
PERIODS = {"train": ("2000-01-01", "2000-01-12T23:59"), "test": ("2000-01-13", "2000-01-20T23:59")}


def _data(tmp_path, lead, labels=None):
    data = write(make_grid_dataset(times=80), tmp_path, "netcdf4")
    da = select(open_gridded(data), GridSelection(variables=("t2m",)))
    if labels is None:
        labels = np.arange(80) % 3
    return build_field_class_data(da, data, labels, ["a", "b", "c"], lead, 2, PERIODS), da


def test_samples_carry_the_label_lead_ahead_and_stay_in_their_split(tmp_path):
    labels = np.arange(80) % 3
    labels[52] = -1  # an unlabelled time: the sample whose target it is is dropped
    fd, da = _data(tmp_path, "12h", labels)
    train, test = fd.splits["train"], fd.splits["test"]
    times = fd.times
    assert times[train - 1].min() >= np.datetime64("2000-01-01") and times[train + 2].max() <= np.datetime64(
        "2000-01-12T23:59"
    )
    assert times[test - 1].min() >= np.datetime64("2000-01-13") and 50 not in test and 51 in test and test[0] == 49
    x, y = fd.sample(test[:5])
    assert x.shape == (5, 2 + 4, 9, 16) and y.tolist() == labels[test[:5] + 2].tolist()
    np.testing.assert_allclose(fd.mean, [da.values[train[0] - 1 : train[-1] + 1].mean()], rtol=1e-5)


def test_baselines_and_scores(tmp_path):
    fd, _ = _data(tmp_path, "6h")
    test = fd.splits["test"]
    baselines = baseline_predictions(fd, test)
    truth = fd.target(test)
    assert baselines["persistence"].tolist() == fd.labels[test].tolist()
    assert class_scores(baselines["persistence"], truth, 3) == {
        "accuracy": 0.0,
        "macro_f1": 0.0,
    }  # labels cycle every step
    majority = np.bincount(fd.target(fd.splits["train"])).argmax()
    assert (baselines["majority"] == majority).all()
    scores = class_scores(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]), 3)
    # class a: P 1/2 R 1 -> 2/3; b: P 1 R 1/2 -> 2/3; c: 1 -> macro 7/9
    assert scores["accuracy"] == 0.75 and scores["macro_f1"] == pytest.approx(7 / 9)
    assert confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]), 3).tolist() == [
        [1, 0, 0],
        [1, 1, 0],
        [0, 0, 1],
    ]
    (tmp_path / "nowcast").mkdir()
    nowcast, _ = _data(tmp_path / "nowcast", None)
    assert nowcast.lead == 0 and "persistence" not in baseline_predictions(nowcast, nowcast.splits["test"])
