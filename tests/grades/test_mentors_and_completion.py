"""What the LMS is told follows staff: an override that reaches the grade to pass completes
the activity and the comment says so (and the reverse); programs grade mentors on their own
rubric, or not (the default). The outbox still queues a row only when the payload moved."""

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.grades import rubric, services
from lti_tool.grades.models import MENTOR, GradeRecord, GradeSync
from lti_tool.grades.rubric import COMPLETED, IN_PROGRESS, ParticipationFacts, Rubric
from lti_tool.pairs.models import Pair
from tests.support.grades import hold_meetings, relaxed

NOT_COMPLETE = "not complete yet"


def program_of(small_cohort):
    return db.session.get(services.Program, small_cohort.program_id)


def pairs(small_cohort) -> list[Pair]:
    return [db.session.get(Pair, pair_id) for pair_id in small_cohort.pair_ids]


def record_of(pair: Pair, mentor: bool = False) -> GradeRecord:
    person_id = pair.mentor_id if mentor else pair.mentee_id
    return db.session.scalars(sa.select(GradeRecord).filter_by(person_id=person_id)).one()


def rows(record: GradeRecord) -> list[GradeSync]:
    return list(db.session.scalars(sa.select(GradeSync).filter_by(record_id=record.id)
                                   .order_by(GradeSync.id)))


def staff_of(record):
    return record.person  # any person: the audit log only names them


# --- Overrides and completion ---------------------------------------------------------------

def test_an_override_that_reaches_the_grade_to_pass_completes_the_comment(small_cohort):
    program = program_of(small_cohort)
    relaxed(program)
    first = pairs(small_cohort)[0]
    hold_meetings(first, 1)
    services.recompute(program)
    record = record_of(first)
    assert not record.completed and rows(record)[-1].comment.endswith(NOT_COMPLETE)

    row = services.override(record, staff_of(record), 75, "Met outside the tool")
    assert row.score_given == 75 and row.activity_progress == COMPLETED
    assert NOT_COMPLETE not in row.comment
    assert row.comment.startswith("1 meeting held of 3 needed to complete "
                                  "(up to 6 count for points), last met ")
    assert row.comment.endswith(", completed; score set by staff")
    assert not record.completed  # the rubric's own view is kept for the staff page

    cleared = services.clear_override(record, staff_of(record), "Entered by mistake")
    assert cleared.comment.endswith(NOT_COMPLETE) and cleared.activity_progress == IN_PROGRESS


def test_an_override_below_the_grade_to_pass_is_not_complete(small_cohort):
    program = program_of(small_cohort)
    relaxed(program, min_meetings=1)
    first = pairs(small_cohort)[0]
    hold_meetings(first, 1)
    services.recompute(program)
    record = record_of(first)
    assert record.completed and rows(record)[-1].activity_progress == COMPLETED
    row = services.override(record, staff_of(record), 20, "Did not take part really")
    assert row.comment.endswith(f"{NOT_COMPLETE}; score set by staff")
    assert row.activity_progress == IN_PROGRESS


def test_without_the_grade_to_pass_rule_an_override_leaves_completion_to_the_rubric(small_cohort):
    program = program_of(small_cohort)
    relaxed(program, gate_pass=False)
    first = pairs(small_cohort)[0]
    services.recompute(program)
    record = record_of(first)
    row = services.override(record, staff_of(record), 90, "Extra work")
    assert row.comment.endswith(f"{NOT_COMPLETE}; score set by staff")
    assert row.activity_progress != COMPLETED


def test_the_outbox_queues_once_per_change_with_an_override(small_cohort):
    program = program_of(small_cohort)
    relaxed(program)
    first = pairs(small_cohort)[0]
    assert services.recompute(program) == 2
    record = record_of(first)
    assert services.override(record, staff_of(record), 75, "Met outside") is not None
    assert services.recompute(program) == 0  # nothing moved: nothing queued
    hold_meetings(first, 1)
    assert services.recompute(program) == 1  # the comment moved (a meeting held)
    assert services.recompute(program) == 0
    assert [r.score_given for r in rows(record)] == [0, 75, 75]
    assert services.resend(record, None).comment == rows(record)[-2].comment


# --- Grading mentors ------------------------------------------------------------------------

def test_mentors_are_not_graded_by_default(small_cohort):
    program = program_of(small_cohort)
    hold_meetings(pairs(small_cohort)[0], 2)
    services.recompute(program)
    roles = {r.person_id: r.role for r in db.session.scalars(sa.select(GradeRecord))}
    assert pairs(small_cohort)[0].mentor_id not in roles
    assert sorted(roles.values()) == ["mentee", "mentee"]


def test_graded_mentors_get_their_own_rubric(small_cohort):
    program = program_of(small_cohort)
    relaxed(program)
    policy = services.policy_of(program)
    policy.grade_mentors = True
    policy.mentor_rubric = {**policy.mentor_rubric, "min_meetings": 4, "points_per_meeting": 8}
    first, second = pairs(small_cohort)
    hold_meetings(first, 4)
    hold_meetings(second, 2)
    services.recompute(program)
    mentor = record_of(first, mentor=True)
    assert mentor.role == MENTOR
    assert mentor.facts["meetings_held"] == 3  # with each mentee, on average
    labels = [line["label"] for line in mentor.breakdown]
    assert "Agreement" not in labels and "Goals set" not in labels
    assert labels[0] == "Meetings held" and mentor.breakdown[0]["points"] == 24
    assert not mentor.completed and mentor.missing == ["1 more meeting held"]
    assert rows(mentor)[-1].score_given == mentor.score <= 24 + 20 + 20
    # The mentees keep theirs: 4 meetings complete them under the mentees' rubric.
    assert record_of(first).completed and record_of(first).breakdown[0]["points"] == 40

    policy.grade_mentors = False
    hold_meetings(first, 2, start=None)
    assert services.recompute(program) == 1  # the mentee only; the mentor is left alone
    assert len(rows(mentor)) == 1


def test_the_rubric_form_saves_the_mentors_rubric(app, small_cohort):
    program = program_of(small_cohort)
    values = {name: getattr(services.policy_of(program), name)
              for name in services.GradingPolicy.RUBRIC_FIELDS}
    services.update_policy(program, None, {**values, "grade_mentors": True,
                                           "mentor_rubric": {"points_per_meeting": 12}})
    mentors = services.policy_of(program).rubric(MENTOR)
    assert mentors.points_per_meeting == 12 and mentors.meeting_cap == 6  # others kept
    assert services.mentor_form_data(services.policy_of(program))[
        "mentor_points_per_meeting"] == 12


# --- The pure rubric -----------------------------------------------------------------------

def test_the_mentors_rubric_shares_the_maximum_and_grade_to_pass():
    mentees = Rubric(maximum=40, pass_score=20)
    mentors = rubric.for_mentors(mentees)
    assert (mentors.maximum, mentors.pass_score, mentors.gate_pass) == (40, 20, True)
    assert mentors.points_per_meeting == 4 and mentors.possible == 40
    assert not mentors.require_agreement and mentors.agreement_points == 0
    done = rubric.assess(mentors, ParticipationFacts(meetings_held=3, agreement_signed=False,
                                                      recaps=0, surveys_answered=0))
    assert done.completed and done.score == 20


@pytest.mark.parametrize(("gate", "score", "expected"),
                         [(True, 50, True), (True, 49.99, False), (False, 90, None)])
def test_passes_follows_the_grade_to_pass_rule(gate, score, expected):
    assert rubric.passes(Rubric(pass_score=50, gate_pass=gate), score) is expected
