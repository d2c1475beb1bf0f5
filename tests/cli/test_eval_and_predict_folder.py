"""eval's per-class precision/recall/F1 (checked against scikit-learn) and predict on a folder -> CSV,
on a run trained on a folder of real MNIST images whose class names come from the folder names; such a
run still predicts and exports once its folder and cache are deleted."""

import csv
import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from cnnlab.cli import main
from cnnlab.data import load_dataset
from cnnlab.data.own_data import forget_own_data, load_own_data, own_data_cache_dir
from cnnlab.errors import CnnlabWarning
from cnnlab.train.metrics import confusion_matrix, per_class_report

NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def test_per_class_report_equals_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 5, 400)
    predicted = np.where(rng.random(400) < 0.6, truth, rng.integers(0, 5, 400))
    predicted[predicted == 4] = 3  # class 4 is never predicted: precision 0 by convention
    confusion = confusion_matrix(torch.from_numpy(predicted), torch.from_numpy(truth), 5)
    report = per_class_report(confusion, list("abcde"))
    p, r, f, s = metrics.precision_recall_fscore_support(truth, predicted, labels=range(5), zero_division=0)
    np.testing.assert_allclose([c["precision"] for c in report["per_class"]], p, atol=1e-12)
    np.testing.assert_allclose([c["recall"] for c in report["per_class"]], r, atol=1e-12)
    np.testing.assert_allclose([c["f1"] for c in report["per_class"]], f, atol=1e-12)
    assert [c["support"] for c in report["per_class"]] == list(s)
    for average in ("macro", "weighted"):
        expected = metrics.precision_recall_fscore_support(truth, predicted, average=average, zero_division=0)[:3]
        got = report["average"][average]
        np.testing.assert_allclose([got["precision"], got["recall"], got["f1"]], expected, atol=1e-12)
    assert report["accuracy"] == pytest.approx(metrics.accuracy_score(truth, predicted))


@pytest.fixture(scope="module")
def folder_run(real_data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("digits")
    data = load_dataset("mnist", "test", real_data_dir)
    for i in range(1000):
        path = root / "images" / NAMES[int(data.labels[i])] / f"{i:04d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(data.images[i, 0].numpy()).save(path)
    unlabelled = root / "new"
    for i in range(1000, 1040):
        unlabelled.mkdir(exist_ok=True)
        Image.fromarray(data.images[i, 0].numpy()).save(unlabelled / f"{i}.png")
    run = root / "run"
    forget_own_data()
    assert (
        main(
            [
                "train",
                "--data",
                f"folder:{root / 'images'}",
                "--model",
                "lenet5",
                "--epochs",
                "3",
                "--val-size",
                "0",
                "--out",
                str(run),
            ]
        )
        == 0
    )
    return run, unlabelled, data


def test_eval_reports_per_class_scores_with_the_folder_class_names(folder_run, capsys):
    run, _, _ = folder_run
    assert main(["eval", str(run), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["class"] for c in out["per_class"]] == sorted(NAMES)  # folder names, in ImageFolder order
    assert sum(c["support"] for c in out["per_class"]) == out["images"] == 200
    assert set(out["average"]) == {"macro", "weighted"} and 0 <= out["average"]["macro"]["f1"] <= 1
    results = json.loads((run / "results.json").read_text())
    assert out["test"]["accuracy"] == pytest.approx(results["test"]["accuracy"], abs=1e-6)
    assert main(["eval", str(run)]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[1].split() == ["class", "precision", "recall", "f1", "support"]
    assert text[2].startswith("eight") and text[-2].startswith("macro avg") and text[-1].startswith("weighted avg")


def test_predict_folder_writes_a_csv(folder_run, capsys, tmp_path):
    run, unlabelled, data = folder_run
    assert main(["predict", str(run), str(unlabelled), "--top", "3", "--out", str(tmp_path / "p.csv")]) == 0
    assert "40 images classified" in capsys.readouterr().out
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    assert len(rows) == 40 and list(rows[0]) == [
        "file",
        "class",
        "probability",
        "class_2",
        "probability_2",
        "class_3",
        "probability_3",
    ]
    assert all(r["class"] in NAMES and 0 < float(r["probability"]) <= 1 for r in rows)
    assert all(float(r["probability"]) >= float(r["probability_2"]) >= float(r["probability_3"]) for r in rows)
    truth = {f"{i}.png": NAMES[int(data.labels[i])] for i in range(1000, 1040)}
    correct = sum(r["class"] == truth[r["file"]] for r in rows)
    assert correct >= 20  # trained on 800 digits for 3 epochs: well above chance (4 of 40)


def test_an_own_data_run_predicts_and_exports_after_its_data_and_cache_are_gone(
    real_data_dir, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    forget_own_data()
    data = load_dataset("mnist", "test", real_data_dir)
    images, new = tmp_path / "digits", tmp_path / "new"
    for i in range(600):
        path = images / NAMES[int(data.labels[i])] / f"{i:04d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(data.images[i, 0].numpy()).save(path)
    new.mkdir()
    for i in range(600, 630):
        Image.fromarray(data.images[i, 0].numpy()).save(new / f"{i}.png")
    run = tmp_path / "run"
    argv = ["train", "--data", f"folder:{images}", "--model", "lenet5", "--epochs", "2", "--val-size", "0"]
    assert main([*argv, "--out", str(run)]) == 0
    facts = json.loads((run / "data.json").read_text())
    trained_on = load_own_data(f"folder:{images}")
    assert facts["classes"] == sorted(NAMES) and facts["in_shape"] == [1, 28, 28]
    assert facts["mean"] == list(trained_on.mean) and facts["std"] == list(trained_on.std)
    assert main(["predict", str(run), str(new), "--out", str(tmp_path / "before.csv")]) == 0

    # A class folder added after training: the run keeps its ten classes; eval refuses the changed data.
    shutil.copytree(images / "seven", images / "zzz")
    forget_own_data()
    capsys.readouterr()
    assert main(["eval", str(run)]) == 2
    assert "now has the classes" in capsys.readouterr().err

    shutil.rmtree(images)
    shutil.rmtree(tmp_path / "cache")
    forget_own_data()
    assert main(["predict", str(run), str(new), "--out", str(tmp_path / "after.csv")]) == 0
    capsys.readouterr()
    before, after = (tmp_path / "before.csv").read_text(), (tmp_path / "after.csv").read_text()
    assert after == before and after.count("\n") == 31  # same classes, same probabilities, without the data
    pytest.importorskip("onnxruntime")
    with pytest.warns(CnnlabWarning, match="checked on random pixels"):
        assert main(["export", str(run), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["checked_on"] == "random pixels" and out["images_checked"] == 100 and out["top1_agreement"] == 1.0
    assert out["max_abs_difference"] < 1e-3 and out["metadata"]["classes"] == sorted(NAMES)
    assert out["metadata"]["mean"] == facts["mean"] and (run / "model.onnx").stat().st_size > 0
    assert not images.exists() and not own_data_cache_dir().exists()
