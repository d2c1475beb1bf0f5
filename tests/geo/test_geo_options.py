"""Typed options of the gridded tasks: defaults in one place, unknown keys and bad values refused before any file."""

import pytest

from cnnlab.cli import build_parser
from cnnlab.errors import CnnlabError
from cnnlab.geo.options import PADDING_CHOICES, CycloneOptions, ForecastOptions, options_for
from cnnlab.train import TrainConfig, train
from cnnlab.train.config import resume_config


def test_options_come_typed_with_their_defaults():
    forecast = options_for("forecast", {"variables": ["t2m"], "levels": [500], "box": [20, 60, 230, 300]})
    assert forecast == ForecastOptions(variables=("t2m",), levels=(500.0,), box=(20.0, 60.0, 230.0, 300.0))
    assert (forecast.nans, forecast.padding, forecast.weights) == ("error", "auto", "cos")
    assert options_for("segment", {}) == CycloneOptions() and CycloneOptions().scenes == 1600


@pytest.mark.parametrize(
    "task,geo,message",
    [
        ("forecast", {"scenes": 10}, "--scenes is not an option of --task forecast"),
        ("segment", {"weights": "cos"}, "--weights is not an option of --task segment"),
        ("forecast", {"padding": "mirror"}, "--padding 'mirror' is not one of: auto, zeros"),
        ("detect", {"scenes": 0}, "--scenes and --test-scenes must be >= 1"),
    ],
)
def test_bad_options_are_refused_before_any_file(tmp_path, task, geo, message):
    data = "synthetic-cyclones" if task != "forecast" else "air_temperature"
    config = TrainConfig(
        model="unet",
        data=data,
        task=task,
        epochs=1,
        geo=geo,
        out=str(tmp_path / "run"),
        model_options={"width": 4, "depth": 1},
    )
    with pytest.raises(CnnlabError, match=message):
        train(config, log=lambda line: None, progress=False)
    assert not (tmp_path / "run").exists()


def test_the_cli_takes_choices_and_defaults_from_the_library():
    train_parser = build_parser()._subparsers._group_actions[0].choices["train"]
    actions = {a.dest: a for a in train_parser._actions}
    assert tuple(actions["padding"].choices) == PADDING_CHOICES
    assert f"default {CycloneOptions().scenes}" in actions["scenes"].help
    assert f"default {TrainConfig().history}" in actions["history"].help


def test_resume_rules_live_in_the_library(tmp_path):
    TrainConfig(data="mnist", model="lenet5", epochs=2).save(tmp_path / "config.json")
    config = resume_config(tmp_path, {"epochs": 5, "model": "lenet5"})
    assert config.epochs == 5 and config.out == str(tmp_path)
    with pytest.raises(CnnlabError, match="only --epochs and --device may change, not --batch-size"):
        resume_config(tmp_path, {"batch_size": 7})
    with pytest.raises(CnnlabError, match="not a run folder"):
        resume_config(tmp_path / "nothing", {})
