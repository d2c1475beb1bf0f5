"""The report of a small real run in a real browser (Debian chromium): it opens with no console error, every
section is there, every image decodes (naturalWidth > 0), and the page requests nothing outside its own file."""

import pytest

from browser_testing import chromium_page
from report_testing import IMAGE_SECTIONS


@pytest.mark.data
def test_report_opens_in_chromium_with_every_section_and_image_and_no_request(mnist_run, tmp_path):
    report = mnist_run / "report.html"
    with chromium_page(1200, 900) as seen:
        seen.page.goto(report.as_uri())
        seen.page.wait_for_load_state("load")
        sections = seen.page.eval_on_selector_all("section", "all => all.map(s => s.id)")
        images = seen.page.eval_on_selector_all(
            "img", "all => all.map(i => [i.complete, i.naturalWidth, i.naturalHeight, i.alt])"
        )
        seen.page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert seen.console_errors == []
    assert sections == IMAGE_SECTIONS
    assert len(images) >= 20
    assert all(complete and width > 0 and height > 0 for complete, width, height, _ in images), images
    assert seen.requests == [report.as_uri()]  # the page itself; its images are data: URIs, fetched from nowhere
    assert (tmp_path / "report.png").stat().st_size > 10_000
