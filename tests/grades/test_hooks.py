"""Scores follow activity in the same transaction: a meeting both members confirm moves the
learner's participation score and queues it for the LMS, with nothing called by the meeting
code itself."""

from datetime import UTC, timedelta

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.grades.models import GradeRecord, GradeSync
from lti_tool.meetings import services as meetings
from lti_tool.meetings.models import Meeting
from tests.support.meetings import scheduled
from tests.support.pairs import followed


def test_a_confirmed_meeting_moves_the_score_and_queues_it(app, pair, monkeypatch):
    _, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id)
    with app.app_context():
        start = db.session.get(Meeting, meeting_id).start_at.replace(tzinfo=UTC)
        before = {r.person.subject: r.score for r in db.session.scalars(sa.select(GradeRecord))}
        queued_before = db.session.scalar(sa.select(sa.func.count()).select_from(GradeSync))
    monkeypatch.setattr(meetings, "utcnow", lambda: start + timedelta(hours=2))
    for person in (lena, mona):
        followed(person, person.post(f"/meetings/{meeting_id}/attendance",
                                     {"occurrence": start.isoformat(), "outcome": "held"},
                                     page=f"/pairs/{pair_id}/meetings"))
    with app.app_context():
        record = db.session.scalars(sa.select(GradeRecord).join(GradeRecord.person)
                                    .filter_by(subject="10")).one()
        assert record.facts.get("meetings_held") == 1
        assert record.score > before.get("10", 0)
        assert record.comment.startswith("1 meeting held of 3 needed to complete")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GradeSync)) > \
            queued_before
