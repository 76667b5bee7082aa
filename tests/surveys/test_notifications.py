"""Check-ins due and mid-point / end surveys open, told by `reminders.sweep`: to the pair's two
members only, on the day the round opens, in their language, with a link that lands on the
check-in page, once per round, and never for a round already answered."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.pairs.models import Pair
from lti_tool.surveys import reminders, services
from tests.support.notified import LinkRecorder, set_locale, told
from tests.support.pairs import person_id

STARTED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
ENDS = date(2026, 5, 25)  # 84 days: half-way on 13 April, the end survey opens on 11 May


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=6)


@pytest.fixture
def dated(app, pair):
    """The published pair, started on STARTED and running until ENDS: (Mona, Lena, pair id)
    as person ids."""
    _, _, _, pair_id = pair
    with app.app_context():
        row = db.session.get(Pair, pair_id)
        row.started_at, row.ends_on = STARTED, ENDS
        db.session.commit()
    return person_id(app, "2"), person_id(app, "10"), pair_id


@pytest.fixture
def links(monkeypatch):
    return LinkRecorder().install(monkeypatch)


def sweep(day: date) -> int:
    """The daily sweep as the CLI runs it: an app context, no request."""
    program = db.session.scalars(sa.select(Program)).one()
    queued = reminders.sweep(program, at(day))
    db.session.commit()
    return queued


def answer(pair_id: int, who: int, day: date) -> None:
    pair = db.session.get(Pair, pair_id)
    person = pair.mentee if who == pair.mentee_id else pair.mentor
    due = services.due_for(pair, person, day)
    services.answer(pair, person, due, 4, "Fine", {})
    db.session.commit()


def test_a_checkin_is_told_to_both_members_on_the_day_it_opens(app, dated, links):
    mona, lena, pair_id = dated
    with app.app_context():
        assert sweep(date(2026, 3, 8)) == 0  # the first check-in comes a week after the match
        assert sweep(date(2026, 3, 9)) == 2
        rows = told("checkin_due")
        assert sorted(r.recipient_id for r in rows) == sorted([mona, lena])  # not staff
        assert all(r.status == "pending" and r.link.startswith("https://lms.") for r in rows)
        assert "Time for a check-in" in rows[0].subject
        assert "Monday 9 March 2026" in rows[0].body and "anonymous" in rows[0].body
        assert "Answer the check-in: " + rows[0].link in rows[0].body
    for person in (mona, lena):
        assert links.destinations(person) == [f"/pairs/{pair_id}/checkin"]


def test_each_round_is_told_once_and_the_next_round_again(app, dated, links):
    mona, lena, pair_id = dated
    with app.app_context():
        assert sweep(date(2026, 3, 9)) == 2
        assert sweep(date(2026, 3, 9)) == 0  # never twice
        assert sweep(date(2026, 3, 12)) == 0  # still the same round, unanswered
        answer(pair_id, lena, date(2026, 3, 12))
        assert sweep(date(2026, 3, 25)) == 0  # Lena's next one opens on 26 March
        assert sweep(date(2026, 3, 26)) == 1
        assert sorted(r.recipient_id for r in told("checkin_due")) == sorted([lena, lena, mona])
        assert "Thursday 26 March 2026" in told("checkin_due")[-1].body


def test_not_for_a_round_already_answered(app, dated, links):
    mona, lena, pair_id = dated
    with app.app_context():
        answer(pair_id, lena, date(2026, 3, 9))
        assert sweep(date(2026, 3, 10)) == 1
        assert [r.recipient_id for r in told("checkin_due")] == [mona]


def test_answering_cancels_the_reminder_still_waiting(app, dated, links):
    mona, lena, pair_id = dated
    with app.app_context():
        sweep(date(2026, 3, 9))
        answer(pair_id, lena, date(2026, 3, 10))
        status = {r.recipient_id: r.status for r in told("checkin_due")}
        assert status == {lena: "cancelled", mona: "pending"}
        assert sweep(date(2026, 3, 11)) == 0  # the answered round is not told again


def test_the_midpoint_and_end_surveys_are_told_when_they_open(app, dated, links):
    mona, lena, pair_id = dated
    with app.app_context():
        sweep(date(2026, 4, 12))
        assert told("survey_open") == []  # not half-way yet
        assert sweep(date(2026, 4, 13)) == 2
        midpoint = told("survey_open")
        assert {r.recipient_id for r in midpoint} == {mona, lena}
        assert all("mid-point feedback survey is open" in r.subject for r in midpoint)
        assert "End of your mentoring: Monday 25 May 2026" in midpoint[0].body
        answer(pair_id, lena, date(2026, 4, 14))  # Lena answers; Mona does not
        assert sweep(date(2026, 5, 10)) == 0
        assert sweep(date(2026, 5, 11)) == 2
        final = told("survey_open")[2:]
        assert {r.recipient_id for r in final} == {mona, lena}
        assert all("end-of-program feedback survey is open" in r.subject for r in final)
        assert sweep(date(2026, 5, 20)) == 0
    # A check-in (12 April), the mid-point and the end survey: all answered on one page.
    assert links.destinations(lena) == [f"/pairs/{pair_id}/checkin"] * 3


def test_not_for_an_answered_survey(app, dated, links):
    mona, lena, pair_id = dated
    with app.app_context():
        answer(pair_id, lena, date(2026, 4, 13))  # the mid-point survey, before any sweep
        sweep(date(2026, 4, 14))
        assert [r.recipient_id for r in told("survey_open")] == [mona]


def test_a_pair_that_ended_lately_is_asked_for_its_end_survey_only_then(app, dated, links):
    mona, lena, pair_id = dated
    with app.app_context():
        pair = db.session.get(Pair, pair_id)
        pair.status, pair.ended_at = "completed", at(ENDS)
        db.session.commit()
        assert sweep(ENDS + timedelta(days=30)) == 0  # long past: nobody is asked now
        assert sweep(ENDS + timedelta(days=1)) == 2
        assert {r.recipient_id for r in told("survey_open")} == {mona, lena}
        assert told("checkin_due") == []


def test_written_in_the_members_language(app, dated, links):
    mona, lena, pair_id = dated
    with app.app_context():
        set_locale(lena, "de")
        sweep(date(2026, 3, 9))
        sweep(date(2026, 4, 13))
        rows = {r.kind: r for r in told("checkin_due") + told("survey_open")
                if r.recipient_id == lena}
        assert "Montag 9 März 2026" in rows["checkin_due"].body
        assert "Montag 25 Mai 2026" in rows["survey_open"].body
        assert 'lang="de"' in rows["survey_open"].html
        mona_row = next(r for r in told("checkin_due") if r.recipient_id == mona)
        assert "Monday 9 March 2026" in mona_row.body

