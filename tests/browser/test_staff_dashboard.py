"""The staff dashboard inside the sandbox course page's iframe, in a real browser: the
instructor opens the Dashboard from the program's home page, reads the figures at a glance and
the two SVG charts, finds a pair matched 25 days ago that has not met under "Pairs to look at"
with its reasons, nudges it, downloads the participation CSV and opens the participation
grades, where the learner is listed. A learner who goes to the dashboard's address in the
frame gets the "Not available to you" page.

Getting there goes over plain HTTP, through real sandbox launches (tests/support/journeys.py
`pair_mona_with_lena`): Mona (mentor) and Lena (learner) fill their intakes and the instructor
proposes and publishes the match; the pair's start is then moved back 25 days in the
database.

It runs in both of browser_page's cookie modes (about 10 s each): with third-party cookies
blocked, every request of the frame carries the signed session token instead of a cookie."""

import csv
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
from lti_tool.timeutil import utcnow
from tests.support.browser import screenshot
from tests.support.journeys import (
    assert_no_tool_cookie_if_blocked,
    follow,
    launch_in_frame,
    open_course_page,
    pair_mona_with_lena,
    press,
    query,
)

pytestmark = pytest.mark.browser

PROGRAM = "Autumn mentoring"
MATCHED_DAYS_AGO = 25
PAIR = "Lena Learner – Mona Mentor"
# What lti_tool/relationships/signals.py says of a pair matched 25 days ago that did nothing.
REASONS = ("no meeting held 25 days after the match, and none booked",
           "no message or recap between meetings", "mentoring agreement not signed",
           "no goals set after 3 weeks")
CHARTS = ("Meetings held per week (week of)", "Pairs by health")


def _match_long_ago(server, pair_id) -> str:
    """Move the pair's start back; returns the day of the match (ISO)."""
    def move():
        pair = db.session.get(Pair, pair_id)
        pair.started_at = utcnow() - timedelta(days=MATCHED_DAYS_AGO)
        db.session.commit()
        return pair.started_at.date().isoformat()
    return query(server, move)


def _nudges(server):
    def read():
        rows = db.session.scalars(sa.select(Notification).filter_by(kind="pair_nudge")
                                  .order_by(Notification.id))
        return sorted(n.recipient.display_name for n in rows)
    return query(server, read)


def _tool_url(page, path: str) -> str:
    """`path` on the tool, with the frame's current session token (`pw`) kept."""
    current = page.frame(name="tool-frame").url
    token = parse_qs(urlsplit(current).query).get("pw")
    assert token, f"no session token in the frame's address {current}"
    return urljoin(current, f"{path}?pw={token[0]}")


def test_staff_see_the_dashboard_nudge_and_export_in_the_iframe(live_sandbox, browser_page):
    page, server = browser_page, live_sandbox
    _, pair_id = pair_mona_with_lena(
        server, PROGRAM, score_maximum=100,
        mona={"expertise": ["Leadership"], "timezone": "Europe/Berlin", "capacity": "2",
              "availability": ["0-18", "1-18"]},
        lena={"topics": ["Leadership"], "timezone": "Europe/Berlin",
              "availability": ["0-18", "1-18"]})
    matched_on = _match_long_ago(server, pair_id)

    frame = open_course_page(page, server)
    launch_in_frame(page, "Iris Instructor")
    frame.get_by_role("heading", name=PROGRAM, exact=True).wait_for()
    dashboard = frame.get_by_role("link", name="Dashboard", exact=True)
    assert "/dashboard" in dashboard.get_attribute("href")
    follow(dashboard)
    frame.get_by_role("heading", name=f"{PROGRAM}: how the program is doing").wait_for()

    _overview(page, frame)
    _pair_to_look_at_and_nudge(page, frame, server)
    _participation_csv(page, frame, pair_id, matched_on)
    _grades(page, frame)
    _learner_is_refused(page, frame)

    assert_no_tool_cookie_if_blocked(page, server)


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

    press(row.get_by_role("button", name="Nudge"))
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
    follow(frame.get_by_role("link", name="Program", exact=True))
    follow(frame.get_by_role("link", name="Participation grades", exact=True))
    frame.get_by_role("heading", name="Participation grades", exact=True).wait_for()
    # Publishing graded the pair's members already (lti_tool/grades/hooks.py).
    people = frame.locator("section").filter(has=frame.get_by_role("heading", name="People"))
    lena = people.locator("tbody tr").filter(
        has=frame.get_by_role("link", name="Lena Learner", exact=True))
    expect(lena).to_have_count(1)
    expect(lena.locator("td").nth(1)).to_have_text("0 / 100")  # no meeting held yet
    expect(lena.locator("td").nth(2)).to_have_text("Not yet")
    press(frame.get_by_role("button", name="Recompute now"))  # staff may still force it
    expect(frame.get_by_text(re.compile(r"^Scores recomputed: 0 changed and queued for the "
                                        r"LMS\.$"))).to_be_visible()
    people.evaluate("s => s.scrollIntoView()")
    screenshot(page, "dashboard-4-grades")


def _learner_is_refused(page, frame):
    """Lena, in the frame, at the dashboard's address (her session token kept): refused."""
    launch_in_frame(page, "Lena Learner")
    frame.get_by_role("heading", name="Welcome, Lena").wait_for()
    expect(frame.get_by_role("link", name="Dashboard", exact=True)).to_have_count(0)
    response = page.frame(name="tool-frame").goto(_tool_url(page, "/dashboard"))
    assert response.status == 403
    expect(frame.get_by_role("heading", name="Not available to you")).to_be_visible()
    expect(frame.get_by_text("Error 403")).to_be_visible()
    expect(frame.get_by_text("Pairs to look at")).to_have_count(0)
    screenshot(page, "dashboard-5-learner-refused")
