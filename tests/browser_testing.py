"""Headless Debian chromium driven by Playwright's Python package, for the report and web-app tests.

Playwright never downloads a browser here: it launches the system chromium through `executable_path`
(`make browser` installs Debian's package). Where chromium or Playwright is missing the test skips and
says which. The flags keep chromium off the network it would otherwise call at start-up (updates, sync,
safe browsing), so a test sees only the requests its page makes.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",  # tests run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class BrowserPage:
    """A Playwright page plus what it logged: console errors, uncaught exceptions and every URL requested."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextlib.contextmanager
def chromium_page(width: int = 1280, height: int = 900):
    """Yield a BrowserPage in a fresh headless chromium; skip the test when chromium or Playwright is missing."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium is not installed (`make browser` installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            seen = BrowserPage(page)
            page.on(
                "console", lambda message: seen.console_errors.append(message.text) if message.type == "error" else None
            )
            page.on("pageerror", lambda error: seen.console_errors.append(str(error)))
            page.on("request", lambda request: seen.requests.append(request.url))
            yield seen
        finally:
            browser.close()
