"""The Content-Security-Policy in a real browser: the sandbox LMS (another site) frames the
tool, deep linking auto-posts back to it, dynamic registration runs in its frame, the tool's
script runs, and Chromium reports no violation; a site that is not a registered platform
cannot frame the tool."""


import pytest
from werkzeug.wrappers import Response

from tests.support.browser import BASE_ARGS, CHROMIUM
from tests.support.journeys import press
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.browser

# Reported to the console by every frame, the tool's cross-site ones included.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  "CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI + " on " +
  e.documentURI));
"""


@pytest.fixture
def page(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
    context = browser.new_context()
    context.set_default_timeout(15000)
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.messages = []
    page.on("console", lambda message: page.messages.append(message.text))
    yield page
    context.close()
    browser.close()


def violations(page) -> list[str]:
    return [m for m in page.messages if "Content Security Policy" in m or "CSP violation" in m]


def test_the_tool_works_in_the_lms_frame_without_violations(live_sandbox, page):
    page.goto(live_sandbox.sandbox_url + "/")
    frame = page.frame_locator("iframe[name=tool-frame]")
    # Deep linking: the tool's page auto-posts the signed response to the LMS (form-action).
    press(page.get_by_role("button", name="Add activity (deep linking) as Iris Instructor"))
    frame.get_by_label("Program title").fill("Policy check")
    press(frame.get_by_role("button", name="Add to the course"))
    frame.get_by_text("Activity added").wait_for()
    page.goto(live_sandbox.sandbox_url + "/")
    # A learner's launch: the intake, whose time zone the tool's script fills in.
    press(page.get_by_role("button", name="Launch as Lena Learner").first)
    frame.get_by_role("heading", name="Tell us about yourself").wait_for()
    zone = frame.locator("select[data-browser-timezone]")
    assert zone.count() == 1 and zone.input_value()
    # Dynamic registration in the LMS's frame, before the LMS is registered through it.
    page.goto(live_sandbox.sandbox_url + "/register-tool")
    press(page.get_by_role("button", name="Start registration"))
    registration = page.frame_locator("iframe[name=registration-frame]")
    press(registration.get_by_role("button", name="Register"))
    registration.get_by_text("is registered").wait_for()
    press(registration.get_by_role("button", name="Finish and return to the platform"))
    page.get_by_role("status").get_by_text("Registration complete").wait_for()
    assert violations(page) == []


def test_a_site_that_is_not_a_platform_cannot_frame_the_tool(live_sandbox, page):
    tool_page = live_sandbox.tool_url + "/admin/sign-in"
    html = f'<!doctype html><title>Not an LMS</title><iframe src="{tool_page}"></iframe>'
    server = ThreadedServer(Response(html, mimetype="text/html"))
    try:
        page.goto(f"http://127.0.0.1:{server.port}/")
        page.wait_for_timeout(1500)
        assert any("frame-ancestors" in message for message in page.messages), page.messages
        frame = page.frames[-1]
        assert "Admin token" not in (frame.content() if frame != page.main_frame else "")
    finally:
        server.close()
