"""The sandbox's "register a tool dynamically" page in a real browser (Debian's Chromium, the
settings of tests/browser): it opens the tool's registration URL in an iframe and shows
"Registration complete" when the tool posts `org.imsglobal.lti.close`.

Each scenario runs in its own thread with its own Playwright: tests/browser keeps a
session-wide sync Playwright running in the main thread, and a second one cannot start there.
"""

import threading
from pathlib import Path

import pytest

from lti_tool.sandbox.setup import setup_sandbox
from tests.browser.conftest import BASE_ARGS, BLOCK_THIRD_PARTY_COOKIES, CHROMIUM

pytestmark = pytest.mark.browser
CLOSE = "window.postMessage({subject: 'org.imsglobal.lti.close'}, '*')"


@pytest.fixture(params=["default cookies", "third-party cookies blocked"])
def in_browser(request):
    """`in_browser(scenario)` runs `scenario(page)` in headless Chromium."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    args = [*BASE_ARGS, *([BLOCK_THIRD_PARTY_COOKIES] if "blocked" in request.param else [])]

    def run(scenario, timeout_ms: int = 15000):
        failure: list[BaseException] = []

        def target():
            from playwright.sync_api import sync_playwright

            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
                    page = browser.new_page()
                    page.set_default_timeout(timeout_ms)
                    try:
                        scenario(page)
                    finally:
                        browser.close()
            except BaseException as exc:  # re-raised in the test's thread
                failure.append(exc)

        thread = threading.Thread(target=target)
        thread.start()
        thread.join(timeout=120)
        if failure:
            raise failure[0]

    return run


@pytest.fixture
def sandbox(live_server):
    with live_server.app.app_context():
        setup_sandbox(live_server.tool_url)
    return live_server


def test_the_close_message_completes_the_registration(sandbox, in_browser):
    def scenario(page):
        page.goto(sandbox.sandbox_url + "/register-tool")
        page.evaluate("window.postMessage({subject: 'something else'}, '*')")
        page.evaluate(CLOSE)
        page.get_by_role("status").get_by_text("Registration complete").wait_for()
        assert page.locator("#registration-frame").is_hidden()

    in_browser(scenario)


def test_a_close_message_from_another_origin_than_the_tool_is_ignored(sandbox, in_browser):
    def scenario(page):
        page.goto(sandbox.sandbox_url + "/register-tool")
        page.get_by_role("button", name="Start registration").click()  # the tool's origin now
        page.frame_locator("iframe[name=registration-frame]").get_by_role(
            "button", name="Register").wait_for()
        page.evaluate(CLOSE)  # posted by the sandbox page itself, not by the tool
        page.wait_for_timeout(300)
        assert "complete" not in page.get_by_role("status").inner_text()

    in_browser(scenario)


def test_dynamic_registration_in_the_iframe(sandbox, in_browser):
    def scenario(page):
        page.goto(sandbox.sandbox_url + "/register-tool")
        page.get_by_role("button", name="Start registration").click()
        frame = page.frame_locator("iframe[name=registration-frame]")
        frame.get_by_role("button", name="Register").click()
        frame.get_by_role("button", name="Finish and return to the platform").click()
        page.get_by_role("status").get_by_text("Registration complete").wait_for()

    in_browser(scenario, timeout_ms=4000)  # every step is local: fail fast while refused
