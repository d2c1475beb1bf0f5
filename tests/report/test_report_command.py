"""`cnnlab report` and the report `cnnlab train` writes: every section, every image a decodable PNG inside the
file, nothing fetched from outside it; the numpy engine, a model without conv layers, gridded runs; errors."""

import json
import re
import shutil
import sys

import pytest

from cnnlab.cli import main
from cnnlab.report import write_report
from report_testing import IMAGE_SECTIONS, assert_self_contained, decoded_images, sections_of

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("PIL")


@pytest.mark.data
def test_train_writes_a_report_with_every_section_and_only_inline_images(mnist_run):
    page = (mnist_run / "report.html").read_text()
    assert sections_of(page) == IMAGE_SECTIONS
    assert_self_contained(page)
    images = decoded_images(page)
    assert len(images) >= 20 and all(im.size[0] > 0 and im.size[1] > 0 for im in images)
    assert "lenet5 on mnist" in page and "features.0" in page and "penultimate-layer features" in page
    assert re.search(r"5-NN accuracy|5-nearest-neighbour", page)


@pytest.mark.data
def test_report_command_out_samples_and_json(mnist_run, tmp_path, capsys):
    out = tmp_path / "elsewhere" / "page.html"
    code = main(["report", str(mnist_run), "--out", str(out), "--samples", "60", "--json"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["report"] == str(out) and out.is_file()
    assert set(printed["seconds"]) >= {"predictions", "t-SNE", "total"}
    assert "60 test images mapped to 2-D" in out.read_text()
    assert not [p for p in out.parent.iterdir() if p.name != "page.html"]  # no temporary file left


def one_line_error(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "Traceback" not in err[0]
    return err[0]


@pytest.mark.data
def test_errors_are_one_line_and_write_nothing(mnist_run, tmp_path, capsys, monkeypatch):
    assert "is not a run folder" in one_line_error(capsys, "report", str(tmp_path))
    assert not (tmp_path / "report.html").exists()
    half = tmp_path / "half"
    half.mkdir()
    shutil.copy(mnist_run / "config.json", half / "config.json")
    assert "has no best.safetensors" in one_line_error(capsys, "report", str(half))
    assert not (half / "report.html").exists()
    monkeypatch.setitem(sys.modules, "sklearn", None)  # as if scikit-learn were not installed
    message = one_line_error(capsys, "report", str(mnist_run), "--out", str(tmp_path / "x.html"))
    assert "sklearn is not installed" in message and "pip install 'cnnlab[report]'" in message
    assert not (tmp_path / "x.html").exists()


def test_numpy_engine_run_without_conv_layers_gets_the_sections_that_apply(tmp_path, capsys):
    run = tmp_path / "numpy"
    assert (
        main(
            [
                "train",
                "--engine",
                "numpy",
                "--model",
                "two-layer-net",
                "--data",
                "synthetic-mnist",
                "--epochs",
                "1",
                "--train-size",
                "600",
                "--val-size",
                "100",
                "--no-report",
                "--out",
                str(run),
            ]
        )
        == 0
    )
    assert not (run / "report.html").exists()  # --no-report
    page = write_report(run, samples=50).read_text()
    assert sections_of(page) == IMAGE_SECTIONS
    assert "numpy (shown through its torch twin)" in page
    assert page.count("has no convolution layers") >= 2  # filters and feature maps say why they are absent
    assert "Grad-CAM needs a conv layer" in page
    decoded_images(page)


def test_forecast_run_report_has_maps_rmse_by_lead_and_filters(tmp_path):
    pytest.importorskip("xarray")
    from cnnlab.train import TrainConfig, train
    from geo_testing import make_grid_dataset, write

    data = write(make_grid_dataset(times=80), tmp_path, "netcdf4")
    config = TrainConfig(
        model="unet",
        data=data,
        task="forecast",
        lead="6h,12h",
        history=2,
        epochs=1,
        batch_size=16,
        model_options={"width": 4, "depth": 1},
        out=str(tmp_path / "run"),
        geo={"variables": ["t2m"]},
    )
    result = train(config, log=lambda line: None, progress=False)
    page = write_report(result.run_dir).read_text()
    assert sections_of(page) == ["summary", "curves", "maps", "rmse-by-lead", "scores", "filters"]
    assert_self_contained(page)
    assert len(decoded_images(page)) == 4  # curves, maps, RMSE by lead, filters
    assert "persistence" in page and "climatology" in page and "12h" in page
