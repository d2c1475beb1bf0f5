"""The web app in a real browser (Debian chromium driven by Playwright): a real MNIST test digit traced as
mouse strokes on the canvas and a real MNIST picture chosen as a file are classified by a real LeNet-5 run;
layer views, the convolution stepper and the kernel playground work; no console error, no outside request."""

from __future__ import annotations

import numpy as np
import pytest

from browser_testing import chromium_page
from cnnlab.serve import RunCatalogue, create_app, find_run_dirs
from serve_testing import running_server

pytestmark = pytest.mark.data
Image = pytest.importorskip("PIL.Image")

CELL = 10  # canvas pixels per MNIST pixel: the 280x280 pad holds a 28x28 digit
BRUSH = 12  # a little wider than a cell, so neighbouring strokes join as the pen would


def trace(page, digit: np.ndarray) -> None:
    """Draw `digit` (28x28 uint8) on the pad with the mouse: one horizontal stroke per run of ink in a row."""
    box = page.locator("#pad").bounding_box()
    for row in range(digit.shape[0]):
        ink = np.flatnonzero(digit[row] >= 128)
        if not len(ink):
            continue
        runs = np.split(ink, np.flatnonzero(np.diff(ink) > 1) + 1)
        for run in runs:
            y = box["y"] + (row + 0.5) * CELL
            page.mouse.move(box["x"] + (run[0] + 0.5) * CELL, y)
            page.mouse.down()
            page.mouse.move(box["x"] + (run[-1] + 0.5) * CELL, y, steps=2)
            page.mouse.up()


def wait_for_prediction(page) -> str:
    page.wait_for_function("document.getElementById('top').dataset.state === 'done'", timeout=20_000)
    return page.locator("#top li").first.get_attribute("data-class")


@pytest.fixture(scope="module")
def app_url(mnist_run):
    with running_server(create_app(RunCatalogue(find_run_dirs([mnist_run])))) as url:
        yield url


def test_drawn_and_dropped_digits_layers_stepper_and_kernels(app_url, mnist_test, tmp_path):
    labels = [mnist_test.classes[int(y)] for y in mnist_test.labels[:4]]
    with chromium_page(1280, 1000) as browser:
        page = browser.page
        page.goto(app_url)
        page.wait_for_function("document.getElementById('run').options.length > 0")
        page.wait_for_function("document.getElementById('step-filter').options.length > 0")
        page.eval_on_selector("#brush", f"e => e.value = {BRUSH}")

        # three real MNIST test digits traced with the mouse, each classified as its label
        for i in range(3):
            page.click("#clear")
            trace(page, mnist_test.images[i, 0].numpy())
            assert wait_for_prediction(page) == labels[i], f"test image {i} drawn as strokes"
        page.screenshot(path=str(tmp_path / "app-draw.png"))

        # every conv and pooling layer of LeNet-5 shown, with one picture per channel (6, 6, 16, 16)
        layers = page.locator("#layers .layer")
        assert layers.count() == 4
        assert [layers.nth(k).locator("canvas").count() for k in range(4)] == [6, 6, 16, 16]
        assert page.eval_on_selector_all("#layers canvas", "cs => cs.every(c => c.width > 0 && c.height > 0)")

        # the stepper advances, and its dot product plus bias is the model's own output cell
        page.locator("#stepper").scroll_into_view_if_needed()
        for expected_step in (0, 1, 2, 3):
            assert page.get_attribute("#step-pos", "data-step") == str(expected_step)
            value = float(page.get_attribute("#step-sum", "data-value"))
            model = float(page.get_attribute("#step-sum", "data-model"))
            assert value == pytest.approx(model, abs=1e-4)
            page.click("#step-next")
        page.select_option("#step-filter", "4")
        # 400 steps on: row 14 of the output, in the middle of the digit, where the window holds ink
        page.evaluate("() => { for (let i = 0; i < 400; i++) document.getElementById('step-next').click(); }")
        assert page.get_attribute("#step-pos", "data-step") == "404"
        value = float(page.get_attribute("#step-sum", "data-value"))
        assert value == pytest.approx(float(page.get_attribute("#step-sum", "data-model")), abs=1e-4)
        page.click("#step-play")
        page.wait_for_function("+document.getElementById('step-pos').dataset.step > 407")
        page.click("#step-play")
        page.locator("#stepper").screenshot(path=str(tmp_path / "app-stepper.png"))

        # a real MNIST picture given as a file
        picture = tmp_path / "digit.png"
        Image.fromarray(mnist_test.images[3, 0].numpy()).save(picture)
        answered = int(page.get_attribute("#top", "data-count"))
        page.set_input_files("#file", str(picture))
        page.wait_for_function(f"+document.getElementById('top').dataset.count > {answered}")
        assert wait_for_prediction(page) == labels[3]

        # the kernel playground: sobel_x on the camera picture at load, then a typed kernel
        page.wait_for_function("document.getElementById('k-range').textContent.includes('values')")
        page.fill("#k-typed", "0,-1,0; -1,4,-1; 0,-1,0")
        page.click("#k-apply")
        page.wait_for_function("document.getElementById('k-kernel-caption').textContent === 'custom 3x3'")
        assert page.locator("#k-kernel td").count() == 9
        page.locator("#kernels").screenshot(path=str(tmp_path / "app-kernels.png"))
        page.screenshot(path=str(tmp_path / "app-full.png"), full_page=True)

        # the run's report (report.html, or the page saying how to write it) in its frame
        report = page.frame_locator("#report-frame").locator("body")
        report.wait_for(timeout=60_000)
        assert "lenet5" in report.inner_text()

    assert browser.console_errors == []
    outside = [url for url in browser.requests if not url.startswith((app_url, "data:", "blob:"))]
    assert outside == []
    for name in ("app-draw.png", "app-stepper.png", "app-kernels.png", "app-full.png"):
        assert Image.open(tmp_path / name).size[0] > 100
