"""`--engine numpy`: the same run folder as the torch engine, and checkpoints that move between the engines."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from cnnlab.cli import main
from cnnlab.data import Batches, Normalise, dataset_spec, load_dataset
from cnnlab.errors import CnnlabError
from cnnlab.train import TrainConfig, load_run_model, train
from cnnlab.train.numpy_engine import load_run_scratch_model

QUICK = dict(data="synthetic-mnist", train_size=1024, val_size=512, batch_size=64)


def quick(tmp_path, name="run", **change):
    return TrainConfig(**{**QUICK, "out": str(tmp_path / name), **change})


def test_numpy_engine_learns_and_writes_the_torch_engines_run_folder(tmp_path):
    result = train(
        quick(
            tmp_path,
            model="simple-convnet",
            engine="numpy",
            epochs=2,
            lr=3e-3,
            model_options={"filters": 8, "hidden": 32},
        ),
        log=lambda s: None,
        progress=False,
    )
    run = result.run_dir
    assert {
        "config.json",
        "metrics.csv",
        "results.json",
        "best.safetensors",
        "last.safetensors",
        "confusion.csv",
        "curves.png",
        "confusion.png",
    } <= {p.name for p in run.iterdir()}
    results = json.loads((run / "results.json").read_text())
    assert results["engine"] == "numpy" and results["epochs"] == 2
    assert results["test"]["accuracy"] > 0.3  # 10 orientations: chance is 0.1
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[1]["train_loss"]) < float(rows[0]["train_loss"])
    assert json.loads((run / "config.json").read_text())["engine"] == "numpy"

    # numpy checkpoint -> torch twin: `cnnlab eval` reaches the same accuracy and the logits agree
    model, config = load_run_model(run)
    net, _ = load_run_scratch_model(run)
    spec = dataset_spec(config.data)
    x, _ = next(
        iter(Batches(load_dataset(config.data, "test"), 200, Normalise(spec.mean, spec.std), torch.device("cpu")))
    )
    with torch.no_grad():
        np.testing.assert_allclose(model(x).numpy(), net.forward(x.numpy()), atol=1e-4)
    assert main(["eval", str(run), "--json"]) == 0
    image = tmp_path / "digit.npy"
    np.save(image, load_dataset(config.data, "test").images[0, 0].numpy())
    assert main(["predict", str(run), str(image), "--json"]) == 0


def test_a_torch_checkpoint_loads_into_the_scratch_network(tmp_path):
    run = train(quick(tmp_path, model="two-layer-net", epochs=1), log=lambda s: None, progress=False).run_dir
    model, config = load_run_model(run)
    net, _ = load_run_scratch_model(run)  # a torch-trained run, read by the numpy side
    x = torch.randn(16, 1, 28, 28)
    with torch.no_grad():
        np.testing.assert_allclose(net.forward(x.numpy()), model(x).numpy(), atol=1e-5)


def test_the_numpy_engine_follows_the_torch_engines_schedule(tmp_path):
    result = train(
        quick(tmp_path, model="two-layer-net", engine="numpy", epochs=2, schedule="cosine", val_size=0),
        log=lambda s: None,
        progress=False,
    )
    assert result.history[-1]["lr"] == pytest.approx(0.0, abs=1e-12)  # cosine ends at 0
    assert result.history[0]["lr"] == pytest.approx(1e-3)  # half-way: (1 + cos(pi/2))/2 of 2e-3


@pytest.mark.parametrize(
    "change,message",
    [
        ({"optimizer": "adamw"}, "numpy engine has no optimizer 'adamw'"),
        ({"precision": "bf16"}, "float32 only"),
        ({"model": "lenet5"}, "numpy engine has no model 'lenet5'"),
        ({"model_options": {"width": 2}}, "has no option width"),
    ],
)
def test_what_the_numpy_engine_cannot_do_is_refused_before_any_file(tmp_path, change, message):
    config = quick(tmp_path, **{"model": "two-layer-net", "engine": "numpy", **change})
    with pytest.raises(CnnlabError, match=message):
        train(config, log=lambda s: None, progress=False)
    assert not (tmp_path / "run").exists()


def test_a_diverging_numpy_run_is_one_clear_line(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cnnlab",
            "train",
            "--engine",
            "numpy",
            "--model",
            "two-layer-net",
            "--data",
            "synthetic-mnist",
            "--train-size",
            "256",
            "--val-size",
            "0",
            "--optimizer",
            "sgd",
            "--lr",
            "1e30",
            "--schedule",
            "constant",
            "--epochs",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "training diverged; lower --lr" in proc.stderr.strip().splitlines()[-1]


def test_an_interrupted_numpy_run_resumes_to_the_same_weights(tmp_path):
    """Optimiser moments, data order and dropout masks are restored: the resumed run ends bit for bit equal."""
    from safetensors.numpy import load_file

    options = dict(
        model="mlp", engine="numpy", epochs=2, optimizer="adam", model_options={"hidden": (32,), "dropout": 0.3}
    )
    train(quick(tmp_path, "whole", **options), log=lambda s: None, progress=False)

    def stop_after_epoch_1(line):
        if line.startswith("epoch 1/2"):  # logged after the epoch's checkpoints are written
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(quick(tmp_path, "cut", **options), log=stop_after_epoch_1, progress=False)
    assert main(["train", "--resume", str(tmp_path / "cut"), "--no-report"]) == 0
    whole, cut = (
        load_file(str(tmp_path / "whole" / "last.safetensors")),
        load_file(str(tmp_path / "cut" / "last.safetensors")),
    )
    assert whole.keys() == cut.keys()
    for key in whole:
        np.testing.assert_array_equal(whole[key], cut[key], err_msg=key)
    rows = list(csv.DictReader((tmp_path / "cut" / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
