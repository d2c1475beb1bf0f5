import pytest

from cnnlab.cli import main
from cnnlab.errors import CnnlabError
from cnnlab.train import TrainConfig
from cnnlab.train.device import fast_precision
from cnnlab.train.recipes import RECIPES, recipe_config


def test_every_recipe_builds_a_valid_config_with_its_own_name():
    for name in RECIPES:
        config = recipe_config(name)
        assert isinstance(config, TrainConfig) and config.recipe == name
        assert config.precision in ("fp32", "bf16")


def test_given_values_override_the_recipe():
    config = recipe_config("mnist-fast", {"epochs": 3, "seed": 5, "precision": "fp32"})
    assert (config.epochs, config.seed, config.precision) == (3, 5, "fp32")
    assert config.model == RECIPES["mnist-fast"].settings["model"] and config.test_every_epoch


def test_fast_precision_is_bf16_only_where_native(monkeypatch):
    import cnnlab.train.device as device

    monkeypatch.setattr(device, "cpu_supports_bf16", lambda: False)
    assert fast_precision("cpu") == "fp32" and fast_precision("cuda") == "bf16"
    monkeypatch.setattr(device, "cpu_supports_bf16", lambda: True)
    assert fast_precision("cpu") == "bf16" and fast_precision("mps") == "fp32"


def test_cifar10_fast_carries_the_airbench_mechanisms():
    config = recipe_config("cifar10-fast")
    assert config.model == "airbench" and config.label_smoothing == 0.2 and config.alternating_flip and config.hflip
    assert config.lookahead > 0 and config.tta == 2 and config.translate == 2


def test_unknown_recipe_is_a_one_line_error(capsys):
    with pytest.raises(CnnlabError, match="unknown recipe 'nope'; choose one of: mnist-fast"):
        recipe_config("nope")
    assert main(["train", "--recipe", "nope"]) == 2
    assert "unknown recipe" in capsys.readouterr().err


def test_cli_recipe_with_overrides_trains_and_records_the_recipe(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--recipe",
            "mnist-fast",
            "--data",
            "synthetic-mnist",
            "--train-size",
            "256",
            "--epochs",
            "1",
            "--batch-size",
            "128",
            "--no-report",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "fast-cnn" in text and "test acc" in text  # the per-epoch test accuracy of the recipe
    config = TrainConfig.load(out / "config.json")
    assert config.recipe == "mnist-fast" and config.epochs == 1 and config.data == "synthetic-mnist"
    assert "test_accuracy" in (out / "metrics.csv").read_text().splitlines()[0]
