"""`flask sandbox seed`: a cohort of the asked size with intakes, pairs within capacities and
a semester of activity, the same for the same seed, seeded once, without e-mails; the staff
pages render on it."""

from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, Person
from lti_tool.extensions import db
from lti_tool.grades.models import GradeRecord
from lti_tool.intake.models import Mentor, MentorPool, Profile
from lti_tool.journal.models import ActionItem, Message, Recap
from lti_tool.lti.roles import Role
from lti_tool.meetings.models import Attendance, Meeting
from lti_tool.meetings.services import disputed_count
from lti_tool.notify.models import Notification
from lti_tool.pairs.models import MatchRun, Pair
from lti_tool.sandbox import lms, platform
from lti_tool.sandbox.models import Membership, User
from lti_tool.sandbox.seed import USERNAME_PREFIX, SeedError, SeedOptions, seed_cohort
from lti_tool.surveys.models import SurveyResponse
from lti_tool.workspace.models import AgreementVersion
from tests.support.apps import dispose
from tests.support.seeded import StaffClient, seeded_app

NOW = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo")
SMALL = SeedOptions(learners=20, mentors=6, zones=ZONES, weeks=4, seed=7, now=NOW)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory, _platform_private_key):
    """(app, result) of one small seeded cohort, read by the tests that only look."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(platform, "new_private_key", lambda: _platform_private_key)
        app, result = seeded_app(tmp_path_factory.mktemp("seeded"), SMALL)
    yield app, result
    dispose(app)


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_people_are_sandbox_users_and_enrolled(cohort):
    app, result = cohort
    with app.app_context():
        seeded = db.session.scalars(sa.select(Membership).join(User).where(
            User.username.startswith(USERNAME_PREFIX))).all()
        assert Counter(m.role for m in seeded) == {lms.LEARNER: 20, lms.MENTOR: 6}
        assert all(m.course_id == lms.COURSE_ID for m in seeded)
        roles = Counter(db.session.scalars(sa.select(Enrolment.role).where(
            Enrolment.source == "roster")))
        assert roles[Role.LEARNER] == 20 and roles[Role.MENTOR] == 6 and roles[Role.STAFF] == 1
        assert result.counts["learners"] == 20 and result.counts["mentors"] == 6


def test_every_learner_has_a_varied_intake(cohort):
    app, result = cohort
    with app.app_context():
        learners = db.session.scalars(sa.select(Enrolment.person_id).where(
            Enrolment.role == Role.LEARNER)).all()
        profiles = {p.person_id: p for p in db.session.scalars(sa.select(Profile).filter_by(
            program_id=result.program_id))}
        assert set(learners) <= set(profiles)
        mine = [profiles[pid] for pid in learners]
        assert all(p.completed_at and p.topics and p.availability and p.languages for p in mine)
        assert {p.timezone for p in profiles.values()} <= set(ZONES)
        assert len({p.timezone for p in profiles.values()}) > 1
        assert len({tuple(p.topics) for p in mine}) > 5
        assert all(p.expertise for p in profiles.values() if p.person_id not in learners)


def test_pairs_respect_capacities_and_are_published(cohort):
    app, result = cohort
    with app.app_context():
        pairs = db.session.scalars(sa.select(Pair).filter_by(program_id=result.program_id)).all()
        assert pairs and result.counts["pairs"] == len(pairs)
        loads = Counter(p.mentor_id for p in pairs)
        mentors = {m.person_id: m for m in db.session.scalars(sa.select(Mentor))}
        for mentor_id, load in loads.items():
            assert load <= mentors[mentor_id].capacity
            assert load <= db.session.get(MentorPool, mentor_id).capacity
        assert len({p.mentee_id for p in pairs}) == len(pairs)
        [run] = db.session.scalars(sa.select(MatchRun)).all()
        assert run.status == "published" and {p.run_id for p in pairs} == {run.id}
        assert all(p.ends_on and p.explanation for p in pairs)


def test_a_semester_of_activity_without_emails(cohort):
    app, result = cohort
    with app.app_context():
        assert count(Meeting) == result.counts["meetings"] > 0
        assert count(Attendance, Attendance.outcome == "held") > 0
        assert count(Attendance, Attendance.outcome != "held") > 0
        for model in (Recap, Message, ActionItem, SurveyResponse, AgreementVersion):
            assert count(model) > 0, model
        program = db.session.get(Pair, 1).program
        assert disputed_count(program) == result.counts["disputed"]
        records = count(GradeRecord, GradeRecord.program_id == result.program_id)
        assert records >= result.counts["pairs"]
        assert count(Notification) == 0


def test_ended_pairs_have_no_meeting_after_their_end(tmp_path, _platform_private_key,
                                                   monkeypatch):
    """As ending a pair leaves it (meetings/services.py `end_with_pair`): the seeded ended
    pairs' series stop at their end, so that seeding tells no one anything."""
    from lti_tool.meetings.services import occurrences
    from lti_tool.timeutil import as_utc

    monkeypatch.setattr(platform, "new_private_key", lambda: _platform_private_key)
    app, result = seeded_app(tmp_path, SeedOptions(learners=20, mentors=6, zones=ZONES,
                                                   weeks=4, seed=3, now=NOW))
    try:
        assert result.counts["ended"] == 2
        with app.app_context():
            ended = list(db.session.scalars(sa.select(Pair).filter_by(status="ended")))
            for pair in ended:
                meeting = db.session.scalars(sa.select(Meeting).filter_by(pair_id=pair.id)).one()
                starts = [o.start for o in occurrences(meeting)]
                assert starts and max(starts) < as_utc(pair.ended_at)
            assert count(Notification) == 0
    finally:
        dispose(app)


def test_the_same_seed_makes_the_same_cohort(cohort, tmp_path):
    app, _ = cohort
    again, _ = seeded_app(tmp_path / "again", SMALL)
    other, _ = seeded_app(tmp_path / "other", SeedOptions(**{**SMALL.__dict__, "seed": 8}))
    try:
        first = fingerprint(app)
        assert fingerprint(again) == first
        assert fingerprint(other) != first
    finally:
        dispose(again)
        dispose(other)


def fingerprint(app) -> dict:
    """What the seed decides, by LMS user id (database ids may differ)."""
    with app.app_context():
        subject = dict(db.session.execute(sa.select(Person.id, Person.subject)).all())
        return {
            "profiles": sorted((subject[p.person_id], p.timezone, tuple(p.topics),
                                tuple(p.languages), str(p.availability))
                               for p in db.session.scalars(sa.select(Profile))),
            "pairs": sorted((subject[p.mentee_id], subject[p.mentor_id], p.status)
                            for p in db.session.scalars(sa.select(Pair))),
            "attendance": sorted((subject[a.person_id], a.outcome, a.occurrence_start.isoformat())
                                 for a in db.session.scalars(sa.select(Attendance))),
            "messages": count(Message), "recaps": count(Recap),
        }


def test_seeding_twice_is_refused(cohort):
    app, _ = cohort
    with app.app_context(), pytest.raises(SeedError, match="runs once"):
        seed_cohort(SMALL)


def test_the_command(app, runner, sandbox):
    args = ["sandbox", "seed", "--learners", "6", "--mentors", "2", "--weeks", "1",
            "--zones", "Europe/Berlin, Asia/Tokyo", "--seed", "3"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "learners     6" in first.output and "Launch as staff" in first.output
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "runs once" in again.output
    wrong = runner.invoke(args=["sandbox", "seed", "--zones", "Mars/Olympus"])
    assert wrong.exit_code == 2 and "Mars/Olympus" in wrong.output


def test_the_command_needs_the_sandbox_set_up(app, runner):
    result = runner.invoke(args=["sandbox", "seed", "--learners", "2", "--mentors", "1"])
    assert result.exit_code == 1 and "sandbox setup" in result.output


@pytest.mark.parametrize("path", ["/matching", "/mentors", "/roster", "/dashboard", "/grades"])
def test_staff_pages_render_the_seeded_program(cohort, path):
    app, result = cohort
    page = StaffClient(app, result).get(path)
    assert page.status_code == 200
    assert "(seeded cohort)" in page.get_data(as_text=True) or path == "/roster"
