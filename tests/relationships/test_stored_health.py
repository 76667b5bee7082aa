"""The dashboard reads each pair's stored health and reassesses a pair only when its
assessment no longer holds: activity in the pair, a new day, a meeting that ended, other
thresholds. A change made while a view reassesses is never overwritten by the older view."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.relationships import hooks
from lti_tool.relationships import services as health
from lti_tool.relationships.models import HealthSettings, PairHealth
from tests.support.meetings import meeting_held, scheduled
from tests.support.pairs import age_pair, followed


@pytest.fixture
def reassessed(monkeypatch):
    """The pair ids each reassessment rebuilt histories for."""
    calls = []
    real = health.pair_facts

    def counting(program, today=None, **options):
        facts = real(program, today, **options)
        calls.append([f.pair.id for f in facts])
        return facts

    monkeypatch.setattr(health, "pair_facts", counting)
    return calls


def stored(app, pair_id):
    with app.app_context():
        return db.session.get(PairHealth, pair_id)


def test_a_second_view_reads_the_stored_health(app, pair, reassessed):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 25)
    first = staff.get("/dashboard").data
    assert b"no meeting held 25 days after the match" in first
    assert reassessed == [[pair_id]]
    row = stored(app, pair_id)
    assert not row.stale and row.status == "at risk"
    assert ["no_first_meeting", "no meeting held %(days)s days after the match, and none "
            "booked", 2, {"days": 25}] in row.reasons
    assert "no meeting held 25 days after the match, and none booked" in row.summary
    assert staff.get("/dashboard").data.count(b"25 days after the match") == 1
    assert reassessed == [[pair_id]]  # not rebuilt


def test_activity_in_the_pair_makes_it_stale_in_the_same_transaction(app, pair, reassessed):
    staff, mona, lena, pair_id = pair
    staff.get("/dashboard")
    stamp = stored(app, pair_id).stamp
    followed(lena, lena.post(f"/pairs/{pair_id}/messages", {"body": "Hello"},
                             page=f"/pairs/{pair_id}/messages"))
    row = stored(app, pair_id)
    assert row.stale and row.stamp == stamp + 1
    staff.get("/dashboard")
    assert reassessed == [[pair_id], [pair_id]] and not stored(app, pair_id).stale


def test_a_rolled_back_change_leaves_the_stored_health_alone(app, pair):
    staff, mona, lena, pair_id = pair
    staff.get("/dashboard")
    with app.app_context():
        from lti_tool.journal.models import Message
        from lti_tool.pairs.models import Pair

        pair_row = db.session.get(Pair, pair_id)
        db.session.add(Message(pair_id=pair_id, author_id=pair_row.mentee_id, body="draft"))
        db.session.flush()
        db.session.rollback()
    assert not stored(app, pair_id).stale


def test_a_new_day_and_other_thresholds_reassess(app, pair, reassessed):
    staff, mona, lena, pair_id = pair
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        today = datetime.now(UTC).date()
        health.current_health(program, today)
        health.current_health(program, today)
        assert len(reassessed) == 1
        health.current_health(program, today + timedelta(days=1))
        assert len(reassessed) == 2
        settings = db.session.scalars(sa.select(HealthSettings)).one()
        settings.thresholds = {"quiet_days": 10}
        db.session.commit()
        health.current_health(program, today + timedelta(days=1))
        assert len(reassessed) == 3


def test_a_meeting_that_ends_makes_its_outcome_due(app, pair, monkeypatch, reassessed):
    """Until a meeting ends it is "upcoming"; once over, it waits for the pair to confirm
    it, so the stored health holds only until the meeting's end."""
    staff, mona, lena, pair_id = pair
    meeting_id = scheduled(app, mona, lena, pair_id)
    with app.app_context():
        from lti_tool.meetings.models import Meeting

        meeting = db.session.get(Meeting, meeting_id)
        end = meeting.start_at.replace(tzinfo=UTC) + timedelta(minutes=meeting.minutes)
        program = db.session.scalars(sa.select(Program)).one()
        before = end - timedelta(minutes=5)
        monkeypatch.setattr(health, "utcnow", lambda: before)
        health.current_health(program)
        fresh_until = db.session.get(PairHealth, pair_id).fresh_until
        assert fresh_until.replace(tzinfo=UTC) == min(
            end, datetime.combine(before.date() + timedelta(days=1), datetime.min.time(),
                                  tzinfo=UTC))
        health.current_health(program)
        assert len(reassessed) == 1
        if end.date() == before.date():  # the end comes before the day changes
            monkeypatch.setattr(health, "utcnow", lambda: end + timedelta(minutes=1))
            health.current_health(program)
            assert len(reassessed) == 2


def test_a_change_during_a_reassessment_is_not_overwritten(app, pair, monkeypatch):
    """The view read the pair's history before the change committed: what it assessed is
    already out of date, so it must not be stored as current."""
    staff, mona, lena, pair_id = pair
    real = health.pair_facts

    def change_meanwhile(program, today=None, **options):
        facts = real(program, today, **options)
        hooks.mark_stale({pair_id})  # as another request's commit would
        return facts

    monkeypatch.setattr(health, "pair_facts", change_meanwhile)
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        [status] = health.current_health(program)
        assert status.pair.id == pair_id  # this view still shows what it assessed
        db.session.commit()
        row = db.session.get(PairHealth, pair_id)
        assert row.stale and row.stamp == 1


def test_ended_pairs_leave_the_dashboard_and_new_ones_join(app, pair):
    staff, mona, lena, pair_id = pair
    with app.app_context():
        from lti_tool.pairs import services as pairs
        from lti_tool.pairs.models import Pair

        program = db.session.scalars(sa.select(Program)).one()
        assert [s.pair.id for s in health.current_health(program)] == [pair_id]
        db.session.commit()
        pairs.end_pair(db.session.get(Pair, pair_id), "ended", "Finished early")
        db.session.commit()
        assert health.current_health(program) == []


def test_the_overview_counts_held_meetings_from_the_stored_days(app, pair, monkeypatch):
    staff, mona, lena, pair_id = pair
    start, later = meeting_held(app, pair, monkeypatch)
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        figures = health.overview(program, later.date())
        monday = start.date() - timedelta(days=start.date().weekday())
        assert dict(figures["held_per_week"])[monday] == 1
        assert sum(count for _, count in figures["held_per_week"]) == 1
        assert figures["participation"] == 100
        assert db.session.get(PairHealth, pair_id).last_met == start.date()
