import pytest
import torch

from cnnlab.errors import CnnlabError
from cnnlab.train import TrainConfig
from cnnlab.train.optimizers import build_optimizer
from cnnlab.train.schedules import lr_factor


@pytest.mark.parametrize(
    "change,message",
    [
        ({"lr": 0.0}, "--lr must be > 0"),
        ({"batch_size": 0}, "--batch-size must be at least 1"),
        ({"epochs": 0}, "--epochs must be at least 1"),
        ({"optimizer": "lion"}, "unknown optimizer 'lion'; choose one of: sgd, momentum"),
        ({"schedule": "exp"}, "unknown schedule"),
        ({"precision": "fp8"}, "unknown precision"),
        ({"label_smoothing": 1.0}, "label-smoothing"),
    ],
)
def test_invalid_settings_are_named(change, message):
    with pytest.raises(CnnlabError, match=message):
        TrainConfig(**change).validate()


def test_config_round_trips_through_json(tmp_path):
    config = TrainConfig(model="mlp", model_options={"hidden": [10, 10]}, hflip=True)
    config.save(tmp_path / "config.json")
    assert TrainConfig.load(tmp_path / "config.json") == config


def test_schedule_shapes():
    total = 100
    assert lr_factor("constant", 50, total) == 1.0
    assert [lr_factor("step", s, total) for s in (0, 49, 50, 74, 75, 99)] == [1, 1, 0.1, 0.1, 0.01, 0.01]
    assert lr_factor("cosine", 0, total) == 1.0 and abs(lr_factor("cosine", 50, total) - 0.5) < 1e-12
    assert lr_factor("onecycle", 0, total) == pytest.approx(0.1) and lr_factor("onecycle", 25, total) == pytest.approx(
        1.0
    )
    assert lr_factor("onecycle", 100, total) == 0.0
    # warm-up: linear from 1/w to 1 over w steps, then the schedule on the remaining steps
    assert [lr_factor("cosine", s, total, warmup=4) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert lr_factor("cosine", 4, total, warmup=4) == 1.0


@pytest.mark.parametrize(
    "name,cls",
    [
        ("sgd", torch.optim.SGD),
        ("nesterov", torch.optim.SGD),
        ("adagrad", torch.optim.Adagrad),
        ("rmsprop", torch.optim.RMSprop),
        ("adam", torch.optim.Adam),
        ("adamw", torch.optim.AdamW),
    ],
)
def test_optimizers_by_name_decay_only_weights(name, cls):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    opt = build_optimizer(name, model.parameters(), 0.1, weight_decay=0.01)
    assert isinstance(opt, cls)
    decays = {p.ndim: g["weight_decay"] for g in opt.param_groups for p in g["params"]}
    assert decays == {2: 0.01, 1: 0.0}
    if name == "nesterov":
        assert opt.param_groups[0]["nesterov"] and opt.param_groups[0]["momentum"] == 0.9


def test_missing_lr_is_the_models_suggestion_and_a_given_lr_wins():
    from cnnlab.models import model_info
    from cnnlab.train.config import DEFAULT_LR

    assert model_info("mlp").lr == 1e-2 and model_info("keras-cnn").lr is None
    assert TrainConfig(model="mlp").validate().lr == 1e-2
    assert TrainConfig(model="keras-cnn").validate().lr == DEFAULT_LR
    assert TrainConfig(model="mlp", lr=3e-4).validate().lr == 3e-4
    with pytest.raises(CnnlabError, match="unknown model 'nope'"):
        TrainConfig(model="nope").validate()


@pytest.mark.parametrize(
    "change,message",
    [
        ({"engine": "numpy", "compile": True}, "--compile is a switch of the torch engine, not of --engine numpy"),
        (
            {"task": "forecast", "data": "air_temperature", "model": "unet", "tta": 1},
            "--tta is a switch of image classification, not of --task forecast",
        ),
        ({"engine": "numpy", "task": "segment"}, "--engine numpy trains image classifiers only"),
    ],
)
def test_switches_of_one_trainer_are_refused_by_the_others(change, message):
    with pytest.raises(CnnlabError, match=message):
        TrainConfig(**change).validate()


def test_the_fast_path_is_the_default_of_the_torch_image_trainer_only(monkeypatch):
    import cnnlab.train.device as device
    from cnnlab.train import TrainConfig

    monkeypatch.setattr(device, "cpu_supports_bf16", lambda: True)
    images = TrainConfig(device="cpu").validate()
    assert (images.precision, images.channels_last) == ("bf16", True)
    monkeypatch.setattr(device, "cpu_supports_bf16", lambda: False)
    assert TrainConfig(device="cpu").validate().precision == "fp32"  # no native bf16: fp32, never emulated bf16
    numpy_engine = TrainConfig(engine="numpy", device="cpu").validate()
    gridded = TrainConfig(task="forecast", data="air_temperature", device="cpu").validate()
    assert [(c.precision, c.channels_last) for c in (numpy_engine, gridded)] == [("fp32", False)] * 2
    explicit = TrainConfig(device="cpu", precision="fp32", channels_last=False).validate()
    assert (explicit.precision, explicit.channels_last) == ("fp32", False)


@pytest.mark.parametrize(
    "values,message",
    [
        (dict(engine="numpy", model="two-layer-net", precision="bf16"), "the numpy engine computes in float32 only"),
        (dict(engine="numpy", model="two-layer-net", device="cuda"), "the numpy engine runs on the CPU"),
        (
            dict(engine="numpy", model="two-layer-net", channels_last=True),
            "--channels-last has no meaning for the numpy engine",
        ),
        (
            dict(task="forecast", data="air_temperature", model="unet", precision="bf16"),
            "--task forecast trains in fp32 only",
        ),
    ],
)
def test_what_an_engine_or_task_cannot_do_is_refused_by_validate(values, message):
    with pytest.raises(CnnlabError, match=message):
        TrainConfig(**values).validate()
