import pytest
import torch
from torch.utils.data import DataLoader

from cnnlab.bench.reference import tutorial_epoch, tutorial_tensors
from cnnlab.bench.speed import format_table, measure, training_flops_per_image
from cnnlab.inspect.summary import summary
from cnnlab.models import create_model


@pytest.mark.parametrize("name", ["lenet5", "keras-cnn"])
def test_training_flops_are_forward_plus_two_backward_passes(name):
    # 2 FLOPs per multiply-add; backward = grad of inputs + grad of weights, except the first layer's input
    s = summary(create_model(name, (1, 28, 28), 10), (1, 28, 28))
    first = next(layer for layer in s.layers if layer.macs)
    assert training_flops_per_image(name, (1, 28, 28), 10) == 6 * s.total_macs - 2 * first.macs


def test_tutorial_loop_normalises_like_totensor_normalize_and_learns():
    data = tutorial_tensors("synthetic-mnist", "train", limit=256)
    x, y = data.tensors
    assert x.dtype == torch.float32 and x.shape == (256, 1, 28, 28)
    torch.manual_seed(0)
    model = create_model("lenet5", (1, 28, 28), 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(data, batch_size=32, shuffle=True)
    first, seen, _ = tutorial_epoch(model, loader, optimizer)
    for _ in range(3):
        last, _, _ = tutorial_epoch(model, loader, optimizer)
    assert seen == 256 and last < 0.8 * first


def test_measure_reports_consistent_ratios_and_flop_fractions(monkeypatch):
    import cnnlab.bench.speed as speed

    monkeypatch.setitem(speed.MODELS, "lenet5", ("synthetic-mnist", 256))
    report = measure(["lenet5"], ["fp32"], rounds=1, batch_size=64, log=lambda line: None, peak_size=256)
    model = report["models"][0]
    ref, mine = model["rows"]["reference (fp32)"], model["rows"]["trainer fp32"]
    assert model["images_per_epoch"] == 256 and ref["ratio"] == 1.0
    # images/s are rounded to whole images: at the tens of images/s of a loaded machine that alone is ~1-2%
    rounding = 1 / mine["images_per_s"] + 1 / ref["images_per_s"]
    assert mine["ratio"] == pytest.approx(mine["images_per_s"] / ref["images_per_s"], rel=0.01 + rounding)
    flops = model["gflops_per_image"] * 1e9
    peak = report["peaks_gflops"]["fp32"]  # rounded to 0.001 GFLOP/s in the report
    expected = flops * mine["images_per_s"] / (peak * 1e9)
    # the report rounds the fraction to 4 decimals: under heavy load it is ~1e-3, where that rounding is several %
    assert mine["flops_fraction"] == pytest.approx(expected, rel=0.02 + 0.05 / peak, abs=5e-5)
    assert "trainer fp32" in format_table(report)


def test_cnnlab_bench_and_the_bench_script_share_flags_and_write_the_same_report(monkeypatch, tmp_path, capsys):
    import importlib.util
    import json
    from pathlib import Path

    import cnnlab.bench.speed as speed
    from cnnlab.cli import main

    monkeypatch.setitem(speed.MODELS, "lenet5", ("synthetic-mnist", 256))
    monkeypatch.setattr(
        speed, "matmul_peak", lambda dtype, n=2048: 1e11
    )  # the peak's timing is not what is tested here
    flags = ["--models", "lenet5", "--variants", "fp32", "--rounds", "1", "--batch-size", "64"]
    assert main(["bench", *flags, "--out", str(tmp_path / "cli.json")]) == 0
    script = Path(__file__).parents[2] / "bench" / "train_speed.py"
    spec = importlib.util.spec_from_file_location("train_speed", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([*flags, "--out", str(tmp_path / "script.json")]) == 0
    reports = [json.loads((tmp_path / name).read_text()) for name in ("cli.json", "script.json")]
    assert [set(r["models"][0]["rows"]) for r in reports] == [{"reference (fp32)", "trainer fp32"}] * 2
    assert capsys.readouterr().out.count("trainer fp32") == 2
