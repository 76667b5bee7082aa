"""Fixtures for the browser tests: Playwright driving headless Chromium
(tests/support/browser.py), a page per test, with default cookies and with third-party
cookies blocked."""

import pytest

from tests.support.browser import BASE_ARGS, BLOCK_THIRD_PARTY_COOKIES, CHROMIUM, require_browser


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
