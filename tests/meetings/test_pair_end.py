"""A pair's meetings end with it (meetings/hooks.py, services.end_with_pair): when staff end
the pair, its proposal is withdrawn and what was still to come is cancelled in the same
commit: no reminder is left to send, both members' calendars get the update, and a series
that has begun keeps its past meetings (as history: an ended pair's rows no longer change)."""

from datetime import timedelta

import sqlalchemy as sa
from icalendar import Calendar

from lti_tool.extensions import db
from lti_tool.meetings import services
from lti_tool.meetings.models import Meeting
from lti_tool.notify.models import Notification
from lti_tool.pairs import services as pairs
from lti_tool.pairs.models import Pair
from tests.support.meetings import candidate_values, page_of, propose, scheduled
from tests.support.pairs import followed


def _end(app, pair_id: int) -> None:
    with app.test_request_context():
        pairs.end_pair(db.session.get(Pair, pair_id), "completed", "The term is over")
        db.session.commit()


def _pending(app, kind: str) -> list[Notification]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Notification).filter_by(
            kind=kind, status="pending")))


def _told(app, kind: str) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        return [(n.recipient.display_name, n.calendar_method, n.calendar)
                for n in db.session.scalars(sa.select(Notification).filter_by(kind=kind)
                                            .order_by(Notification.id))]


def test_ending_the_pair_cancels_its_meeting_and_withdraws_its_proposal(app, pair):
    _, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id)
    later = candidate_values(page_of(lena, pair_id))[-1]
    followed(lena, propose(lena, pair_id, slots=[later]))
    assert _pending(app, "meeting_reminder")

    _end(app, pair_id)
    with app.app_context():
        statuses = dict(db.session.execute(sa.select(Meeting.id, Meeting.status)).all())
        assert statuses[meeting_id] == "cancelled"
        assert set(statuses.values()) == {"cancelled"}  # the proposal too
        mona_row = db.session.get(Pair, pair_id).mentor
        assert services.busy_of(mona_row) == []  # her hours are free again
    assert _pending(app, "meeting_reminder") == [] and _pending(app, "meeting_outcome") == []
    assert _pending(app, "meeting_unanswered") == []
    told = _told(app, "meeting_cancelled")
    assert sorted(name for name, _, _ in told) == ["Lena Learner", "Mona Mentor"]
    for _, method, calendar in told:
        assert method == "CANCEL"
        assert str(Calendar.from_ical(calendar).walk("VEVENT")[0]["status"]) == "CANCELLED"


def test_a_series_that_has_begun_keeps_its_past_meetings(app, pair):
    _, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id, repeat="weekly", repeat_count="4")
    with app.app_context():  # two of the four weeks are behind us
        meeting = db.session.get(Meeting, meeting_id)
        meeting.start_at = meeting.start_at - timedelta(weeks=2)
        db.session.commit()

    _end(app, pair_id)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        kept = services.occurrences(meeting)
        assert meeting.status == "scheduled" and len(kept) == 2
        assert all(o.end <= services.utcnow() for o in kept)
    assert _pending(app, "meeting_reminder") == []
    told = _told(app, "meeting_cancelled")
    assert len(told) == 2 and {method for _, method, _ in told} == {"REQUEST"}
    event = Calendar.from_ical(told[0][2]).walk("VEVENT")[0]
    assert len(event["exdate"].dts) == 2  # the two still to come
    page = page_of(lena, pair_id).decode()  # the link of the notice: the past two listed,
    assert "This pair has ended" in page and page.count("not answered.") == 2  # nothing to
    coming = page.split('id="upcoming-h"')[1].split("Your calendar")[0]  # come, nothing to
    assert 'class="meeting"' not in coming and "<form" not in coming  # fill in or propose
    assert "A steady routine helps" not in page


def test_a_pair_that_goes_on_keeps_its_meetings(app, pair):
    staff, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id)
    with app.test_request_context():
        pairs.extend_pair(db.session.get(Pair, pair_id),
                          services.utcnow().date() + timedelta(weeks=30))
        db.session.commit()
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).status == "scheduled"
    assert _pending(app, "meeting_reminder")
