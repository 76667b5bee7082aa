"""The tool inside the sandbox course page's iframe, in a real browser: the course page is on
`localhost`, the tool on `127.0.0.1` (another site), so the browser applies its third-party
cookie rules to every request the tool's frame makes."""

import time
from urllib.parse import urlsplit

import pytest

from tests.support.browser import screenshot
from tests.support.journeys import follow, press

pytestmark = pytest.mark.browser



def test_deep_linking_and_launches_inside_the_iframe(live_sandbox, browser_page):
    page = browser_page
    page.goto(live_sandbox.sandbox_url + "/")
    frame = page.frame_locator("iframe[name=tool-frame]")

    # Staff add the activity through deep linking, inside the iframe.
    press(page.get_by_role("button", name="Add activity (deep linking) as Iris Instructor"))
    frame.get_by_label("Program title").fill("Autumn mentoring")
    frame.get_by_label("Maximum participation grade").fill("50")
    press(frame.get_by_role("button", name="Add to the course"))
    frame.get_by_text("Activity added").wait_for()
    page.goto(live_sandbox.sandbox_url + "/")
    page.get_by_role("heading", name="Autumn mentoring").wait_for()

    # The instructor launches it, opens the roster and reads it from the platform (a POST
    # with a CSRF token, inside the frame).
    press(page.get_by_role("button", name="Launch as Iris Instructor").first)
    frame.get_by_role("heading", name="Autumn mentoring").wait_for()
    follow(frame.get_by_role("link", name="See the roster"))
    press(frame.get_by_role("button", name="Read the roster from the platform"))
    frame.get_by_text("Roster updated").wait_for()
    assert frame.get_by_role("cell", name="Mona Mentor").count() == 1
    screenshot(page, "roster-in-iframe")

    # A learner launches it: the intake comes first, filled in inside the frame.
    press(page.get_by_role("button", name="Launch as Lena Learner").first)
    frame.get_by_role("heading", name="Tell us about yourself").wait_for()
    frame.get_by_label("Leadership").check()
    frame.get_by_label("English").check()
    frame.get_by_label("Tuesday 18:00 to 19:00").check()
    press(frame.get_by_role("button", name="Save my answers"))
    frame.get_by_role("heading", name="Welcome, Lena").wait_for()
    frame.get_by_text("Autumn mentoring").first.wait_for()
    screenshot(page, "learner-in-iframe")

    tool_cookies = [c for c in page.context.cookies(live_sandbox.tool_url)
                    if c["name"] == "pairwise_session"]
    if page.cookie_mode == "third-party cookies blocked":
        # Nothing the tool's frame set survived: the signed session token did all the work.
        assert tool_cookies == []

    # Signing out inside the frame (a POST carried by the token alone when cookies are
    # blocked) ends the session: the page it was on no longer opens.
    welcome_url = next(f.url for f in page.frames if "Welcome, Lena" in f.content())
    press(frame.get_by_role("button", name="Sign out"))
    frame.get_by_role("heading", name="You are signed out").wait_for()
    assert page.context.request.get(welcome_url).status == 401


def test_a_reload_after_a_launch_asks_for_the_page_not_the_launch(live_sandbox, browser_page):
    """A new learner's launch answers with the intake itself: the frame is told the intake's
    own address (static/pairwise.js), so a reload asks for the intake instead of posting the
    used id_token again (which the tool would refuse as a replay)."""
    from lti_tool.sandbox.setup import add_activity

    with live_sandbox.app.app_context():
        add_activity("Reload check")
    page = browser_page
    page.goto(live_sandbox.sandbox_url + "/")
    frame = page.frame_locator("iframe[name=tool-frame]")
    press(page.get_by_role("button", name="Launch as Lena Learner").first)
    frame.get_by_role("heading", name="Tell us about yourself").wait_for()
    # The address changes when the page's deferred script runs, after the page is drawn.
    tool = _frame_at(page, "tool-frame", "/intake")
    assert "pw=" in tool.url

    tool.evaluate("location.reload()")
    frame.get_by_role("heading", name="Tell us about yourself").wait_for()
    tool = _frame_at(page, "tool-frame", "/intake")
    assert "could not open" not in tool.content()
    # The form posts to the intake, whatever address the frame shows.
    action = frame.locator("form.stack").first.get_attribute("action")
    assert urlsplit(action).path == "/intake"


def _frame_at(page, name: str, path: str, seconds: float = 10.0):
    """The frame `name` once its address is at `path` (a script may change it after the page
    shows); fails if it is not there within `seconds`."""
    deadline = time.monotonic() + seconds
    while urlsplit(page.frame(name).url).path != path and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    frame = page.frame(name)
    assert urlsplit(frame.url).path == path, frame.url
    return frame
