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
    common = ["--data", "synthetic-mnist", "--model", "lenet5", "--epochs", "2", "--train-size", "400",
              "--val-size", "100", "--precision", "fp32"]
    for name, optimizer in (("adam", ["--optimizer", "adam"]), ("sgd", ["--optimizer", "momentum", "--lr", "0.05"])):
        assert main(["train", *common, *optimizer, "--no-report", "--out", str(root / name)]) == 0
        write_report(root / name, samples=30)
    return root / "adam", root / "sgd"


def compared_section(page: str) -> str:
    start = page.index('<section id="compared">')
    return page[start:page.index("</section>", start)]


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
    assert page.replace(compared_section(page) + "</section>\n", "").replace(' <a href="#compared">Compared with</a>',
                                                                            "") == before

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
