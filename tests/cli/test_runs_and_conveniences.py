"""cnnlab runs, compare, --version, did-you-mean suggestions and shell completion."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnlab.cli import main
from cnnlab.version import __version__


def make_run(folder: Path, name: str, accuracy: float | None, optimizer="adam", epochs=3, status=None):
    run = folder / name
    run.mkdir(parents=True)
    config = {
        "model": "lenet5",
        "data": "folder:/home/me/pets?size=32x32",
        "epochs": epochs,
        "optimizer": optimizer,
        "lr": 0.002,
        "out": str(run),
    }
    (run / "config.json").write_text(json.dumps(config))
    rows = ["epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,epoch_time_s,images_per_s"]
    rows += [
        f"{e},{1 / e:.3f},{0.5 + 0.1 * e:.3f},{1.2 / e:.3f},{0.45 + 0.1 * e:.3f},0.001,1.0,1000"
        for e in range(1, epochs + 1)
    ]
    (run / "metrics.csv").write_text("\n".join(rows) + "\n")
    if accuracy is not None:
        results = {
            "test": {"accuracy": accuracy, "loss": 0.1},
            "epochs": epochs,
            "wall_time_s": 12.5,
            "images_per_s": 2500,
        }
        if status:
            results["status"] = status
        (run / "results.json").write_text(json.dumps(results))
    return run


def test_runs_lists_sorts_and_reports_status(tmp_path, capsys):
    make_run(tmp_path, "a", 0.91)
    make_run(tmp_path, "b", 0.97, optimizer="sgd")
    make_run(tmp_path, "c", None, epochs=2)  # killed before results.json: interrupted
    (tmp_path / "not-a-run").mkdir()
    assert main(["runs", str(tmp_path), "--sort", "accuracy", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["runs"]
    assert [r["name"] for r in rows] == ["b", "a", "c"]
    assert [r["status"] for r in rows] == ["finished", "finished", "interrupted"]
    assert rows[0]["data"] == "folder:pets" and rows[2]["epochs"] == 2 and rows[0]["images_per_s"] == 2500
    assert main(["runs", str(tmp_path), "--sort", "name"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["name", "data", "model", "epochs"]
    assert lines[1].startswith("a ") and "accuracy 91.00%" in lines[1] and "finished" in lines[1]
    assert "interrupted" in lines[3]


def test_runs_on_500_folders_takes_under_a_second(tmp_path):
    for i in range(500):
        make_run(tmp_path, f"run{i:03d}", 0.5 + i / 1000)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cnnlab", "runs", str(tmp_path), "--sort", "accuracy"],
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - start
    assert done.returncode == 0 and done.stdout.count("\n") == 501
    print(f"cnnlab runs on 500 run folders: {seconds:.2f} s (load {os.getloadavg()[0]:.1f})")
    assert seconds < 1.0 * max(1.0, os.getloadavg()[0] / 2)  # a loaded 2-core machine shares its time


def test_compare_shows_differences_metrics_and_one_png(tmp_path, capsys):
    a, b = make_run(tmp_path, "adam", 0.91), make_run(tmp_path, "sgd", 0.95, optimizer="sgd")
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "curves.png"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["differences"] == {"optimizer": ["adam", "sgd"]}  # `out` differs too but is not a setting
    assert [m["value"] for m in out["metrics"]] == [0.91, 0.95]
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out["plot"] == str(
        tmp_path / "curves.png"
    )
    assert main(["compare", str(a), str(b)]) == 0
    text = capsys.readouterr().out
    assert "optimizer" in text and "adam" in text and "sgd" in text and "accuracy 95.00%" in text
    assert (tmp_path / "compare.png").is_file()


def test_compare_needs_two_runs(tmp_path, capsys):
    a = make_run(tmp_path, "a", 0.9)
    assert main(["compare", str(a)]) == 2
    assert "at least two run folders" in capsys.readouterr().err


def test_version_and_did_you_mean(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"cnnlab {__version__}"
    assert main(["trian"]) == 2
    assert "did you mean `cnnlab train`?" in capsys.readouterr().err
    assert main(["train", "--model", "lenet", "--data", "synthetic-mnist"]) == 2
    assert "did you mean 'lenet5'?" in capsys.readouterr().err


def test_completion_script_completes_commands(tmp_path, capsys):
    pytest.importorskip("argcomplete")
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert "complete" in script and "cnnlab" in script
    # Ask for completions the way the shell does: argcomplete reads the line from the environment.
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
        "_ARGCOMPLETE": "1",
        "COMP_LINE": "cnnlab tr",
        "COMP_POINT": "9",
        "_ARGCOMPLETE_IFS": "\n",
        "_ARGCOMPLETE_STDOUT_FILENAME": str(tmp_path / "completions"),
    }
    done = subprocess.run([sys.executable, "-m", "cnnlab"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "completions").read_text().split() == ["train"]


def test_a_diverged_run_is_listed_as_diverged(tmp_path, capsys, monkeypatch):
    from cnnlab.data.batches import Batches
    from cnnlab.errors import CnnlabError
    from cnnlab.train import TrainConfig, train

    # diverging in the first epoch, before any checkpoint, leaves no folder to list
    config = TrainConfig(
        data="synthetic-mnist",
        model="lenet5",
        epochs=2,
        train_size=256,
        val_size=128,
        batch_size=64,
        optimizer="sgd",
        lr=1e12,
        precision="fp32",
        out=str(tmp_path / "runs" / "boom"),
    )
    with pytest.raises(CnnlabError, match="training diverged"):
        train(config, log=lambda line: None, progress=False)
    assert not (tmp_path / "runs" / "boom").exists()

    real_iter = Batches.__iter__
    epochs_seen = []

    def poisoned(self):  # the second training epoch gets nan pixels, after epoch 1's checkpoint exists
        if self.shuffle:
            epochs_seen.append(1)
        for x, y in real_iter(self):
            yield (x * float("nan") if self.shuffle and len(epochs_seen) == 2 else x), y

    monkeypatch.setattr(Batches, "__iter__", poisoned)
    config = TrainConfig(
        data="synthetic-mnist",
        model="lenet5",
        epochs=2,
        train_size=256,
        val_size=128,
        batch_size=64,
        precision="fp32",
        out=str(tmp_path / "runs" / "later"),
    )
    with pytest.raises(CnnlabError, match="training diverged"):
        train(config, log=lambda line: None, progress=False)
    capsys.readouterr()
    assert main(["runs", str(tmp_path / "runs"), "--json"]) == 0
    assert [r["status"] for r in json.loads(capsys.readouterr().out)["runs"]] == ["diverged"]
