import csv
import json

import pytest
import torch

from cnnlab.errors import CnnlabError
from cnnlab.train import TrainConfig, load_run_model, train

QUICK = dict(data="synthetic-mnist", train_size=1024, val_size=512, batch_size=64, progress=False)


def quick(tmp_path, **change):
    values = {k: v for k, v in QUICK.items() if k != "progress"}
    values.update(change)
    values.setdefault("out", str(tmp_path / "run"))
    return TrainConfig(**values)


def test_training_learns_and_writes_the_run_folder(tmp_path):
    result = train(quick(tmp_path, model="lenet5", epochs=3, lr=3e-3), log=lambda s: None, progress=False)
    run = result.run_dir
    assert {
        "config.json",
        "metrics.csv",
        "results.json",
        "best.safetensors",
        "last.safetensors",
        "last.state.pt",
        "confusion.csv",
        "curves.png",
        "confusion.png",
    } <= {p.name for p in run.iterdir()}
    results = json.loads((run / "results.json").read_text())
    assert results["test"]["accuracy"] > 0.5  # 10 orientations: chance is 0.1
    assert results["epochs"] == 3 and results["images_per_s"] > 0 and results["wall_time_s"] > 0
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    confusion = [line.split(",")[1:] for line in (run / "confusion.csv").read_text().splitlines()[1:]]
    assert sum(int(v) for row in confusion for v in row) == 2000  # every test image once
    model, config = load_run_model(run)
    assert config.model == "lenet5" and not model.training


def test_existing_run_folder_is_refused_and_nothing_is_written(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "keep.txt").write_text("precious")
    with pytest.raises(CnnlabError, match="already exists; pass --overwrite"):
        train(quick(tmp_path, model="slp", epochs=1), log=lambda s: None, progress=False)
    assert [p.name for p in run.iterdir()] == ["keep.txt"]


def test_bad_model_name_touches_no_folder(tmp_path):
    with pytest.raises(CnnlabError, match="unknown model"):
        train(quick(tmp_path, model="nope"), log=lambda s: None)
    assert not (tmp_path / "run").exists()


def test_diverging_loss_stops_with_a_clear_message_and_keeps_the_good_epoch(tmp_path, monkeypatch):
    from cnnlab.data.batches import Batches

    real_iter = Batches.__iter__
    epochs_seen = []

    def poisoned(self):  # the second training epoch gets nan pixels, as from a corrupt file
        if self.shuffle:
            epochs_seen.append(1)
        for x, y in real_iter(self):
            yield (x * float("nan") if self.shuffle and len(epochs_seen) == 2 else x), y

    monkeypatch.setattr(Batches, "__iter__", poisoned)
    snapshot = {}
    import cnnlab.train.torch_engine as torch_engine

    real_save = torch_engine.save_weights

    def save_and_remember(model, path, meta=None):
        real_save(model, path, meta)
        snapshot[path.name] = path.read_bytes()

    monkeypatch.setattr(torch_engine, "save_weights", save_and_remember)
    with pytest.raises(
        CnnlabError, match=r"loss became nan at epoch 2, batch 1: training diverged; lower --lr .*epoch 1\) is kept"
    ):
        train(quick(tmp_path, model="lenet5", epochs=3), log=lambda s: None, progress=False)
    assert (tmp_path / "run" / "last.safetensors").read_bytes() == snapshot["last.safetensors"]


def test_early_stopping_and_best_checkpoint(tmp_path):
    # a constant huge lr makes validation accuracy stall; early stop must end the run before the last epoch
    config = quick(tmp_path, model="slp", epochs=8, optimizer="sgd", lr=50.0, schedule="constant", early_stop=1)
    result = train(config, log=lambda s: None, progress=False)
    history = result.history
    best = max(history, key=lambda r: r["val_accuracy"])
    assert result.results["best_epoch"] == best["epoch"]
    if result.results["stopped_early"]:
        assert len(history) < 8 and history[-1]["epoch"] - best["epoch"] >= 1


def test_resnet20_trains_on_cifar_shaped_synthetic_data(tmp_path):
    config = quick(
        tmp_path,
        data="synthetic-cifar",
        model="resnet20",
        epochs=1,
        train_size=512,
        val_size=256,
        lr=3e-3,
        translate=2,
        hflip=True,
    )
    result = train(config, log=lambda s: None, progress=False)
    assert result.results["params"] == 269_722 and 0 <= result.results["test"]["accuracy"] <= 1


def test_real_mnist_subset_trains_above_90_percent(real_data_dir, tmp_path):
    config = TrainConfig(
        data="mnist",
        model="lenet5",
        epochs=2,
        train_size=8000,
        val_size=1000,
        data_dir=str(real_data_dir),
        out=str(tmp_path / "run"),
    )
    result = train(config, log=lambda s: None, progress=False)
    assert result.results["test"]["accuracy"] > 0.9


def test_fp16_on_cpu_is_a_clear_error(tmp_path):
    with pytest.raises(CnnlabError, match="fp16 needs a CUDA GPU"):
        train(
            quick(tmp_path, model="slp", epochs=1, precision="fp16", device="cpu"), log=lambda s: None, progress=False
        )
    assert not (tmp_path / "run").exists()


def test_bf16_autocast_trains_where_the_cpu_has_native_bf16(tmp_path):
    from cnnlab.train.device import cpu_supports_bf16

    if not cpu_supports_bf16():
        with pytest.raises(CnnlabError, match="no native bf16"):
            train(
                quick(tmp_path, model="lenet5", epochs=1, precision="bf16", device="cpu"),
                log=lambda s: None,
                progress=False,
            )
        return
    result = train(
        quick(tmp_path, model="lenet5", epochs=2, lr=3e-3, precision="bf16", channels_last=True, device="cpu"),
        log=lambda s: None,
        progress=False,
    )
    assert result.results["precision"] == "bf16" and result.results["test"]["accuracy"] > 0.5


def test_ema_weights_are_the_ones_evaluated_and_saved_and_resume_keeps_both(tmp_path, monkeypatch):
    from cnnlab.data import Batches, Normalise, dataset_spec, load_dataset
    from cnnlab.train import evaluate, loop

    config = dict(
        model="lenet5", epochs=3, lr=3e-3, ema=0.9, test_every_epoch=True, precision="fp32", channels_last=False
    )
    whole = train(quick(tmp_path, out=str(tmp_path / "whole"), **config), log=lambda s: None, progress=False)

    # the saved (averaged) weights give exactly the test accuracy the last epoch reported
    model, _ = load_run_model(whole.run_dir, "last")
    spec = dataset_spec("synthetic-mnist")
    test = Batches(load_dataset("synthetic-mnist", "test"), 1000, Normalise(spec.mean, spec.std), torch.device("cpu"))
    metrics, _ = evaluate(model, test, "fp32", torch.device("cpu"), 10)
    assert metrics["accuracy"] == whole.history[-1]["test_accuracy"]

    # stop after epoch 2's checkpoint, resume, and end where the uninterrupted run ended
    calls = []
    real_write = loop.write_metrics_csv

    def dies_after_epoch_2(path, history, columns):
        real_write(path, history, columns)
        calls.append(len(history))
        if len(history) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(loop, "write_metrics_csv", dies_after_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        train(quick(tmp_path, out=str(tmp_path / "cut"), **config), log=lambda s: None, progress=False)
    monkeypatch.setattr(loop, "write_metrics_csv", real_write)
    resumed = train(
        quick(tmp_path, out=str(tmp_path / "cut"), **config), resume=True, log=lambda s: None, progress=False
    )
    keep = ("train_loss", "train_accuracy", "val_accuracy", "test_accuracy")
    assert [{k: r[k] for k in keep} for r in resumed.history] == [{k: r[k] for k in keep} for r in whole.history]
    assert resumed.results["test"] == whole.results["test"]


def test_ema_must_be_a_decay():
    with pytest.raises(CnnlabError, match="--ema must be a decay"):
        TrainConfig(ema=1.0).validate()
