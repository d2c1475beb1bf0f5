"""Bad training settings and model options: one line on stderr, exit 2, no traceback, nothing written.

Each case is what a person could type; the expected fragments are the option named and what is allowed."""

import json
import os

import pytest

from cli_testing import one_line_error
from cnnlab.errors import CnnlabError
from cnnlab.models import create_model
from cnnlab.train import TrainConfig, train

TINY = ["--data", "synthetic-mnist", "--epochs", "1", "--train-size", "256", "--val-size", "128", "--batch-size", "64"]

CASES = {
    # model options: type, range, list length, too deep, wrong kind of model for the task
    "dropout-text": (["--option", "dropout=abc"], ["dropout='abc'", "[0, 1)"]),
    "dropout-range": (["--option", "dropout=1.5"], ["dropout=1.5", "[0, 1)"]),
    "width-negative": (["--model", "fcn-resnet", "--option", "width=-4"], ["width=-4", "from 1 to"]),
    "width-zero": (["--model", "fcn-resnet", "--option", "width=0"], ["width=0", "from 1 to"]),
    "hidden-zero": (["--model", "two-layer-net", "--option", "hidden=0"], ["hidden=0", "from 1 to"]),
    "hidden-negative": (["--model", "two-layer-net", "--option", "hidden=-5"], ["hidden=-5"]),
    "hidden-empty": (["--model", "mlp", "--option", "hidden="], ["hidden=''", "separated by commas"]),
    "mlp-layer-negative": (["--model", "mlp", "--option", "hidden=100,-1"], ["hidden=-1"]),
    "widths-too-few": (["--model", "airbench", "--option", "widths=16"], ["widths=16", "exactly 3"]),
    "dilation-letters": (
        ["--model", "fcn-resnet", "--option", "dilation=a,b"],
        ["dilation='a,b'", "e.g. dilation=1,2,4"],
    ),
    "shortcut-unknown": (["--model", "resnet20", "--option", "shortcut=Z"], ["shortcut='Z'", "A, B"]),
    "batch-norm-text": (["--model", "vgg11", "--option", "batch_norm=maybe"], ["batch_norm='maybe'", "true or false"]),
    "too-wide": (
        ["--model", "fcn-resnet", "--option", "width=8000", "--option", "blocks=200"],
        ["parameters", "GB", "CNNLAB_MAX_BYTES"],
    ),
    "unet-classifies": (["--model", "unet"], ["'unet'", "not 10 class scores", "lenet5"]),
    # settings that are valid alone but not together, or out of bounds
    "sync-bn-alone": (["--sync-bn"], ["--sync-bn", "--distributed"]),
    "translate-whole-image": (["--translate", "28"], ["--translate 28", "28x28"]),
    "warmup-longer": (["--warmup-epochs", "5"], ["--warmup-epochs 5", "--epochs 1"]),
    "early-stop-no-val": (["--early-stop", "2", "--val-size", "0"], ["--early-stop", "--val-size 0"]),
    "train-size-zero": (["--train-size", "0"], ["--train-size 0"]),
    "lead-on-images": (["--lead", "24h"], ["--lead", "image classification"]),
    "padding-on-images": (["--padding", "circular"], ["--padding", "image classification"]),
    "seed-too-big": (["--seed", str(2**63)], ["--seed", "2^63-1"]),
    "seed-negative": (["--seed", "-1"], ["--seed"]),
    "epochs-absurd": (["--epochs", "1000000000"], ["--epochs", "100,000"]),
    "lr-infinite": (["--lr", "inf"], ["--lr", "finite"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_setting_is_one_line_and_writes_nothing(tmp_path, capsys, case):
    extra, fragments = CASES[case]
    out = tmp_path / "run"
    one_line_error(capsys, ["train", *TINY, *extra, "--out", str(out)], *fragments)
    assert not out.exists()


def test_unet_too_deep_for_the_grid_is_refused_with_the_sizes_before_allocating():
    with pytest.raises(CnnlabError) as error:
        create_model("unet", (1, 25, 53), 1, depth=10)
    message = str(error.value)
    assert "depth=10" in message and "25x53 -> 13x27 -> 7x14 -> 4x7 -> 2x4 -> 1x2" in message and "depth=4" in message
    create_model("unet", (1, 25, 53), 1, depth=4)  # the deepest that fits is built


def test_a_classifier_is_refused_where_a_task_needs_a_field():
    with pytest.raises(CnnlabError, match="'resnet20' gives 1 per sample, not a 1x64x64 field"):
        create_model("resnet20", (3, 64, 64), 1, output="field")


def test_memory_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CNNLAB_MAX_BYTES", "1e5")
    with pytest.raises(CnnlabError, match="limit of 0.0 GB"):
        create_model("lenet5", (1, 28, 28), 10)  # 61,706 parameters need ~1 MB to train, more than 100 kB
    monkeypatch.setenv("CNNLAB_MAX_BYTES", "lots")
    with pytest.raises(CnnlabError, match="CNNLAB_MAX_BYTES='lots'"):
        create_model("lenet5", (1, 28, 28), 10)


# --resume: what it cannot combine with, a finished run, a damaged config.json


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("finished") / "run"
    train(
        TrainConfig(
            data="synthetic-mnist", model="slp", epochs=1, train_size=256, val_size=128, batch_size=64, out=str(run)
        ),
        log=lambda s: None,
        progress=False,
    )
    return run


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--recipe", "mnist-fast"], "--recipe"),
        (["--overwrite"], "--overwrite"),
        ([], "finished its 1 epochs"),
        (["--epochs", "1"], "--epochs 1 is not more"),
    ],
)
def test_resume_refusals_leave_the_run_untouched(finished_run, capsys, extra, fragment):
    before = _snapshot(finished_run)
    one_line_error(capsys, ["train", "--resume", str(finished_run), *extra], fragment)
    assert _snapshot(finished_run) == before


@pytest.mark.parametrize(
    "damage, fragment",
    [
        (lambda c: c.pop("model"), "lacks 'model'"),
        (lambda c: c.update(epochs="three"), "epochs='three', which is not int"),
        (lambda c: c.update(lr=[1]), "lr=[1]"),
        (lambda c: c.update(compile=1), "compile=1, which is not bool"),
    ],
)
def test_a_damaged_config_json_is_one_line_on_resume_and_eval(finished_run, tmp_path, capsys, damage, fragment):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(finished_run, run)
    config = json.loads((run / "config.json").read_text())
    damage(config)
    (run / "config.json").write_text(json.dumps(config))
    line = one_line_error(capsys, ["train", "--resume", str(run), "--epochs", "2"], fragment, "damaged")
    assert str(run / "config.json") in line
    one_line_error(capsys, ["eval", str(run)], fragment)
    assert not (run / ".cnnlab-lock").exists() and len((run / "metrics.csv").read_text().splitlines()) == 2


def test_config_json_that_is_not_an_object(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("[1, 2]")
    one_line_error(capsys, ["eval", str(run)], "not a JSON object")
    assert os.listdir(run) == ["config.json"]


@pytest.mark.parametrize("seed", ["-1", str(2**64)])
def test_experiment_seed_out_of_range(capsys, tmp_path, seed):
    one_line_error(
        capsys,
        ["experiment", "init", "--data", "synthetic-mnist", "--quick", "--seed", seed, "--out", str(tmp_path / "e")],
        "--seed",
        "2^63-1",
    )
    assert not (tmp_path / "e").exists()
