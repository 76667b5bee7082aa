"""Fixtures for the browser tests: Playwright driving headless Chromium
(tests/support/browser.py), a page per test, with default cookies and with third-party
cookies blocked."""

import pytest

from tests.support.browser import (
    BASE_ARGS,
    BLOCK_THIRD_PARTY_COOKIES,
    CHROMIUM,
    chromium_page,
    require_browser,
)


@pytest.fixture(scope="session")
def playwright_instance():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def static_browser(playwright_instance):
    """One Chromium for the checks of static pages (support/browser.py `static_page`)."""
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
    yield browser
    browser.close()


@pytest.fixture(params=["default cookies", "third-party cookies blocked"])
def browser_page(request, playwright_instance):
    blocked = request.param == "third-party cookies blocked"
    with chromium_page(playwright_instance, request.param, 1200, 1400,
                       args=(BLOCK_THIRD_PARTY_COOKIES,) if blocked else ()) as page:
        yield page
