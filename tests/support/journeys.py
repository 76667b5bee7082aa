"""Steps the browser journeys share: getting a sandbox course to the point a journey starts
from, and the few things every journey does in the course page's iframe.

The set-up goes over plain HTTP (`lti_tool.sandbox.testing`), through real sandbox launches
(OIDC login, the sandbox's id_token, the tool's pages and their CSRF tokens), to keep the
browser for the steps a person does on screen:

    activity_id, pair_id = pair_mona_with_lena(server, "Autumn mentoring",
                                               mona={...intake answers...},
                                               lena={...intake answers...})
    frame = open_course_page(page, server)
    launch_in_frame(page, "Lena Learner")

`server` is the `live_sandbox` fixture (a tests/support/apps.py LiveServer), `page` a
`browser_page` (tests/browser/conftest.py). A plain module, not a conftest: journeys import
what they use.
"""

import html
import re
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urljoin

import requests
import sqlalchemy as sa
from playwright.sync_api import FrameLocator, Locator, Page, expect

from lti_tool.extensions import db
from lti_tool.pairs.models import Pair
from lti_tool.sandbox.setup import add_activity
from lti_tool.sandbox.testing import browser_launch, launch_form, parse_form

# Sandbox user ids (lti_tool/sandbox/lms.py DEMO_PEOPLE).
IRIS, MONA, MATEO, LENA, LUIS, LUCIA, LIAM = "3", "4", "5", "6", "7", "8", "9"
WEEKDAYS = range(5)
TOOL_FRAME = "tool-frame"  # the course page's iframe (templates/sandbox/course.html)
TIMEOUT = 10  # seconds, for requests made outside the browser

T = TypeVar("T")


# --- The database, as the live server sees it ------------------------------------------------

def query(server, function: Callable[[], T]) -> T:
    """`function()` inside the live app's context (read or change the tool's database)."""
    with server.app.app_context():
        return function()


def add_sandbox_activity(server, title: str, score_maximum: float | None = 100) -> int:
    """An activity of the tool in the sandbox course, as deep linking would add it (with its
    own line item out of `score_maximum`), without going through the browser. Returns its id.
    """
    return query(server, lambda: add_activity(title, score_maximum=score_maximum).id)


# --- Set-up over plain HTTP ------------------------------------------------------------------

def launch_over_http(server, http: requests.Session, user_id: str,
                     activity_id: int) -> requests.Response:
    """A real sandbox launch of `activity_id` as the sandbox user `user_id`, in the
    `http` session; returns the tool's page the launch lands on."""
    with server.app.app_context():
        login_url, fields = launch_form(user_id, activity_id)
    return browser_launch(http, login_url, fields).response


def intake_over_http(server, user_id: str, activity_id: int, **answers) -> None:
    """A participant's first launch from the sandbox and their intake, without a browser.
    `answers` are the intake form's fields (topics or expertise, timezone, availability as
    "day-hour" values, capacity, ...); by default they meet by video and speak English."""
    with requests.Session() as http:
        page = launch_over_http(server, http, user_id, activity_id)
        assert "Tell us about yourself" in page.text, page.text[:300]
        action, form = parse_form(page.text, page.url)
        data = {"csrf_token": form["csrf_token"], "modality": "video", "languages": ["en"],
                **answers}
        saved = http.post(action, data=data, timeout=TIMEOUT)
        assert "your answers are saved" in saved.text, saved.text[:500]


def link_in(page: requests.Response, pattern: str) -> str:
    """The absolute address of the first link or form action of a page matching `pattern`."""
    found = re.search(rf'(?:href|action)="([^"]*{pattern}[^"]*)"', page.text)
    assert found, f"nothing like {pattern} in {page.url}: {page.text[:300]}"
    return urljoin(page.url, html.unescape(found.group(1)))


def publish_one_pair_over_http(server, activity_id: int) -> int:
    """The instructor (Iris) opens Matching, proposes (optimal) and publishes the one pair
    the program's single learner and single mentor make. Returns the pair's id."""
    with requests.Session() as http:
        home = launch_over_http(server, http, IRIS, activity_id)
        matching = http.get(link_in(home, "/matching"), timeout=TIMEOUT)
        assert "1 learner ready to be matched · 1 mentor " in matching.text, matching.text[:500]
        action, form = parse_form(matching.text, matching.url)
        assert action.split("?")[0].endswith("/matching/propose"), action
        proposed = http.post(action, data={**form, "policy": "optimal"}, timeout=TIMEOUT)
        assert "Proposed 1 pair. Review it, then publish." in proposed.text
        asked = http.post(link_in(proposed, r"/matching/\d+/publish"),
                          data={"csrf_token": form["csrf_token"]}, timeout=TIMEOUT)
        assert "Publish 1 pair: 2 people will be told." in asked.text, asked.text[:500]
        published = http.post(link_in(asked, r"/matching/\d+/publish"),
                              data={"csrf_token": form["csrf_token"], "confirmed": "yes"},
                              timeout=TIMEOUT)
        assert "Published 1 pair" in published.text, published.text[:500]
    return query(server, lambda: db.session.scalars(sa.select(Pair.id)).one())


def pair_mona_with_lena(server, program: str, *, mona: dict, lena: dict,
                        score_maximum: float | None = 50) -> tuple[int, int]:
    """The starting point of the pair journeys: an activity `program` in the sandbox course,
    Mona (mentor) and Lena (learner) fill their intakes with the answers given (see
    `intake_over_http`), and the instructor proposes and publishes their match.
    Returns (activity id, pair id)."""
    activity_id = add_sandbox_activity(server, program, score_maximum=score_maximum)
    intake_over_http(server, MONA, activity_id, **mona)
    intake_over_http(server, LENA, activity_id, **lena)
    pair_id = publish_one_pair_over_http(server, activity_id)

    def read():
        pair = db.session.get(Pair, pair_id)
        return pair.status, pair.mentor.display_name, pair.mentee.display_name
    assert query(server, read) == ("active", "Mona Mentor", "Lena Learner")
    return activity_id, pair_id


def weekly_hours(hours, days=WEEKDAYS) -> list[str]:
    """The intake's availability values ("day-hour", Monday = 0) for `hours` on `days`."""
    return [f"{day}-{hour}" for day in days for hour in hours]


# --- In the browser --------------------------------------------------------------------------

def open_course_page(page: Page, server) -> FrameLocator:
    """The sandbox course page; returns its tool iframe."""
    page.goto(server.sandbox_url + "/")
    return page.frame_locator(f"iframe[name={TOOL_FRAME}]")


def launch_in_frame(page: Page, name: str) -> None:
    """Press the course page's "Launch as <name>" (of its first activity): the tool opens in
    the iframe. Wait for what the launch shows before going on."""
    press(page.get_by_role("button", name=f"Launch as {name}").first)


def fill_intake_in_frame(frame: FrameLocator, *, ticks, timezone: str,
                         modality: str = "Video call", capacity: int | None = None) -> None:
    """On the intake page in the frame: tick each label of `ticks` (topics or expertise,
    languages, hours of the availability grid such as "Tuesday 18:00 to 19:00"), choose how
    to meet and the time zone (after the page script's browser-zone pre-fill) and, for a
    mentor, a capacity. Does not save."""
    for label in ticks:
        frame.get_by_label(label, exact=True).check()
    frame.get_by_label(modality, exact=True).check()
    if capacity is not None:
        frame.get_by_label("How many mentees can you take").fill(str(capacity))
    zone = frame.get_by_label("Your time zone")
    zone.select_option(timezone)
    expect(zone).to_have_value(timezone)


def save_intake_in_frame(frame: FrameLocator, first_name: str) -> None:
    """Save the intake; the person lands on their program home page."""
    press(frame.get_by_role("button", name="Save my answers"))
    frame.get_by_role("heading", name=f"Welcome, {first_name}").wait_for()


def press(button: Locator) -> None:
    """Activate a button from the keyboard (focus, then Enter), for the buttons that start a
    launch, save a form or act on the page. On a busy machine a mouse click on them, in the
    iframe or beside it, was now and then lost (no request left the browser: the click
    landed while the layout moved), and failed 15 s later as a missing heading. Enter on a
    focused button does not depend on where it is drawn. Links: `follow`."""
    button.press("Enter")


def follow(link: Locator) -> None:
    """Follow a link as `element.click()` does: no pointer, no keys. A mouse click on a link
    was lost now and then as on buttons (CI, 2026-12-07: the Meetings link), and Enter on a
    link once hung for 15 s in Playwright's wait for the navigation it had started although
    the page had loaded (CI, the same day). What the caller waits for next (a heading, a
    flash, a section of the new page) says that the page came."""
    link.evaluate("a => a.click()")


def assert_no_tool_cookie_if_blocked(page: Page, server) -> None:
    """With third-party cookies blocked, the journey ran without a cookie from the tool's
    frame: every request carried the signed session token instead."""
    if page.cookie_mode == "third-party cookies blocked":
        assert not [c for c in page.context.cookies(server.tool_url)
                    if c["name"] == "pairwise_session"]
