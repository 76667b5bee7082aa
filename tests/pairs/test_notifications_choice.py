"""What a mentee's request tells people in a mentee-choice program: the mentor hears of it with
its deadline (urgent), the mentee of the answer (accepted: to the pair's hub; declined: back to
choosing), and both of a lapse, which is queued for the deadline and withdrawn by an answer, so
the request's status and what people were told agree. Who, when, in which language, where the
link lands, never twice."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_datetime

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.notify import kinds
from lti_tool.notify.models import SENT, Notification
from lti_tool.pairs import choice, messages, reminders
from lti_tool.pairs.models import MentorRequest, Pair
from lti_tool.timeutil import as_utc, utcnow
from tests.support.notified import LinkRecorder, told
from tests.support.pairing import LENA_GOALS, MONA_BIO, cast
from tests.support.pairs import followed

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
TOOL = "http://127.0.0.1:5000/"  # the test app's BASE_URL
HOME = "/"  # the choose-a-mentor page: recommendations and requests are on the home page


@pytest.fixture
def people(app, platform):
    return cast(app, platform, mentee_choice=True)


@pytest.fixture
def links(monkeypatch):
    return LinkRecorder().install(monkeypatch)


def ask(people, note: str = "Hello Mona, I admire your work."):
    return followed(people.lena, people.lena.post(
        "/requests", {"mentor_id": people.mona_id, "message": note}, page="/intake"))


def answer(app, people, accept: bool):
    with app.app_context():
        request_id = the_request().id
    return followed(people.mona, people.mona.post(
        f"/requests/{request_id}/answer", {"accept": "yes" if accept else "no"}, page="/intake"))


def the_request() -> MentorRequest:
    return db.session.scalars(sa.select(MentorRequest)).one()


def when(moment: datetime, zone: ZoneInfo, locale: str, place: str) -> str:
    local = as_utc(moment).astimezone(zone)
    return f"{format_datetime(local, 'EEEE d MMMM y, HH:mm', locale=locale)} ({place} time)"


def statuses(kind: str) -> dict[int, str]:
    return {row.recipient_id: row.status for row in told(kind)}


def test_the_mentor_hears_of_the_request_with_its_deadline_in_her_zone_and_language(
        app, people, links):
    assert b"Your request was sent" in ask(people)
    with app.app_context():
        deadline = the_request().respond_by
        [row] = told("request_received")
        assert row.recipient_id == people.mona_id  # not Lena, not staff
        assert row.subject == "Lena Learner asks you to be their mentor"
        assert f"Answer by: {when(deadline, BERLIN, 'de', 'Berlin')}" in row.body
        assert when(deadline, BERLIN, "de", "Berlin").split()[0] in (
            "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
        assert "Lena Learner's note to you:\n> Hello Mona, I admire your work." in row.body
        assert f"Their goals, in their own words: {LENA_GOALS}" in row.body
        assert "Why you fit: 1 shared goal (Leadership)" in row.body
        assert abs(as_utc(row.send_after) - utcnow()) < timedelta(minutes=1)
        assert kinds.kind(row.kind).urgent  # a deadline: never held back for the hour
        assert row.link.startswith("https://lms.example.edu/")  # the recorder's LMS link
    assert links.destinations(people.mona_id)[0] == HOME


def test_the_lapse_notices_wait_for_the_deadline(app, people, links):
    ask(people)
    with app.app_context():
        deadline = as_utc(the_request().respond_by)
        rows = {row.recipient_id: row for row in told("request_lapsed")}
        assert set(rows) == {people.lena_id, people.mona_id}
        assert {as_utc(row.send_after) for row in rows.values()} == {deadline}
        assert {row.status for row in rows.values()} == {"pending"}
        lena = rows[people.lena_id]
        assert lena.subject == "No answer from Mona Mentor: choose another mentor"
        assert when(deadline, NEW_YORK, "en", "New York") in lena.body
        assert when(deadline, BERLIN, "de", "Berlin") in rows[people.mona_id].body
    assert links.destinations(people.lena_id) == [HOME]


def test_an_accepted_request_sends_the_mentee_to_the_hub_and_withdraws_the_lapse(
        app, people, links):
    ask(people)
    assert b"You are now paired" in answer(app, people, accept=True)
    with app.app_context():
        pair = db.session.scalars(sa.select(Pair)).one()
        [row] = told("request_accepted")
        assert row.recipient_id == people.lena_id  # the mentor answered: she knows
        assert row.subject == "Mona Mentor accepted: you have a mentor"
        assert "Expertise: Leadership" in row.body and "twelve engineers" in row.body
        assert MONA_BIO.splitlines()[1] in row.body and "First steps:" in row.body
        assert statuses("request_lapsed") == {people.lena_id: "cancelled",
                                              people.mona_id: "cancelled"}
    assert links.destinations(people.lena_id)[-1] == f"/pairs/{pair.id}"


def test_a_declined_request_sends_the_mentee_back_to_choosing(app, people, links):
    ask(people)
    assert b"You declined" in answer(app, people, accept=False)
    with app.app_context():
        [row] = told("request_declined")
        assert row.recipient_id == people.lena_id
        assert "Mona Mentor declined your request. You can ask another" in row.body
        assert "Choose a mentor: " + row.link in row.body
        assert set(statuses("request_lapsed").values()) == {"cancelled"}
        assert db.session.scalars(sa.select(Pair)).first() is None
    assert links.destinations(people.lena_id)[-1] == HOME


def test_an_unanswered_request_lapses_as_told_and_can_no_longer_be_accepted(
        app, people, links, monkeypatch):
    ask(people)
    with app.app_context():
        deadline = as_utc(the_request().respond_by)
    monkeypatch.setattr(choice, "utcnow", lambda: deadline + timedelta(minutes=1))
    # Nobody has read the request since its deadline: the answer is refused all the same.
    assert b"no longer waiting" in answer(app, people, accept=True)
    assert b"no answer in time" in people.lena.get("/").data  # read: recorded as lapsed
    with app.app_context():
        assert the_request().status == "lapsed"
        assert db.session.scalars(sa.select(Pair)).first() is None
        rows = told("request_lapsed")  # the notices queued at the ask, not new ones
        assert len(rows) == 2 and {r.status for r in rows} == {"pending"}
        assert all(as_utc(r.send_after) <= deadline + timedelta(minutes=1) for r in rows)
        assert told("request_accepted") == []


def test_an_answer_is_refused_once_a_lapse_notice_has_gone_out(app, people, links):
    ask(people)
    with app.app_context():  # the worker sent it at the deadline while the answer was typed
        db.session.execute(sa.update(Notification).where(Notification.kind == "request_lapsed")
                           .values(status=SENT))
        db.session.commit()
    assert b"no longer waiting" in answer(app, people, accept=True)
    with app.app_context():
        assert db.session.scalars(sa.select(Pair)).first() is None


def test_a_request_is_told_once(app, people, links):
    ask(people)
    with app.test_request_context():
        assert messages.request_received(the_request()) == 0
        assert len(told("request_received")) == 1 and len(told("request_lapsed")) == 2


def test_the_sweep_lapses_an_old_request_and_tells_both_once(app, people):
    ask(people)
    with app.app_context():  # a request from before its lapse notices existed
        db.session.execute(sa.delete(Notification).where(Notification.kind == "request_lapsed"))
        db.session.commit()
        program = db.session.scalars(sa.select(Program)).one()
        later = as_utc(the_request().respond_by) + timedelta(days=1)
        assert reminders.sweep(program, later) == 2  # outside a request, as the CLI runs it
        assert reminders.sweep(program, later) == 0
        assert the_request().status == "lapsed"
        rows = told("request_lapsed")
        assert {r.recipient_id for r in rows} == {people.lena_id, people.mona_id}
        assert all(r.link.startswith(TOOL) for r in rows)
        db.session.commit()


def test_a_far_deadline_is_queued_by_the_sweep_as_it_nears(app, people):
    with app.app_context():
        db.session.scalars(sa.select(Program)).one().request_days = 30
        db.session.commit()
    ask(people)
    with app.app_context():
        assert told("request_lapsed") == []  # its link would be old by the time it goes
        program = db.session.scalars(sa.select(Program)).one()
        deadline = as_utc(the_request().respond_by)
        assert reminders.sweep(program, deadline - timedelta(days=20)) == 0
        assert reminders.sweep(program, deadline - timedelta(days=10)) == 2
        assert {as_utc(r.send_after) for r in told("request_lapsed")} == {deadline}
        assert the_request().status == "pending"
        db.session.commit()
    assert datetime.now(UTC) < deadline
