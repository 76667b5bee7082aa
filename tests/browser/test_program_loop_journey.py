"""The program loop as people live it: something happens in the program, the person it
concerns gets an e-mail, and its link, opened in a fresh browser with third-party cookies
blocked, goes through the sandbox LMS and lands on the page where they act.

Three moments, each from the feature that tells it (no notification is queued by hand here):
- staff publish a match: both members are told, and each link opens the pair's hub;
- a mentee asks a mentor (mentee-choice mode): the mentor's link opens her home, where she
  answers;
- a pair's check-in falls due (the program sweep): the link opens the check-in.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask import url_for

from lti_tool.courses.models import Person, Program, ResourceLink
from lti_tool.extensions import db
from lti_tool.notify.models import Notification
from lti_tool.pairs.models import Pair
from lti_tool.surveys import reminders
from tests.support.browser import screenshot
from tests.support.email_links import assert_landed, link_followed, newest_link
from tests.support.forms import forms_posting_to
from tests.support.journeys import (
    LENA,
    MONA,
    TIMEOUT,
    add_sandbox_activity,
    intake_over_http,
    launch_over_http,
    pair_mona_with_lena,
    query,
    weekly_hours,
)

pytestmark = pytest.mark.browser

MONA_INTAKE = {"expertise": ["Leadership"], "timezone": "Europe/Berlin", "capacity": "2",
               "availability": weekly_hours((18, 19))}
LENA_INTAKE = {"topics": ["Leadership"], "timezone": "Europe/Berlin",
               "availability": weekly_hours((18, 19))}


def _path(server, endpoint: str, **values) -> str:
    with server.app.test_request_context():
        return url_for(endpoint, **values)


def _program_of(activity_id: int) -> Program:
    return db.session.scalars(sa.select(Program).join(ResourceLink).where(
        ResourceLink.link_id == str(activity_id))).one()


def _kinds_to(user_id: str) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).join(
        Person, Notification.recipient_id == Person.id).where(Person.subject == user_id)))


def test_a_published_match_tells_both_and_each_link_opens_the_hub(live_sandbox,
                                                                   playwright_instance):
    server = live_sandbox
    _activity, pair_id = pair_mona_with_lena(server, "Spring mentoring", mona=MONA_INTAKE,
                                              lena=LENA_INTAKE)
    hub = _path(server, "workspace.hub", pair_id=pair_id)
    assert query(server, lambda: _kinds_to(LENA)).count("match_published") == 1
    assert query(server, lambda: _kinds_to(MONA)).count("match_published") == 1

    with link_followed(playwright_instance, server, newest_link(server, LENA,
                                                                "match_published")) as landed:
        landed.frame.get_by_role("heading", name="You and Mona Mentor", exact=True).wait_for()
        assert_landed(landed, server, hub)
        screenshot(landed.page, "match-email-lands-on-the-hub")
    with link_followed(playwright_instance, server, newest_link(server, MONA,
                                                                "match_published")) as landed:
        landed.frame.get_by_role("heading", name="You and Lena Learner", exact=True).wait_for()
        assert_landed(landed, server, hub)


def test_a_mentees_request_reaches_the_mentor_where_she_answers(live_sandbox,
                                                                  playwright_instance):
    server = live_sandbox
    activity_id = add_sandbox_activity(server, "Choose your mentor")

    intake_over_http(server, MONA, activity_id, **MONA_INTAKE)  # her launch makes the program

    def choice_mode():
        _program_of(activity_id).mentee_choice = True
        db.session.commit()
    query(server, choice_mode)
    intake_over_http(server, LENA, activity_id, **LENA_INTAKE)
    ask = _path(server, "pairs.ask_mentor")
    with requests.Session() as http:
        home = launch_over_http(server, http, LENA, activity_id)
        form = forms_posting_to(home.content, ask)
        assert form, home.text[:500]
        sent = http.post(f"{server.tool_url}{ask}", timeout=TIMEOUT, data={
            **form[0], "mentor_id": _mentor_id_in(home.text), "message": "Hello Mona!"})
        assert "Your request was sent" in sent.text, sent.text[:500]

    link = newest_link(server, MONA, "request_received")
    with link_followed(playwright_instance, server, link) as landed:
        landed.frame.get_by_role("heading", name="Mentees asking for you").wait_for()
        assert_landed(landed, server, _path(server, "homes.home"))
        screenshot(landed.page, "request-email-lands-on-the-mentors-home")


def _mentor_id_in(page: str) -> str:
    """The mentor id of the first "ask" form on the mentee's home (Mona is the only mentor)."""
    marker = 'name="mentor_id" value="'
    assert marker in page, page[:500]
    return page.split(marker, 1)[1].split('"', 1)[0]


def test_a_checkin_that_falls_due_links_to_the_checkin(live_sandbox, playwright_instance):
    server = live_sandbox
    _activity, pair_id = pair_mona_with_lena(server, "Summer mentoring", mona=MONA_INTAKE,
                                              lena=LENA_INTAKE)

    def a_week_later() -> int:
        pair = db.session.get_one(Pair, pair_id)
        pair.started_at = pair.started_at - timedelta(days=8)
        with server.app.test_request_context(base_url=server.tool_url):
            queued = reminders.sweep(pair.program)
        db.session.commit()
        return queued
    assert query(server, a_week_later) == 2  # both members

    checkin = _path(server, "surveys.checkin", pair_id=pair_id)
    with link_followed(playwright_instance, server, newest_link(server, LENA,
                                                                "checkin_due")) as landed:
        landed.frame.get_by_role("heading", name="Check-in").wait_for()
        assert_landed(landed, server, checkin)
        assert urlsplit(landed.tool_url).path == checkin
