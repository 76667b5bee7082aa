"""Gathering facts: meetings held only when both members confirmed, and the optional
sources (workspace, journal, surveys) picked up when installed, "not tracked" when not."""

import sys
import types
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.grades import facts, services
from lti_tool.grades.models import GradeRecord, GradeSync
from lti_tool.meetings.models import Attendance
from lti_tool.pairs.models import Pair
from tests.support.grades import hold_meetings


@pytest.fixture
def without_optional(monkeypatch):
    """An installation with none of the optional modules."""
    monkeypatch.setattr(facts, "optional", lambda module, name: None)


def pairs(small_cohort) -> list[Pair]:
    return [db.session.get(Pair, pair_id) for pair_id in small_cohort.pair_ids]


def test_a_meeting_counts_when_both_members_confirmed_it(small_cohort):
    first, second = pairs(small_cohort)
    hold_meetings(first, 2)
    hold_meetings(second, 1, confirmed_by="mentor")
    [missed] = hold_meetings(second, 1, start=datetime(2030, 3, 4, 9, tzinfo=UTC))
    db.session.execute(sa.update(Attendance).where(Attendance.meeting_id == missed.id,
                                                   Attendance.person_id == second.mentor_id)
                       .values(outcome="missed"))
    held = facts.held_meetings(program_id=small_cohort.program_id)
    assert held[first.id][0] == 2 and first.id in held
    assert second.id not in held  # one said held, the other missed or said nothing
    mentee = db.session.get(Person, first.mentee_id)
    got = facts.facts_for([first], mentee, held=held)
    assert got.meetings_held == 2 and got.last_met == date(2030, 1, 14)


def test_missing_modules_leave_facts_untracked(small_cohort, without_optional):
    first, _ = pairs(small_cohort)
    got = facts.pair_facts(first, db.session.get(Person, first.mentee_id))
    assert (got.agreement_signed, got.goals_set, got.recaps, got.actions_done,
            got.surveys_answered, got.reflection_submitted) == (None,) * 6
    assert set(services.untracked()) == set(services.FACT_LABELS.values()) - {"meetings held"}


def test_installed_modules_are_picked_up_by_name(small_cohort, monkeypatch):
    first, _ = pairs(small_cohort)
    mentee = db.session.get(Person, first.mentee_id)
    fake = types.ModuleType("lti_tool.workspace.services")
    fake.agreement_signed = lambda pair: datetime(2030, 1, 1, tzinfo=UTC)
    fake.goals_of = lambda pair: ["speak up", "apply for the job"]
    fake.reflection_submitted = lambda pair, person: person.id == pair.mentee_id
    journal = types.ModuleType("lti_tool.journal.services")
    journal.recaps_of = lambda pair: [object()] * 3
    journal.actions_of = lambda pair, status=None: [
        types.SimpleNamespace(owner_id=pair.mentee_id),
        types.SimpleNamespace(owner_id=pair.mentor_id)]
    surveys = types.ModuleType("lti_tool.surveys.services")
    surveys.answered_count = lambda pair, person: 4
    for module in (fake, journal, surveys):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    facts.optional.cache_clear()
    try:
        got = facts.pair_facts(first, mentee)
        assert services.untracked() == []
    finally:
        facts.optional.cache_clear()
    assert got.agreement_signed is True and got.goals_set == 2 and got.recaps == 3
    assert got.actions_done == 1 and got.surveys_answered == 4 and got.reflection_submitted


def test_a_broken_module_is_an_error_not_a_missing_one(monkeypatch):
    def broken(name):
        raise ModuleNotFoundError("No module named 'markdown_it'", name="markdown_it")

    monkeypatch.setattr(facts.importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError):
        facts.optional.__wrapped__("lti_tool.workspace.services", "goals_of")
    monkeypatch.setattr(facts.importlib, "import_module", lambda name: (_ for _ in ()).throw(
        ModuleNotFoundError("No module named 'lti_tool.workspace'", name="lti_tool.workspace")))
    assert facts.optional.__wrapped__("lti_tool.workspace.services", "goals_of") is None


def test_queue_recompute_queues_only_what_moved(small_cohort, without_optional):
    program = db.session.get(services.Program, small_cohort.program_id)
    assert services.queue_recompute(program) == 2
    assert services.queue_recompute(program) == 0
    first, second = pairs(small_cohort)
    hold_meetings(first, 1)
    assert services.queue_recompute(first) == 1  # the pair's mentee only
    assert services.queue_recompute(second) == 0
    db.session.commit()
    records = db.session.scalars(sa.select(GradeRecord)).all()
    assert len(records) == 2 and {r.role for r in records} == {"mentee"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GradeSync)) == 3
    policy = services.policy_of(program)
    policy.grade_mentors = True
    assert services.queue_recompute(program) == 1  # the mentor, averaged over two pairs
    mentor = db.session.scalars(sa.select(GradeRecord).filter_by(role="mentor")).one()
    assert mentor.facts["meetings_held"] == 0  # 1 meeting over 2 pairs, rounded down


def test_policy_defaults_follow_the_programs_maximum(small_cohort):
    program = db.session.get(services.Program, small_cohort.program_id)
    program.score_maximum = 60
    db.session.flush()
    policy = services.policy_of(program)
    assert policy.points_per_meeting == 6 and policy.pass_score == 30
    assert policy.rubric().maximum == 60
