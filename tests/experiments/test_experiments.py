"""The lecture experiments: tables, curves and plots, with the facts each is meant to show."""

import csv

import pytest

from cnnlab.cli import main
from cnnlab.errors import CnnlabError
from cnnlab.experiments import ExperimentSettings, run_experiment


def small(tmp_path, name, engine="numpy", scale=0.05):
    """The quick setting at a fraction of its steps, on generated data (no files needed)."""
    settings = ExperimentSettings(
        name, "synthetic-mnist", engine, quick=True, out=str(tmp_path / f"{name}-{engine}"), scale=scale
    )
    return run_experiment(settings)


def read_table(result):
    return list(csv.DictReader((result.run_dir / "table.csv").open()))


def test_optimizers_writes_its_folder_and_every_optimizer_learns(tmp_path):
    result = small(tmp_path, "optimizers", scale=0.1)
    assert {p.name for p in result.run_dir.iterdir()} >= {
        "settings.json",
        "table.md",
        "table.csv",
        "curves.csv",
        "plot.png",
    }
    rows = read_table(result)
    assert [r["optimizer"] for r in rows] == ["sgd", "momentum", "adagrad", "adam"]
    assert len({r["first_loss"] for r in rows}) == 1  # the same starting weights for all
    adam = rows[-1]
    assert float(adam["final_loss"]) < float(adam["first_loss"])
    assert (result.run_dir / "table.md").read_text().startswith("# Optimisers on synthetic-mnist")


def test_both_engines_give_the_same_experiment(tmp_path):
    numpy_rows = read_table(small(tmp_path, "optimizers", "numpy"))
    torch_rows = read_table(small(tmp_path, "optimizers", "torch"))
    for ours, theirs in zip(numpy_rows, torch_rows):
        assert float(ours["first_loss"]) == pytest.approx(float(theirs["first_loss"]), rel=1e-5)
        assert float(ours["final_loss"]) == pytest.approx(float(theirs["final_loss"]), rel=1e-3)


def test_init_shows_relu_activations_collapse_with_std_001(tmp_path):
    rows = {(r["activation"], r["init"]): r for r in read_table(small(tmp_path, "init"))}
    assert len(rows) == 6
    he, tiny = float(rows["relu", "he"]["act_std_layer5"]), float(rows["relu", "std"]["act_std_layer5"])
    assert tiny < 1e-3 * he  # each layer multiplies the spread by ~0.01 * sqrt(100 / 2)


def test_regularization_reports_train_test_gap(tmp_path):
    rows = read_table(small(tmp_path, "regularization"))
    assert [r["regularization"] for r in rows] == ["none", "weight decay", "dropout", "batch norm", "all"]
    for r in rows:
        assert float(r["gap"]) == pytest.approx(float(r["train_accuracy"]) - float(r["test_accuracy"]), abs=1e-5)


def test_activations_shows_vanishing_sigmoid_gradients(tmp_path):
    rows = read_table(small(tmp_path, "activations"))
    assert len(rows) == 11  # 10 hidden layers + the output layer
    first, last = rows[0], rows[-1]
    assert float(first["sigmoid_before"]) < 1e-2 * float(last["sigmoid_before"])  # vanishes towards the input
    assert float(first["relu_before"]) > 0.1 * float(last["relu_before"])  # ReLU keeps it


def test_unknown_experiment_and_existing_folder_are_refused(tmp_path):
    with pytest.raises(CnnlabError, match="unknown experiment 'nope'"):
        run_experiment(ExperimentSettings("nope", out=str(tmp_path / "x")))
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("x")
    assert main(["experiment", "init", "--data", "synthetic-mnist", "--out", str(tmp_path / "taken")]) == 2
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["keep.txt"]
