"""`cnnlab compare` puts a "Compared with" section into each compared run's report.html (and `cnnlab report`
keeps drawing it): the runs' differing settings, their results and their overlaid curves as an inline PNG."""

import json

import pytest

from cnnlab.cli import main
from cnnlab.report import add_comparison_to_report, write_report
from cnnlab.report.html_page import Section, put_section, render_page
from report_testing import IMAGE_SECTIONS, assert_self_contained, decoded_images, sections_of

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("PIL")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two real short runs on the generated gratings that differ in optimizer and learning rate, each with its
    report.html (written here with a small t-SNE map, to keep the test short)."""
    root = tmp_path_factory.mktemp("compared")
    common = [
        "--data",
        "synthetic-mnist",
        "--model",
        "lenet5",
        "--epochs",
        "2",
        "--train-size",
        "400",
        "--val-size",
        "100",
        "--precision",
        "fp32",
    ]
    for name, optimizer in (("adam", ["--optimizer", "adam"]), ("sgd", ["--optimizer", "momentum", "--lr", "0.05"])):
        assert main(["train", *common, *optimizer, "--no-report", "--out", str(root / name)]) == 0
        write_report(root / name, samples=30)
    return root / "adam", root / "sgd"


def compared_section(page: str) -> str:
    start = page.index('<section id="compared">')
    return page[start : page.index("</section>", start)]


def test_compare_adds_the_section_to_every_existing_report(two_runs, tmp_path, capsys):
    adam, sgd = two_runs
    before = (adam / "report.html").read_text()
    assert sections_of(before) == IMAGE_SECTIONS
    assert main(["compare", str(adam), str(sgd), "--out", str(tmp_path / "curves.png"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["reports"] == [str((adam / "report.html").absolute()), str((sgd / "report.html").absolute())]
    for run, other in ((adam, "sgd"), (sgd, "adam")):
        page = (run / "report.html").read_text()
        assert sections_of(page) == [*IMAGE_SECTIONS, "compared"]
        assert '<a href="#compared">Compared with</a></nav>' in page
        assert_self_contained(page)
        section = compared_section(page)
        assert f"{run.name} beside {other}" in section and "optimizer" in section
        assert "momentum" in section and "adam" in section
        (curves,) = decoded_images(section)  # the overlay, inline like the report's other images
        assert curves.size[0] > 300 and curves.size[1] > 150
        assert curves.convert("L").getextrema()[0] < 128  # drawn lines, not a blank picture
    # Everything outside the new section is the page as it was.
    page = (adam / "report.html").read_text()
    assert (
        page.replace(compared_section(page) + "</section>\n", "").replace(' <a href="#compared">Compared with</a>', "")
        == before
    )

    # A second comparison replaces the section; the report command draws it again from compared.json.
    assert main(["compare", str(sgd), str(adam)]) == 0
    assert '"Compared with" section added to' in capsys.readouterr().out
    assert (adam / "report.html").read_text().count('<section id="compared">') == 1
    page = write_report(adam, samples=30).read_text()
    assert sections_of(page) == [*IMAGE_SECTIONS, "compared"] and len(decoded_images(compared_section(page))) == 1


def test_a_page_of_another_layout_is_left_alone(tmp_path):
    section = Section("compared", "Compared with", "<p>x</p>")
    assert put_section("<html><body>not a report</body></html>", section) is None
    page = render_page("t", "s", [Section("summary", "Summary", "<p>a</p>")], "footer")
    assert sections_of(put_section(page, section)) == ["summary", "compared"]
    assert add_comparison_to_report(tmp_path) is None  # no report.html, no comparison: nothing to do


def small_run(folder, optimizer):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(
        json.dumps({"model": "lenet5", "data": "mnist", "epochs": 2, "optimizer": optimizer})
    )
    (folder / "metrics.csv").write_text(
        "epoch,train_loss,train_accuracy,val_loss,val_accuracy\n1,1.0,0.5,1.1,0.45\n2,0.5,0.8,0.6,0.75\n"
    )
    return folder


def test_the_section_names_runs_deleted_since_the_comparison_and_survives_a_moved_parent(tmp_path):
    from cnnlab.report.comparison import comparison_section
    from cnnlab.runs.compare import record_comparison

    runs = [small_run(tmp_path / "runs" / name, name) for name in ("adam", "sgd", "rmsprop")]
    assert record_comparison(runs) == runs
    (tmp_path / "runs").rename(tmp_path / "moved")  # the record holds paths relative to each run folder
    moved = tmp_path / "moved"
    for name in ("sgd", "rmsprop"):
        for file in (moved / name).iterdir():
            file.unlink()
        (moved / name).rmdir()
        section = comparison_section(moved / "adam")
        assert "No longer there" in section.body and f"{name}." in section.body
        assert ("<img" in section.body) == (name == "sgd")  # adam and rmsprop still have curves to overlay
    assert "the other runs are gone" in section.body and "<img" not in section.body
