"""What the program team's care for a pair tells people: a nudge and a check-in request (to both
members, once a day), the warning to an inactive pair (with the day it will be closed), and the
alert to the program's staff when the sweep closes it. Who, when, in which language, where the
link lands, never twice."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.pairs.models import Pair
from lti_tool.relationships import services
from lti_tool.relationships.models import InactivityWarning
from lti_tool.timeutil import utcnow
from tests.support.clients import Participant
from tests.support.notified import LinkRecorder, set_locale, told
from tests.support.pairs import age_pair, followed, person_id

TOOL = "http://127.0.0.1:5000/"  # the test app's BASE_URL


@pytest.fixture
def links(monkeypatch):
    return LinkRecorder().install(monkeypatch)


@pytest.fixture
def ids(app, platform, pair):
    """Person ids: Iris (staff), Mona (reads German), Lena; and Ines, a second staff member."""
    Participant(app, platform, "3", "Instructor", "Ines Staff")
    with app.app_context():
        set_locale(person_id(app, "2"), "de")
    return {name: person_id(app, sub)
            for name, sub in (("iris", "1"), ("mona", "2"), ("lena", "10"), ("ines", "3"))}


def recipients(kind: str) -> list[int]:
    return sorted(row.recipient_id for row in told(kind))


def auto_close(app, days: int = 14) -> None:
    with app.app_context():
        settings = services.settings_of(db.session.scalars(sa.select(Program)).one())
        settings.auto_close, settings.close_after_warning_days = True, days
        db.session.commit()


def german(value: date) -> str:
    return format_date(value, "EEEE d MMMM y", locale="de")


def test_a_nudge_reaches_both_members_once_a_day_and_opens_their_hub(app, pair, ids, links):
    staff, mona, lena, pair_id = pair
    for _ in range(2):
        followed(staff, staff.post(f"/dashboard/pairs/{pair_id}/nudge", page="/dashboard"))
    with app.app_context():
        assert recipients("pair_nudge") == sorted([ids["mona"], ids["lena"]])  # not staff
        rows = {row.recipient_id: row for row in told("pair_nudge")}
        assert "since you and Lena Learner last met or wrote" in rows[ids["mona"]].body
        assert 'lang="de"' in rows[ids["mona"]].html and 'lang="en"' in rows[ids["lena"]].html
    assert links.destinations(ids["lena"])[-1] == f"/pairs/{pair_id}"


def test_a_checkin_request_opens_the_checkin(app, pair, ids, links):
    staff, mona, lena, pair_id = pair
    followed(staff, staff.post(f"/dashboard/pairs/{pair_id}/checkin", page="/dashboard"))
    with app.app_context():
        assert recipients("pair_checkin") == sorted([ids["mona"], ids["lena"]])
        assert "relationship with Mona Mentor is going" in next(
            row.body for row in told("pair_checkin") if row.recipient_id == ids["lena"])
    assert links.destinations(ids["mona"])[-1] == f"/pairs/{pair_id}/checkin"
    with app.test_request_context():
        assert services.nudge(db.session.get(Pair, pair_id), "checkin") == 0  # once a day


def test_an_inactive_pair_is_warned_with_the_day_it_closes(app, runner, pair, ids, links):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 60)
    auto_close(app, days=14)
    assert "Warned 1" in runner.invoke(args=["relationships", "sweep"]).output  # no request
    runner.invoke(args=["relationships", "sweep"])
    with app.app_context():
        assert recipients("pair_inactive") == sorted([ids["mona"], ids["lena"]])
        closes = utcnow().date() + timedelta(days=14)
        mona_row = next(row for row in told("pair_inactive") if row.recipient_id == ids["mona"])
        assert f"Closes on: {german(closes)}" in mona_row.body
    assert links.destinations(ids["lena"])[-1] == f"/pairs/{pair_id}"


def test_closing_an_inactive_pair_alerts_the_programs_staff_once(app, runner, pair, ids):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 60)
    auto_close(app)
    runner.invoke(args=["relationships", "sweep"])
    with app.app_context():
        warning = db.session.scalars(sa.select(InactivityWarning)).one()
        warning.warned_at = warning.warned_at - timedelta(days=15)
        warned_on = warning.warned_at.date()
        db.session.commit()
    assert "closed 1" in runner.invoke(args=["relationships", "sweep"]).output
    runner.invoke(args=["relationships", "sweep"])
    with app.app_context():
        assert recipients("staff_pair_closed") == sorted([ids["iris"], ids["ines"]])
        row = told("staff_pair_closed")[0]
        assert row.subject == ("A pair was closed for inactivity: Lena Learner and "
                               "Mona Mentor")
        assert format_date(warned_on, "EEEE d MMMM y", locale="en") in row.body
        assert row.link.startswith(TOOL) and row.link in row.body  # made outside a request
        # Its members hear of the end (pairs.messages), and what comes next.
        assert recipients("pair_ended") == sorted([ids["mona"], ids["lena"]])


def test_the_staff_alert_opens_the_matching_page(app, pair, ids, links):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 60)
    auto_close(app)
    today = utcnow().date()
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        services.sweep_inactive(program, today)
        db.session.commit()
        warning = db.session.scalars(sa.select(InactivityWarning)).one()
        warning.warned_at = warning.warned_at - timedelta(days=15)
        db.session.commit()
        assert services.sweep_inactive(program, today)["closed"] == 1
        db.session.commit()
    assert links.destinations(ids["iris"]) == ["/matching"]
    assert links.destinations(ids["mona"])[-1] == f"/pairs/{pair_id}"


def test_a_pair_warned_again_after_it_resumed_gets_a_new_warning(app, pair, ids):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 60)
    auto_close(app)
    today = utcnow().date()
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        assert services.sweep_inactive(program, today)["warned"] == 1
        db.session.commit()
        # Activity resumed (the sweep deleted the warning), then stopped again.
        db.session.execute(sa.delete(InactivityWarning))
        db.session.commit()
        assert services.sweep_inactive(program, today + timedelta(days=3))["warned"] == 1
        db.session.commit()
        assert len(told("pair_inactive")) == 4
