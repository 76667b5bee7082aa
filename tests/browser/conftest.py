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
    screenshot,
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call" and report.failed:
        _describe_pages(item, report)
    return report


def _describe_pages(item, report) -> None:
    """Where each frame of the test's page was when it failed, and what it said: a
    Playwright timeout alone does not say which page the browser was on."""
    for name in ("browser_page", "page"):
        page = item.funcargs.get(name)
        if page is None or not hasattr(page, "frames"):
            continue
        lines = []
        for frame in page.frames:
            try:
                text = frame.evaluate("() => document.body ? document.body.innerText : ''")
            except Exception as exc:  # noqa: BLE001 - a frame gone mid-navigation
                text = f"({exc.__class__.__name__})"
            lines.append(f"frame {frame.name or '(top)'}: {frame.url}\n{text[:1500]}")
        report.sections.append(("pages at the failure", "\n\n".join(lines)))
        try:
            screenshot(page, f"failed-{item.name}")
        except Exception:  # noqa: BLE001, S110 - the report above is what matters
            pass
