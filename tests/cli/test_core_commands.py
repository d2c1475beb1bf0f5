import json

import numpy as np
import pytest

from cnnlab.cli import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("cli") / "run"
    code = main(
        [
            "train",
            "--data",
            "synthetic-mnist",
            "--model",
            "lenet5",
            "--epochs",
            "2",
            "--train-size",
            "1500",
            "--val-size",
            "300",
            "--lr",
            "0.003",
            "--out",
            str(run),
        ]
    )
    assert code == 0
    return run


def test_summary_json_has_the_documented_keys(capsys):
    code, out, _ = run_cli(capsys, "summary", "keras-cnn", "--input", "1x28x28", "--json")
    data = json.loads(out)
    assert code == 0 and data["total_params"] == data["trainable_params"] == 93_322
    assert set(data["layers"][0]) == {"name", "type", "output_shape", "params", "macs"}
    assert data["layers"][0] == {
        "name": "conv2d",
        "type": "Conv2dReLU",
        "output_shape": [32, 26, 26],
        "params": 320,
        "macs": 194_688,
    }
    assert data["total_macs"] == sum(layer["macs"] for layer in data["layers"])


def test_summary_text_prints_the_table(capsys):
    code, out, _ = run_cli(capsys, "summary", "keras-cnn", "--input", "1x28x28")
    assert code == 0 and "conv2d_2 (Conv2dReLU)" in out and "36,928" in out and "Total params: 93,322" in out


def test_models_and_datasets_list(capsys, monkeypatch, tmp_path):
    code, out, _ = run_cli(capsys, "models", "--json")
    names = [m["name"] for m in json.loads(out)["models"]]
    assert code == 0 and {
        "slp",
        "mlp",
        "lenet5",
        "keras-cnn",
        "cifar-cnn",
        "vgg11",
        "vgg16",
        "resnet20",
        "resnet56",
        "plain20",
        "plain56",
        "resnet18",
    } <= set(names)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    code, out, _ = run_cli(capsys, "datasets", "--data-dir", str(tmp_path), "--json")
    status = {d["name"]: d["status"] for d in json.loads(out)["datasets"]}
    assert code == 0 and status["synthetic-cifar"] == "generated" and status["mnist"].startswith("missing")
    assert status["synthetic-cyclones"] == "generated" and status["air_temperature"].startswith("missing")
    (tmp_path / "air_temperature.nc").write_bytes(b"not the tutorial file")
    code, out, _ = run_cli(capsys, "datasets", "--data-dir", str(tmp_path))
    assert (
        code == 0
        and "air_temperature: missing or invalid" in out
        and "expected de5b9d45db48cf6b7034de1a4a6d6c98" in out
    )


def test_datasets_verifies_the_real_gridded_file(capsys, real_data_dir):
    code, out, _ = run_cli(capsys, "datasets", "--data-dir", str(real_data_dir), "--json")
    status = {d["name"]: d["status"] for d in json.loads(out)["datasets"]}
    assert code == 0 and status["air_temperature"] == "verified" and status["mnist"] == "verified"


@pytest.mark.parametrize(
    "argv,fragments",
    [
        (["train", "--model", "lenet6"], ["unknown model 'lenet6'", "lenet5"]),
        (["train", "--data", "imagenet"], ["unknown dataset 'imagenet'", "mnist"]),
        (["train", "--lr", "0"], ["--lr must be > 0"]),
        (["train", "--batch-size", "0"], ["--batch-size must be at least 1"]),
        (["train", "--option", "dropout"], ["key=value"]),
        (["summary", "lenet5", "--input", "1x8x8"], ["too small for lenet5", "floor("]),
        (["summary", "lenet5", "--input", "28x28xfoo"], ["CxHxW"]),
        (["eval", "/nonexistent/run"], ["not a run folder"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, fragments):
    code, _, err = run_cli(capsys, *argv)
    assert_one_line_error(code, err, *fragments)


def test_unknown_optimizer_is_rejected_by_argparse(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--optimizer", "lion"])
    assert exit_info.value.code == 2 and "invalid choice: 'lion'" in capsys.readouterr().err


def test_missing_dataset_files_offline_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("cnnlab.data.datasets.MNIST_MIRRORS", ())
    import dataclasses

    from cnnlab.data import datasets as ds

    spec = ds._SPECS["mnist"]
    offline = {k: tuple(dataclasses.replace(r, mirrors=()) for r in v) for k, v in spec.resources.items()}
    monkeypatch.setitem(ds._SPECS, "mnist", dataclasses.replace(spec, resources=offline))
    code, _, err = run_cli(
        capsys, "train", "--data", "mnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "run")
    )
    assert_one_line_error(code, err, "train-images-idx3-ubyte.gz", str(tmp_path / "mnist"))
    assert not (tmp_path / "run").exists()


def test_existing_run_folder_needs_overwrite_or_resume(capsys, trained_run):
    code, _, err = run_cli(capsys, "train", "--data", "synthetic-mnist", "--out", str(trained_run))
    assert_one_line_error(code, err, "already exists", "--overwrite", "--resume")


def test_resume_refuses_changed_settings(capsys, trained_run):
    code, _, err = run_cli(capsys, "train", "--resume", str(trained_run), "--lr", "0.5")
    assert_one_line_error(code, err, "only --epochs and --device may change, not --lr")


def test_eval_reproduces_the_training_test_accuracy(capsys, trained_run):
    code, out, _ = run_cli(capsys, "eval", str(trained_run), "--json")
    results = json.loads((trained_run / "results.json").read_text())
    assert code == 0 and json.loads(out)["test"]["accuracy"] == pytest.approx(results["test"]["accuracy"], abs=1e-6)


def test_predict_png_and_npy(capsys, trained_run, tmp_path):
    from PIL import Image

    from cnnlab.data import load_dataset

    test = load_dataset("synthetic-mnist", "test")
    Image.fromarray(test.images[0, 0].numpy()).resize((56, 56)).save(tmp_path / "a.png")  # resized back to 28x28
    np.save(tmp_path / "b.npy", test.images[1, 0].numpy().astype(np.float32) / 255)
    code, out, _ = run_cli(
        capsys, "predict", str(trained_run), str(tmp_path / "a.png"), str(tmp_path / "b.npy"), "--top", "2", "--json"
    )
    predictions = json.loads(out)["predictions"]
    assert code == 0 and len(predictions) == 2
    for p in predictions:
        probs = [t["probability"] for t in p["top"]]
        assert len(probs) == 2 and probs[0] >= probs[1] and 0 < sum(probs) <= 1.000001


def test_predict_undecodable_image_is_one_line(capsys, trained_run, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    code, _, err = run_cli(capsys, "predict", str(trained_run), str(tmp_path / "broken.png"))
    assert_one_line_error(code, err, "cannot decode", "broken.png")


def test_checkpoint_of_another_model_is_refused(capsys, trained_run, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(trained_run, other)
    config = json.loads((other / "config.json").read_text())
    config["model"] = "keras-cnn"
    (other / "config.json").write_text(json.dumps(config))
    code, _, err = run_cli(capsys, "eval", str(other))
    assert_one_line_error(code, err, "written for lenet5, not for keras-cnn")


def test_python_dash_m_and_console_script_work():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "cnnlab", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "train" in out.stdout and "summary" in out.stdout
