"""Headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser) for the browser
tests: where it is, the switches every launch gets, and screenshots kept for CI. Without
Chromium the browser tests are skipped, except in CI (PAIRWISE_REQUIRE_BROWSER=1), where a
missing browser is a failure."""

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
