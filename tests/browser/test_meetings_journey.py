"""A pair schedules its first meeting inside the sandbox course page's iframe, in a real
browser: the learner opens the pair's Meetings page, reads the times both are free (in her
zone, with her mentor's local time beside them), offers two of them for a video call with an
agenda and sends the proposal; the mentor launches, finds it waiting for an answer and picks
one; both then see it coming up with its Jitsi link, and the .ics link downloads a calendar.

Getting there goes over plain HTTP, through real sandbox launches (tests/support/journeys.py
`pair_mona_with_lena`): Mona (mentor, Berlin, free 18-20 h on weekdays) and Lena (learner,
New York, free 12-14 h) fill their intakes, and the instructor proposes and publishes the
match.

It runs in both of browser_page's cookie modes (about 10 s each): with third-party cookies
blocked, every request of the frame carries the signed session token instead of a cookie."""

import re
from datetime import UTC, datetime
from urllib.parse import urljoin

import pytest
import requests
import sqlalchemy as sa
from icalendar import Calendar
from playwright.sync_api import expect

from lti_tool.extensions import db
from lti_tool.meetings.models import Meeting
from lti_tool.notify.models import Notification
from tests.support.browser import screenshot
from tests.support.journeys import (
    assert_no_tool_cookie_if_blocked,
    follow,
    launch_in_frame,
    open_course_page,
    pair_mona_with_lena,
    press,
    query,
    weekly_hours,
)

pytestmark = pytest.mark.browser

PROGRAM = "Autumn mentoring"
AGENDA = "Getting to know each other; my goals for the term"
# A candidate as Lena reads it: her New York time first, Mona's Berlin time beside it (the
# zones are 5 or 6 hours apart, depending on the weeks when only one side has moved clocks).
LENA_TIME = re.compile(r"^\w{3} \d{1,2} \w{3}, 1[23]:[0-5]\d \(your time\) · "
                       r"1[89]:[0-5]\d in Berlin$")
MONA_TIME = re.compile(r"^\w{3} \d{1,2} \w{3}, 1[89]:[0-5]\d \(your time\) · "
                       r"1[23]:[0-5]\d in New York$")


def _notifications(server, kind):
    def read():
        rows = db.session.scalars(sa.select(Notification).filter_by(kind=kind)
                                  .order_by(Notification.id))
        return [(n.recipient.display_name, n.body, n.calendar_method) for n in rows]
    return query(server, read)


def _meeting(server):
    def read():
        meeting = db.session.scalars(sa.select(Meeting)).one()
        return {"status": meeting.status, "agenda": meeting.agenda,
                "modality": meeting.modality, "url": meeting.url,
                "provider": meeting.provider, "timezone": meeting.timezone,
                "proposed_by": meeting.proposed_by.display_name, "uid": meeting.uid,
                "start_at": meeting.start_at and meeting.start_at.replace(tzinfo=UTC),
                "options": [o.start_at.replace(tzinfo=UTC) for o in meeting.options]}
    return query(server, read)


def test_a_pair_proposes_and_accepts_a_meeting_in_the_iframe(live_sandbox, browser_page):
    page, server = browser_page, live_sandbox
    _, pair_id = pair_mona_with_lena(
        server, PROGRAM,
        mona={"expertise": ["Leadership"], "timezone": "Europe/Berlin", "capacity": "2",
              "availability": weekly_hours((18, 19))},
        lena={"topics": ["Leadership"], "timezone": "America/New_York",
              "availability": weekly_hours((12, 13))})

    frame = open_course_page(page, server)
    offered = _learner_proposes(page, frame, pair_id)
    meeting = _meeting(server)
    assert meeting["status"] == "proposed" and meeting["start_at"] is None
    assert meeting["options"] == offered and meeting["proposed_by"] == "Lena Learner"
    assert (meeting["modality"], meeting["agenda"]) == ("video", AGENDA)
    [(recipient, body, _)] = _notifications(server, "meeting_proposed")
    assert recipient == "Mona Mentor" and "Choose one of these times" in body
    assert _notifications(server, "meeting_accepted") == []

    chosen = _mentor_accepts(page, frame, offered)
    meeting = _meeting(server)
    assert meeting["status"] == "scheduled" and meeting["start_at"] == chosen
    assert meeting["url"].startswith("https://meet.jit.si/") and meeting["provider"] == "jitsi"
    assert meeting["timezone"] == "America/New_York"  # Lena organised it
    accepted = _notifications(server, "meeting_accepted")
    # Lena is told; Mona gets her own copy of the invitation.
    assert sorted(name for name, _, _ in accepted) == ["Lena Learner", "Mona Mentor"]
    assert {method for _, _, method in accepted} == {"REQUEST"}
    _coming_up(page, frame, meeting, "mentor")

    launch_in_frame(page, "Lena Learner")
    frame.get_by_role("heading", name="Welcome, Lena").wait_for()
    follow(frame.get_by_role("link", name="Meetings", exact=True))
    frame.get_by_role("heading", name="Meetings with Mona Mentor").wait_for()
    expect(frame.get_by_role("heading", name="Waiting for an answer")).to_have_count(0)
    _coming_up(page, frame, meeting, "learner")

    assert_no_tool_cookie_if_blocked(page, server)


def _learner_proposes(page, frame, pair_id) -> list[datetime]:
    """Lena offers the first two common times for a video call. Returns them (UTC)."""
    launch_in_frame(page, "Lena Learner")
    frame.get_by_role("heading", name="Welcome, Lena").wait_for()
    expect(frame.get_by_role("heading", name="Your mentor: Mona Mentor")).to_be_visible()
    meetings = frame.get_by_role("link", name="Meetings", exact=True)
    assert f"/pairs/{pair_id}/meetings" in meetings.get_attribute("href")
    follow(meetings)
    frame.get_by_role("heading", name="Meetings with Mona Mentor").wait_for()
    expect(frame.get_by_text("Times are in your time zone (America/New_York), with Mona's "
                             "local time (Europe/Berlin) beside them.")).to_be_visible()
    expect(frame.get_by_text("No meeting planned yet.")).to_be_visible()
    expect(frame.get_by_role("heading", name="Waiting for an answer")).to_have_count(0)

    times = frame.get_by_role("group", name="Times you are both free (choose up to three)")
    boxes = times.get_by_role("checkbox")
    expect(boxes.first).to_be_visible()
    labels = [text.strip() for text in times.locator("label").all_inner_texts()]
    assert len(labels) >= 2 and all(LENA_TIME.match(label) for label in labels), labels
    starts = [datetime.fromisoformat(v) for v in
              (boxes.nth(i).get_attribute("value") for i in range(2))]
    for i in range(2):
        boxes.nth(i).check()
    frame.get_by_label("How you meet").select_option(label="Video call")
    frame.get_by_label("Agenda (optional)").fill(AGENDA)
    # The frame scrolls, not the course page: bring the ticked times to its top.
    frame.get_by_role("heading", name="Propose a meeting").evaluate("h => h.scrollIntoView()")
    screenshot(page, "meetings-1-learner-proposes")
    press(frame.get_by_role("button", name="Send the proposal"))

    expect(frame.get_by_text("Your proposal was sent; you will see the answer here.")
           ).to_be_visible()
    waiting = frame.locator("section").filter(
        has=frame.get_by_role("heading", name="Waiting for an answer"))
    expect(waiting).to_contain_text("Video call, 45 minutes")
    expect(waiting).to_contain_text(f"Agenda: {AGENDA}")
    expect(waiting).to_contain_text(f"You offered: {labels[0]}; {labels[1]}. "
                                    "Waiting for Mona Mentor.")
    expect(waiting.get_by_role("button", name="Withdraw")).to_be_visible()
    expect(waiting.get_by_role("radio")).to_have_count(0)  # she does not answer herself
    screenshot(page, "meetings-2-learner-waits")
    return [s.astimezone(UTC) for s in starts]


def _mentor_accepts(page, frame, offered) -> datetime:
    """Mona finds Lena's proposal and takes the second time. Returns it (UTC)."""
    launch_in_frame(page, "Mona Mentor")
    frame.get_by_role("heading", name="Welcome, Mona").wait_for()
    expect(frame.get_by_role("heading", name="Your mentee: Lena Learner")).to_be_visible()
    follow(frame.get_by_role("link", name="Meetings", exact=True))
    frame.get_by_role("heading", name="Meetings with Lena Learner").wait_for()
    waiting = frame.locator("section").filter(
        has=frame.get_by_role("heading", name="Waiting for an answer"))
    expect(waiting).to_contain_text(f"Agenda: {AGENDA}")
    choices = waiting.get_by_role("group", name="Lena Learner proposed these times")
    radios = choices.get_by_role("radio")
    expect(radios).to_have_count(3)  # the two times and "None of these suit me"
    labels = [text.strip() for text in choices.locator("label").all_inner_texts()]
    assert all(MONA_TIME.match(label) for label in labels[:2]), labels
    assert labels[2] == "None of these suit me"
    expect(frame.get_by_text("No meeting planned yet.")).to_be_visible()
    choices.get_by_label(labels[1], exact=True).check()
    screenshot(page, "meetings-3-mentor-answers")
    press(waiting.get_by_role("button", name="Answer"))
    expect(frame.get_by_text("Accepted: the meeting is scheduled.")).to_be_visible()
    expect(frame.get_by_role("heading", name="Waiting for an answer")).to_have_count(0)
    return offered[1]


def _coming_up(page, frame, meeting, who):
    """The meeting under "Coming up" with its call link; its .ics downloads."""
    section = frame.locator("section").filter(
        has=frame.get_by_role("heading", name="Coming up"))
    item = section.locator("article.meeting")
    expect(item).to_have_count(1)
    pattern = LENA_TIME if who == "learner" else MONA_TIME
    when = item.locator("strong").first.inner_text().strip()
    assert pattern.match(when), when
    expect(item).to_contain_text("Video call, 45 min")
    expect(item).to_contain_text(f"Agenda: {AGENDA}")
    join = item.get_by_role("link", name="Join the call")
    expect(join).to_have_attribute("href", meeting["url"])
    assert meeting["url"].startswith("https://meet.jit.si/")
    expect(join).to_have_attribute("target", "_blank")
    screenshot(page, f"meetings-{4 if who == 'mentor' else 5}-{who}-coming-up")

    ics = item.get_by_role("link", name="Add to my calendar (.ics)")
    with page.expect_download() as download_info:
        follow(ics)
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    with open(download.path(), "rb") as downloaded:
        body = downloaded.read()
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(event["uid"]) == meeting["uid"]
    assert event["dtstart"].dt.astimezone(UTC) == meeting["start_at"]
    # The same address fetched outside the browser (page.request would store the session
    # cookie in the browser's jar): the link carries the frame's signed session token.
    tool_frame = page.frame(name="tool-frame")
    href = urljoin(tool_frame.url, ics.get_attribute("href"))
    response = requests.get(href, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert response.headers["Content-Disposition"].startswith("attachment")
    # Equal but for DTSTAMP, the moment each copy was made (the two may fall in two seconds).
    assert _without_stamp(response.content) == _without_stamp(body)


def _without_stamp(ics: bytes) -> list[bytes]:
    return [line for line in ics.splitlines() if not line.startswith(b"DTSTAMP")]
