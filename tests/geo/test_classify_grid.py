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
    labels, names, regimes = labels_for(
        "regimes:4", fields, times, da["lat"].values, AIR_TEMPERATURE_PERIODS["train"], "air", tmp_path
    )
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


def test_cli_classify_on_a_grid_with_regimes_writes_results_confusion_and_regimes(tmp_path, capsys):
    import json

    from cnnlab.cli import main
    from geo_testing import make_grid_dataset, write

    data = write(make_grid_dataset(times=400), tmp_path, "netcdf4")
    run = tmp_path / "run"
    code = main(
        [
            "train",
            "--data",
            data,
            "--task",
            "classify",
            "--labels",
            "regimes:3",
            "--lead",
            "12h",
            "--history",
            "1",
            "--variable",
            "t2m",
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--train-period",
            "2000-01-01..2000-02-28",
            "--test-period",
            "2000-03-01..2000-04-09",
            "--out",
            str(run),
            "--no-report",
        ]
    )
    assert code == 0
    results = json.loads((run / "results.json").read_text())
    test = results["test"]
    assert set(test) >= {"accuracy", "macro_f1", "majority", "persistence"} and 0 <= test["accuracy"] <= 1
    assert set(test["persistence"]) == {"accuracy", "macro_f1"} and results["lead"] == "12h"
    assert (run / "confusion.csv").read_text().startswith("true \\ predicted,regime 1,regime 2,regime 3")
    assert load_regimes(run / "regimes.npz").train_period[1].startswith("2000-02-28")
    assert (run / "regime_composites.png").is_file()
    capsys.readouterr()
    assert main(["eval", str(run), "--json"]) == 0  # the saved regimes label the times again: the same scores
    assert json.loads(capsys.readouterr().out)["test"] == test


def test_cli_refuses_labels_only_in_the_test_period_in_one_line(tmp_path, capsys):
    from cnnlab.cli import main
    from geo_testing import make_grid_dataset, write

    data = write(make_grid_dataset(times=400), tmp_path, "netcdf4")
    labels = tmp_path / "labels.csv"
    labels.write_text("time,label\n2000-03-02T00:00,a\n2000-03-03T00:00,b\n2000-03-04T00:00,a\n2000-03-05T00:00,b\n")
    code = main(
        [
            "train",
            "--data",
            data,
            "--task",
            "classify",
            "--labels",
            str(labels),
            "--train-period",
            "2000-01-01..2000-02-28",
            "--test-period",
            "2000-03-01..2000-04-09",
            "--out",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "labels no time of the training period" in err[0]
    assert not (tmp_path / "run").exists()
