"""The staff dashboard inside the sandbox course page's iframe, in a real browser: the
instructor opens the Dashboard from the program's home page, reads the figures at a glance and
the two SVG charts, finds a pair matched 25 days ago that has not met under "Pairs to look at"
with its reasons, nudges it, downloads the participation CSV and opens the participation
grades, where the learner is listed. A learner who goes to the dashboard's address in the
frame gets the "Not available to you" page.

Getting there goes over plain HTTP (`lti_tool.sandbox.testing`), through real sandbox
launches: Mona (mentor) and Lena (learner) fill their intakes and the instructor proposes and
publishes the match; the pair's start is then moved back 25 days in the database.

It runs in both of browser_page's cookie modes (about 10 s each): with third-party cookies
blocked, every request of the frame carries the signed session token instead of a cookie."""

import csv
import html
import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import expect

from lti_tool.extensions import db
from lti_tool.notify.models import Notification
from lti_tool.pairs.models import Pair
from lti_tool.sandbox.setup import add_activity
from lti_tool.sandbox.testing import browser_launch, launch_form, parse_form
from lti_tool.timeutil import utcnow
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

PROGRAM = "Autumn mentoring"
# Sandbox user ids (lti_tool/sandbox/lms.py DEMO_PEOPLE).
IRIS, MONA, LENA = "3", "4", "6"
MATCHED_DAYS_AGO = 25
PAIR = "Lena Learner – Mona Mentor"
# What lti_tool/relationships/signals.py says of a pair matched 25 days ago that did nothing.
REASONS = ("no meeting held 25 days after the match, and none booked",
           "no message or recap between meetings", "mentoring agreement not signed",
           "no goals set after 3 weeks")
CHARTS = ("Meetings held per week (week of)", "Pairs by health")


def _launch_in_frame(page, name):
    page.get_by_role("button", name=f"Launch as {name}").first.click()


def _query(server, function):
    with server.app.app_context():
        return function()


def _launch_over_http(server, http, user_id, activity_id):
    with server.app.app_context():
        login_url, fields = launch_form(user_id, activity_id)
    return browser_launch(http, login_url, fields).response


def _intake_over_http(server, user_id, activity_id, **answers):
    """A participant's first launch from the sandbox and their intake, without a browser."""
    with requests.Session() as http:
        page = _launch_over_http(server, http, user_id, activity_id)
        assert "Tell us about yourself" in page.text, page.text[:300]
        action, form = parse_form(page.text, page.url)
        data = {"csrf_token": form["csrf_token"], "modality": "video", "languages": ["en"],
                **answers}
        saved = http.post(action, data=data, timeout=10)
        assert "your answers are saved" in saved.text, saved.text[:500]


def _link(page: requests.Response, pattern: str) -> str:
    """The absolute address of the first link or form action of a page matching `pattern`."""
    found = re.search(rf'(?:href|action)="([^"]*{pattern}[^"]*)"', page.text)
    assert found, f"nothing like {pattern} in {page.url}: {page.text[:300]}"
    return urljoin(page.url, html.unescape(found.group(1)))


def _publish_over_http(server, activity_id) -> int:
    """The instructor proposes matches and publishes them; returns the pair's id."""
    with requests.Session() as http:
        home = _launch_over_http(server, http, IRIS, activity_id)
        matching = http.get(_link(home, "/matching"), timeout=10)
        assert "1 learners ready to be matched · 1 mentors" in matching.text, matching.text[:500]
        action, form = parse_form(matching.text, matching.url)
        proposed = http.post(action, data={**form, "policy": "optimal"}, timeout=10)
        assert "Proposed 1 pairs. Review them, then publish." in proposed.text
        published = http.post(_link(proposed, r"/matching/\d+/publish"),
                              data={"csrf_token": form["csrf_token"]}, timeout=10)
        assert "Published 1 pairs" in published.text, published.text[:500]
    return _query(server, lambda: db.session.scalars(sa.select(Pair.id)).one())


def _match_long_ago(server, pair_id) -> str:
    """Move the pair's start back; returns the day of the match (ISO)."""
    def move():
        pair = db.session.get(Pair, pair_id)
        pair.started_at = utcnow() - timedelta(days=MATCHED_DAYS_AGO)
        db.session.commit()
        return pair.started_at.date().isoformat()
    return _query(server, move)


def _nudges(server):
    def read():
        rows = db.session.scalars(sa.select(Notification).filter_by(kind="pair_nudge")
                                  .order_by(Notification.id))
        return sorted(n.recipient.display_name for n in rows)
    return _query(server, read)


def _tool_url(page, path: str) -> str:
    """`path` on the tool, with the frame's current session token (`pw`) kept."""
    current = page.frame(name="tool-frame").url
    token = parse_qs(urlsplit(current).query).get("pw")
    assert token, f"no session token in the frame's address {current}"
    return urljoin(current, f"{path}?pw={token[0]}")


def test_staff_see_the_dashboard_nudge_and_export_in_the_iframe(live_sandbox, browser_page):
    page, server = browser_page, live_sandbox
    activity_id = _query(server, lambda: add_activity(PROGRAM).id)
    _intake_over_http(server, MONA, activity_id, expertise=["Leadership"],
                      timezone="Europe/Berlin", capacity="2", availability=["0-18", "1-18"])
    _intake_over_http(server, LENA, activity_id, topics=["Leadership"],
                      timezone="Europe/Berlin", availability=["0-18", "1-18"])
    pair_id = _publish_over_http(server, activity_id)
    matched_on = _match_long_ago(server, pair_id)

    page.goto(server.sandbox_url + "/")
    frame = page.frame_locator("iframe[name=tool-frame]")
    _launch_in_frame(page, "Iris Instructor")
    frame.get_by_role("heading", name=PROGRAM, exact=True).wait_for()
    dashboard = frame.get_by_role("link", name="Dashboard", exact=True)
    assert "/dashboard" in dashboard.get_attribute("href")
    dashboard.click()
    frame.get_by_role("heading", name=f"{PROGRAM}: how the program is doing").wait_for()

    _overview(page, frame)
    _pair_to_look_at_and_nudge(page, frame, server)
    _participation_csv(page, frame, pair_id, matched_on)
    _grades(page, frame)
    _learner_is_refused(page, frame)

    if page.cookie_mode == "third-party cookies blocked":
        # The whole journey ran without a cookie from the tool's frame.
        assert not [c for c in page.context.cookies(server.tool_url)
                    if c["name"] == "pairwise_session"]


def _overview(page, frame):
    """The figures at a glance and the two charts (inline SVG, named for screen readers)."""
    glance = frame.locator("section").filter(
        has=frame.get_by_role("heading", name="At a glance"))
    figures = dict(zip((t.strip() for t in glance.locator("dt").all_inner_texts()),
                       (d.strip() for d in glance.locator("dd").all_inner_texts()),
                       strict=True))
    assert figures == {"Learners": "1", "Mentors": "1", "Active pairs": "1",
                       "Learners matched": "100%",
                       "Pairs that met in the last 30 days": "0%"}, figures
    for title in CHARTS:
        chart = glance.locator(f'svg[role=img][aria-label="{title}"]')
        expect(chart).to_be_visible()
        expect(glance.locator("figcaption", has_text=title)).to_be_visible()
    weeks = glance.locator(f'svg[aria-label="{CHARTS[0]}"] rect.bar')
    expect(weeks).to_have_count(8)  # eight weeks, no meeting held in any
    health = glance.locator(f'svg[aria-label="{CHARTS[1]}"]')
    expect(health.locator("rect.bar title")).to_have_text(
        ["healthy: 0", "needs attention: 0", "at risk: 1", "inactive: 0"])
    glance.locator(".charts").evaluate("c => c.scrollIntoView()")  # the frame scrolls
    screenshot(page, "dashboard-1-overview")


def _pair_to_look_at_and_nudge(page, frame, server):
    attention = frame.locator("section").filter(
        has=frame.get_by_role("heading", name="Pairs to look at (1)"))
    row = attention.locator("tbody tr")
    expect(row).to_have_count(1)
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[:4] == [PAIR, "at risk", "; ".join(REASONS), "never"], cells
    expect(row).to_have_class(re.compile(r"\bstatus-at-risk\b"))
    attention.evaluate("s => s.scrollIntoView()")  # the frame scrolls, not the course page
    screenshot(page, "dashboard-2-pairs-to-look-at")
    assert _nudges(server) == []

    row.get_by_role("button", name="Nudge").click()
    expect(frame.get_by_text("Lena Learner and Mona Mentor have been nudged.")).to_be_visible()
    frame.get_by_role("heading", name=f"{PROGRAM}: how the program is doing").wait_for()
    assert _nudges(server) == ["Lena Learner", "Mona Mentor"]
    screenshot(page, "dashboard-3-nudged")


def _participation_csv(page, frame, pair_id, matched_on):
    download = frame.get_by_role("link", name="Download participation (CSV)")
    href = download.get_attribute("href")
    assert urlsplit(href).path.endswith("/dashboard/participation.csv"), href
    assert "pw=" in href, href  # the link works without the frame's cookie
    # Fetched outside the browser (page.request would store the session cookie in its jar).
    response = requests.get(urljoin(page.frame(name="tool-frame").url, href), timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert sorted(rows) == ["Lena Learner", "Mona Mentor"]
    lena, mona = rows["Lena Learner"], rows["Mona Mentor"]
    assert (lena["role"], mona["role"]) == ("mentee", "mentor")
    assert lena["partner_lms_user_id"] == mona["lms_user_id"] != ""
    for row in (lena, mona):
        assert row["pair_id"] == str(pair_id) and row["matched_on"] == matched_on
        assert (row["meetings_held"], row["last_met"], row["messages"]) == ("0", "", "0")
        assert row["health"] == "at risk" and row["health_reasons"] == "; ".join(REASONS)


def _grades(page, frame):
    frame.get_by_role("link", name="Program", exact=True).click()
    frame.get_by_role("link", name="Participation grades", exact=True).click()
    frame.get_by_role("heading", name="Participation grades", exact=True).wait_for()
    # Publishing graded the pair's members already (lti_tool/grades/hooks.py).
    people = frame.locator("section").filter(has=frame.get_by_role("heading", name="People"))
    lena = people.locator("tbody tr").filter(
        has=frame.get_by_role("link", name="Lena Learner", exact=True))
    expect(lena).to_have_count(1)
    expect(lena.locator("td").nth(1)).to_have_text("0 / 100")  # no meeting held yet
    expect(lena.locator("td").nth(2)).to_have_text("Not yet")
    frame.get_by_role("button", name="Recompute now").click()  # staff may still force it
    expect(frame.get_by_text(re.compile(r"^Scores recomputed: 0 changed and queued for the "
                                        r"LMS\.$"))).to_be_visible()
    people.evaluate("s => s.scrollIntoView()")
    screenshot(page, "dashboard-4-grades")


def _learner_is_refused(page, frame):
    """Lena, in the frame, at the dashboard's address (her session token kept): refused."""
    _launch_in_frame(page, "Lena Learner")
    frame.get_by_role("heading", name="Welcome, Lena").wait_for()
    expect(frame.get_by_role("link", name="Dashboard", exact=True)).to_have_count(0)
    response = page.frame(name="tool-frame").goto(_tool_url(page, "/dashboard"))
    assert response.status == 403
    expect(frame.get_by_role("heading", name="Not available to you")).to_be_visible()
    expect(frame.get_by_text("Error 403")).to_be_visible()
    expect(frame.get_by_text("Pairs to look at")).to_have_count(0)
    screenshot(page, "dashboard-5-learner-refused")
