"""Headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser) for the browser
tests: where it is, the switches every launch gets, and screenshots kept for CI. Without
Chromium the browser tests are skipped, except in CI (PAIRWISE_REQUIRE_BROWSER=1), where a
missing browser is a failure."""

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PAIRWISE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
BASE_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             "--disable-quic"]
# Chromium's switch for the third-party cookie phase-out: blocks cookies in cross-site frames.
BLOCK_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"


def require_browser() -> None:
    """Skip (fail, in CI) when Chromium is missing."""
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("PAIRWISE_REQUIRE_BROWSER"):
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    pytest.skip(f"Chromium not found at {CHROMIUM}")


def screenshot(page, name: str) -> None:
    """Saved under artifacts/screenshots/ for CI to keep."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    slug = page.cookie_mode.replace(" ", "-")
    page.screenshot(path=str(ARTIFACTS / f"{name}-{slug}.png"), full_page=True)


STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "pairwise.css"


@contextlib.contextmanager
def static_page(browser, html: str, width: int) -> Iterator:
    """A page of the tool's own HTML (from the test client) with its stylesheet, `width` px
    wide, that loads nothing from the network: for checks of layout alone. In a context of
    its own, in the session's one Chromium (`static_browser`): launching a browser per page
    cost more than the checks."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.abort())
        page.set_content(html)
        page.add_style_tag(content=STYLESHEET.read_text())
        yield page
    finally:
        context.close()


@contextlib.contextmanager
def chromium_page(playwright, label: str, width: int, height: int = 900,
                  args: tuple[str, ...] = (), **context_options) -> Iterator:
    """A page in a Chromium of its own (`args` beside BASE_ARGS), `width` x `height`, with
    the browser tests' 15-s timeout; `label` names it in screenshots (`page.cookie_mode`)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*BASE_ARGS, *args])
    context = browser.new_context(viewport={"width": width, "height": height},
                                  **context_options)
    context.set_default_timeout(15000)
    try:
        page = context.new_page()
        page.cookie_mode = label
        yield page
    finally:
        context.close()
        browser.close()
