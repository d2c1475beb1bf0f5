"""Gridded runs have what every run of the one loop has: resume after SIGKILL, `cnnlab eval`, EMA, lookahead,
early stop and DistributedDataParallel."""

import json
import signal
import subprocess

import pytest

from cli_testing import metric_rows, train_in_one_and_two_processes, train_process, wait_for_first_epoch
from cnnlab.cli import main
from cnnlab.train import TrainConfig, evaluate_run, train
from geo_testing import make_grid_dataset, write

pytest.importorskip("xarray")
TINY = {"width": 4, "depth": 1}
SEGMENT = [
    "--data",
    "synthetic-cyclones",
    "--task",
    "segment",
    "--model",
    "unet",
    "--option",
    "width=4",
    "--option",
    "depth=1",
    "--scenes",
    "96",
    "--batch-size",
    "16",
    "--seed",
    "2",
    "--precision",
    "fp32",
]


def _test_scores(run):
    return json.loads((run / "results.json").read_text())["test"]


@pytest.fixture(scope="module")
def grid_data(tmp_path_factory):
    return write(make_grid_dataset(times=400, lat=16, lon=32), tmp_path_factory.mktemp("grid"), "netcdf3")


def test_sigkill_mid_epoch_then_resume_matches_an_uninterrupted_forecast_run(tmp_path, grid_data):
    args = [
        "--data",
        grid_data,
        "--task",
        "forecast",
        "--variable",
        "t2m",
        "--lead",
        "6h,12h",
        "--history",
        "2",
        "--model",
        "unet",
        "--option",
        "width=8",
        "--option",
        "depth=2",
        "--epochs",
        "4",
        "--batch-size",
        "8",
        "--seed",
        "5",
    ]
    whole = _train(*args, "--out", str(tmp_path / "whole"))
    killed = tmp_path / "killed"
    victim = _train(*args, "--out", str(killed))
    wait_for_first_epoch(victim, killed)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    assert not (killed / "results.json").exists() and len(metric_rows(killed)) < 4

    resumed = _train("--resume", str(killed))
    out, _ = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, out.decode()
    assert "resuming" in out.decode()
    assert whole.wait(timeout=300) == 0, whole.stdout.read().decode()
    assert metric_rows(killed) == metric_rows(tmp_path / "whole")
    assert _test_scores(killed) == _test_scores(tmp_path / "whole")
    assert json.loads((killed / "results.json").read_text())["epochs"] == 4


def test_eval_of_a_forecast_run_prints_the_scores_of_its_results(tmp_path, grid_data, capsys):
    config = TrainConfig(
        model="unet",
        data=grid_data,
        task="forecast",
        lead="6h,12h",
        history=2,
        epochs=1,
        batch_size=16,
        model_options=dict(TINY),
        out=str(tmp_path / "run"),
        geo={"variables": ["t2m"]},
    )
    result = train(config, log=lambda line: None, progress=False)
    assert main(["eval", str(result.run_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["test"] == result.results["test"]
    assert main(["eval", str(result.run_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rmse = result.results["test"]["lead_12h"]["rmse"]
    assert (
        f"lead 12h: rmse {rmse['model']} in the data's units (persistence {rmse['persistence']}, "
        f"climatology {rmse['climatology']})" in lines
    )


def test_segment_run_with_ema_and_lookahead_resumes_to_the_same_scores_and_evals_to_them(tmp_path):
    """EMA and lookahead state are in last.state.pt for gridded runs too; eval recomputes F1/IoU of best.safetensors."""
    from cnnlab.train import loop

    options = dict(
        model="unet",
        data="synthetic-cyclones",
        task="segment",
        epochs=3,
        batch_size=16,
        lr=3e-3,
        model_options=dict(TINY),
        ema=0.9,
        lookahead=0.5,
        lookahead_every=3,
        geo={"scenes": 64, "val_scenes": 16, "test_scenes": 24},
    )
    whole = train(TrainConfig(**options, out=str(tmp_path / "whole")), log=lambda line: None, progress=False)

    real_write = loop.write_metrics_csv

    def dies_after_epoch_2(path, history, columns):
        real_write(path, history, columns)
        if len(history) == 2:
            raise KeyboardInterrupt

    loop.write_metrics_csv = dies_after_epoch_2
    try:
        with pytest.raises(KeyboardInterrupt):
            train(TrainConfig(**options, out=str(tmp_path / "cut")), log=lambda line: None, progress=False)
    finally:
        loop.write_metrics_csv = real_write
    resumed = train(
        TrainConfig(**options, out=str(tmp_path / "cut")), resume=True, log=lambda line: None, progress=False
    )
    assert [r["val_loss"] for r in resumed.history] == [r["val_loss"] for r in whole.history]
    assert resumed.results["test"] == whole.results["test"]
    evaluation = evaluate_run(tmp_path / "cut")
    assert evaluation["test"] == whole.results["test"] and {"f1", "iou"} <= set(evaluation["test"])


def test_early_stop_of_a_gridded_run_follows_the_validation_loss(tmp_path):
    config = TrainConfig(
        model="unet",
        data="synthetic-cyclones",
        task="detect",
        epochs=6,
        batch_size=16,
        optimizer="sgd",
        lr=5.0,
        schedule="constant",
        early_stop=1,
        model_options=dict(TINY),
        out=str(tmp_path / "run"),
        geo={"scenes": 48, "val_scenes": 16, "test_scenes": 16},
    )
    result = train(config, log=lambda line: None, progress=False)
    history = [r for r in result.history if r["val_loss"] == r["val_loss"]]
    best = min(history, key=lambda r: r["val_loss"])
    assert result.results["best_epoch"] == best["epoch"]
    if result.results["stopped_early"]:
        assert len(result.history) < 6 and result.history[-1]["epoch"] - best["epoch"] >= 1
    else:
        assert len(result.history) == 6


def test_two_gloo_processes_train_a_gridded_task_like_one(tmp_path):
    common = [*SEGMENT, "--epochs", "1"]
    _, ddp = train_in_one_and_two_processes(common, tmp_path / "one", tmp_path / "two")
    assert ddp.stdout.count("median centre error") == 1  # only rank 0 speaks
    one, two = (json.loads((tmp_path / name / "results.json").read_text()) for name in ("one", "two"))
    assert two["processes"] == 2
    rows_one, rows_two = metric_rows(tmp_path / "one"), metric_rows(tmp_path / "two")
    # the loss is a masked mean per process: two half batches average like one whole batch up to rounding
    assert float(rows_two[0]["val_loss"]) == pytest.approx(float(rows_one[0]["val_loss"]), rel=0.05)
    assert two["test"]["iou"] == pytest.approx(one["test"]["iou"], abs=0.05)


def _train(*args):
    return train_process(*args, stderr=subprocess.STDOUT)
