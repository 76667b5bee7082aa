"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright; never a downloaded
browser. Without Chromium the browser tests are skipped, except in CI
(PAIRWISE_REQUIRE_BROWSER=1), where a missing browser is a failure."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PAIRWISE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
BASE_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             "--disable-quic"]
# Chromium's switch for the third-party cookie phase-out: blocks cookies in cross-site frames.
BLOCK_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"


def _require_browser():
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("PAIRWISE_REQUIRE_BROWSER"):
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    pytest.skip(f"Chromium not found at {CHROMIUM}")


@pytest.fixture(scope="session")
def playwright_instance():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(params=["default cookies", "third-party cookies blocked"])
def browser_page(request, playwright_instance):
    args = list(BASE_ARGS)
    if request.param == "third-party cookies blocked":
        args.append(BLOCK_THIRD_PARTY_COOKIES)
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=args)
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    context.set_default_timeout(15000)
    page = context.new_page()
    page.cookie_mode = request.param
    yield page
    context.close()
    browser.close()


def screenshot(page, name: str) -> None:
    """Saved under artifacts/screenshots/ for CI to keep."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    slug = page.cookie_mode.replace(" ", "-")
    page.screenshot(path=str(ARTIFACTS / f"{name}-{slug}.png"), full_page=True)
