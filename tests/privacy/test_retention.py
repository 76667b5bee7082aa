"""Retention: staff set "delete private content N days after the program ends"; `privacy
purge` removes the pairs' writing of programs past it, keeps counts, ratings and grades, and
changes nothing the second time."""

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.grades import services as grades
from lti_tool.grades.models import GradeRecord, GradeSync
from lti_tool.intake.models import Profile
from lti_tool.journal.models import ActionItem, Message, Recap
from lti_tool.meetings.models import Meeting
from lti_tool.notify.models import Notification
from lti_tool.pairs.models import MentorRequest, Pair
from lti_tool.privacy import retention
from lti_tool.privacy.retention import PURGED
from lti_tool.security.models import AuditEvent
from lti_tool.surveys.models import SurveyResponse
from lti_tool.timeutil import utcnow
from lti_tool.workspace.models import AgreementVersion, Goal, Milestone
from tests.support.privacy import fill


def set_retention(app, days, *, ended_days_ago=None, created_days_ago=None):
    """The program's setting, and (optionally) its pair ended / program added long ago."""
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        program.retention_days = days
        if created_days_ago is not None:
            program.created_at = utcnow() - timedelta(days=created_days_ago)
        if ended_days_ago is not None:
            for found in db.session.scalars(sa.select(Pair)):
                found.status, found.ended_at = "completed", utcnow() - timedelta(
                    days=ended_days_ago)
        db.session.commit()


def texts(app) -> set[str]:
    with app.app_context():
        return ({m.body for m in db.session.scalars(sa.select(Message))}
                | {r.takeaways for r in db.session.scalars(sa.select(Recap))}
                | {a.title for a in db.session.scalars(sa.select(ActionItem))}
                | {g.title for g in db.session.scalars(sa.select(Goal))}
                | {m.title for m in db.session.scalars(sa.select(Milestone))}
                | {v.confidentiality for v in db.session.scalars(sa.select(AgreementVersion))}
                | {m.agenda for m in db.session.scalars(sa.select(Meeting))}
                | {r.message for r in db.session.scalars(sa.select(MentorRequest))}
                | {s.comment for s in db.session.scalars(sa.select(SurveyResponse))})


def test_staff_set_retention_on_the_program_settings(app, pair):
    staff, mona, lena, pair_id = pair
    assert b"Data retention" in staff.get("/matching/settings").data
    page = staff.get("/privacy/retention")
    assert page.status_code == 200 and b"none of its pairs is still active" in page.data
    saved = staff.post("/privacy/retention", {"retention_days": "30"}, page="/privacy/retention")
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.scalars(sa.select(Program)).one().retention_days == 30
        assert db.session.scalars(sa.select(AuditEvent).filter_by(
            action="privacy.retention_set")).one().details == {"days": 30}
    assert b"removed 30 days after the program ends" in staff.get("/matching/settings").data
    for bad in ("-1", "ten", "99999"):
        refused = staff.post("/privacy/retention", {"retention_days": bad},
                             page="/privacy/retention")
        assert refused.status_code == 400, bad
        assert b"field-error" in refused.data or b"flash error" in refused.data
    with app.app_context():
        assert db.session.scalars(sa.select(Program)).one().retention_days == 30
    kept = staff.post("/privacy/retention", {"retention_days": ""}, page="/privacy/retention")
    assert kept.status_code == 303
    with app.app_context():
        assert db.session.scalars(sa.select(Program)).one().retention_days is None


def test_when_a_program_has_ended(app, pair):
    staff, mona, lena, pair_id = pair
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        assert retention.ended_on(program) is None  # an active pair: still running
    set_retention(app, 10, ended_days_ago=5, created_days_ago=400)
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        assert retention.ended_on(program) == (utcnow() - timedelta(days=5)).date()
        assert retention.purge_due_on(program) == (utcnow() + timedelta(days=5)).date()
    set_retention(app, 10, ended_days_ago=300, created_days_ago=100)  # the term is later
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        term_end = program.created_at.date() + timedelta(weeks=program.term_weeks)
        assert retention.ended_on(program) == term_end
    set_retention(app, 10, ended_days_ago=300, created_days_ago=10)  # its term runs on
    with app.app_context():
        assert retention.ended_on(db.session.scalars(sa.select(Program)).one()) is None
    assert b"This program is still running." in staff.get("/privacy/retention").data


def test_purge_removes_private_writing_and_keeps_grades(app, runner, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    set_retention(app, 30, ended_days_ago=60, created_days_ago=400)
    with app.app_context():
        grades.recompute(db.session.scalars(sa.select(Program)).one())
        db.session.commit()
        scores = {r.person_id: r.effective_score for r in db.session.scalars(
            sa.select(GradeRecord))}
        syncs = db.session.scalar(sa.select(sa.func.count()).select_from(GradeSync))
        counts = db.session.scalar(sa.select(sa.func.count()).select_from(Message))
    assert "MONA-MSG" in texts(app)
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 programs" in result.output and "messages=2" in result.output
    assert texts(app) <= {PURGED, ""}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == counts
        assert all(p.goals_text == "" and p.preferences == ""
                   for p in db.session.scalars(sa.select(Profile)))
        ratings = sorted(r.rating for r in db.session.scalars(sa.select(SurveyResponse)))
        assert ratings == [2, 4]
        assert [r.answers for r in db.session.scalars(sa.select(SurveyResponse)
                                                      .filter(SurveyResponse.rating == 4))] \
            == [{"q2": 5}]  # the scale answer stays, the written one goes
        assert db.session.scalars(sa.select(Notification)).all() == []
        after = {r.person_id: r.effective_score for r in db.session.scalars(
            sa.select(GradeRecord))}
        assert after == scores
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GradeSync)) == syncs
        assert db.session.scalars(sa.select(AuditEvent).filter_by(
            action="privacy.purged")).one().details["counts"]["messages"] == 2
    again = runner.invoke(args=["privacy", "purge"])
    assert again.exit_code == 0 and "Purged 0 programs" in again.output
    assert "1 already purged" in again.output


def test_purge_leaves_running_and_recent_programs_alone(app, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    set_retention(app, 30)  # the pair is still active
    with app.app_context():
        assert retention.purge() == []
    set_retention(app, 30, ended_days_ago=10, created_days_ago=400)  # not 30 days yet
    with app.app_context():
        assert retention.purge() == []
    set_retention(app, None, ended_days_ago=1000, created_days_ago=2000)  # keep
    with app.app_context():
        assert retention.purge() == []
        db.session.commit()
    assert "MONA-MSG" in texts(app)
