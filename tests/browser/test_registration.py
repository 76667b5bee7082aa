"""The sandbox's "register a tool dynamically" page in a real browser: it opens the tool's
registration URL in an iframe (cross-site) and shows "Registration complete" when the tool
posts `org.imsglobal.lti.close`."""

import pytest

from tests.support.journeys import press

pytestmark = pytest.mark.browser
CLOSE = "window.postMessage({subject: 'org.imsglobal.lti.close'}, '*')"


def test_dynamic_registration_in_the_iframe(live_sandbox, browser_page):
    page = browser_page
    page.goto(live_sandbox.sandbox_url + "/register-tool")
    press(page.get_by_role("button", name="Start registration"))
    frame = page.frame_locator("iframe[name=registration-frame]")
    press(frame.get_by_role("button", name="Register"))  # a CSRF-protected POST in the frame
    frame.get_by_text("is registered").wait_for()
    press(frame.get_by_role("button", name="Finish and return to the platform"))
    page.get_by_role("status").get_by_text("Registration complete").wait_for()


def test_the_close_message_completes_the_registration(live_sandbox, browser_page):
    page = browser_page
    page.goto(live_sandbox.sandbox_url + "/register-tool")
    page.evaluate("window.postMessage({subject: 'something else'}, '*')")
    page.evaluate(CLOSE)
    page.get_by_role("status").get_by_text("Registration complete").wait_for()
    assert page.locator("#registration-frame").is_hidden()


def test_a_close_message_from_another_origin_than_the_tool_is_ignored(live_sandbox,
                                                                      browser_page):
    page = browser_page
    page.goto(live_sandbox.sandbox_url + "/register-tool")
    press(page.get_by_role("button", name="Start registration"))  # the tool's origin now
    page.frame_locator("iframe[name=registration-frame]").get_by_role(
        "button", name="Register").wait_for()
    page.evaluate(CLOSE)  # posted by the sandbox page itself, not by the tool
    page.wait_for_timeout(300)
    assert "complete" not in page.get_by_role("status").inner_text()
