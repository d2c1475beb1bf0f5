"""The gridded classification task's parts: regimes from the training period saved in the run folder, results
against the baselines, the confusion matrix file, label errors before any sample is cut."""

import numpy as np
import pytest

from cnnlab.errors import CnnlabError
from cnnlab.geo.classify_grid import check_class_labels, class_test_results, labels_for, write_confusion_csv
from cnnlab.geo.field_classes import build_field_class_data
from cnnlab.geo.forecast_data import AIR_TEMPERATURE_PERIODS
from cnnlab.geo.gridded import GridSelection, open_gridded, select
from cnnlab.geo.regimes import load_regimes

pytest.importorskip("sklearn")


def test_regimes_of_air_temperature_feed_a_classification_with_baselines(real_data_dir, tmp_path):
    da = select(open_gridded("air_temperature", real_data_dir), GridSelection())
    fields, times = np.asarray(da.values, np.float32), da["time"].values
    labels, names, regimes = labels_for("regimes:4", fields, times, da["lat"].values, AIR_TEMPERATURE_PERIODS["train"], "air", tmp_path)
    assert names == ["regime 1", "regime 2", "regime 3", "regime 4"] and labels.min() == 0 and len(labels) == 2920
    saved = load_regimes(tmp_path / "regimes.npz")
    assert saved.train_period == ("2013-01-01T00:00:00", "2013-10-31T18:00:00")
    np.testing.assert_array_equal(saved.assign(fields, times), labels)
    cd = build_field_class_data(da, "air_temperature", labels, names, "24h", 1, dict(AIR_TEMPERATURE_PERIODS))
    test = cd.splits["test"]
    results, matrix = class_test_results(cd.target(test), cd)  # a perfect model
    assert results["accuracy"] == 1.0 and results["macro_f1"] == 1.0 and results["samples"] == len(test)
    assert results["majority"]["accuracy"] < 0.5 < results["persistence"]["accuracy"] < 1.0
    assert matrix.trace() == len(test)
    write_confusion_csv(tmp_path / "confusion.csv", matrix, names)
    lines = (tmp_path / "confusion.csv").read_text().splitlines()
    assert lines[0] == "true \\ predicted,regime 1,regime 2,regime 3,regime 4" and len(lines) == 5


def test_labels_only_in_the_test_period_are_refused_before_training(tmp_path):
    times = np.arange("2013-01-01", 20, dtype="datetime64[D]").astype("datetime64[ns]")
    labels = np.where(np.arange(20) >= 15, np.arange(20) % 2, -1)
    periods = {"train": ("2013-01-01", "2013-01-10"), "test": ("2013-01-15", "2013-01-20")}
    with pytest.raises(CnnlabError, match="labels no time of the training period"):
        check_class_labels(labels, ["a", "b"], times, periods, "labels.csv")
