"""The rubric as a pure function: points up to caps and the maximum, completion criteria,
the grade-to-pass rule that makes the LMS's completion follow Pairwise's, untracked facts,
activity progress and the one-line comment."""

from datetime import date

import pytest

from lti_tool.grades.facts import combine
from lti_tool.grades.rubric import BELOW_PASS, ParticipationFacts, Rubric, assess

TRACKED = {"recaps": 0, "agreement_signed": False, "goals_set": 0, "actions_done": 0,
           "surveys_answered": 0, "reflection_submitted": False}


def facts(**values) -> ParticipationFacts:
    return ParticipationFacts(**{**TRACKED, **values})


def test_points_per_kind_up_to_caps():
    result = assess(Rubric(gate_pass=False), facts(
        meetings_held=9, recaps=2, agreement_signed=True, goals_set=5, actions_done=1))
    by_label = {line.label: line for line in result.lines}
    assert by_label["Meetings held"].points == 60  # 6 count, 10 each
    assert by_label["Meetings held"].detail == "9 confirmed by both (6 count)"
    assert by_label["Recaps written"].points == 4
    assert by_label["Agreement"].points == 10 and by_label["Agreement"].detail == "signed"
    assert by_label["Goals set"].points == 6  # 3 count
    assert by_label["Action items done"].points == 1
    assert "Check-in surveys" not in by_label  # 0 points in the default rubric: not shown
    assert result.points == result.score == 81


def test_the_total_is_capped_at_the_maximum():
    rubric = Rubric(maximum=60, gate_pass=False)
    result = assess(rubric, facts(meetings_held=6, recaps=5, agreement_signed=True,
                                  goals_set=3, actions_done=4, reflection_submitted=True))
    assert result.points == 100 and result.score == 60


@pytest.mark.parametrize(("held", "signed", "completed"), [
    (2, True, False), (3, False, False), (3, True, True), (5, True, True)])
def test_completion_criteria(held, signed, completed):
    result = assess(Rubric(), facts(meetings_held=held, agreement_signed=signed))
    assert result.completed is completed
    assert (result.activity_progress == "Completed") is completed


def test_the_score_stays_below_the_grade_to_pass_until_completed_then_reaches_it():
    rubric = Rubric(pass_score=50, min_meetings=3, require_agreement=True)
    busy = facts(meetings_held=6, recaps=5, goals_set=3, actions_done=4)  # 80 points
    not_yet = assess(rubric, busy)
    assert not not_yet.completed and not_yet.score == 50 - BELOW_PASS
    assert not_yet.missing == ("the agreement signed",)
    assert assess(rubric, facts(meetings_held=1)).missing == ("2 more meetings held",
                                                              "the agreement signed")
    done = assess(rubric, facts(meetings_held=3, agreement_signed=True))  # 40 points
    assert done.completed and done.score == 50  # lifted to the grade to pass
    more = assess(rubric, facts(meetings_held=6, agreement_signed=True, recaps=5))
    assert more.score == 80


def test_without_the_rule_the_score_is_the_rubrics():
    rubric = Rubric(pass_score=50, gate_pass=False)
    assert assess(rubric, facts(meetings_held=6, recaps=5, goals_set=3)).score == 76
    assert assess(rubric, facts(meetings_held=3, agreement_signed=True)).score == 40


def test_untracked_facts_earn_nothing_and_their_criteria_are_left_out():
    rubric = Rubric(require_agreement=True, require_reflection=True, min_meetings=2)
    result = assess(rubric, ParticipationFacts(meetings_held=2))
    assert result.completed  # no agreement or reflection module: their criteria are left out
    agreement = next(line for line in result.lines if line.label == "Agreement")
    assert agreement.points == 0 and not agreement.tracked
    assert agreement.detail == "not tracked yet"
    assert "agreement" not in result.comment


@pytest.mark.parametrize(("values", "progress"), [
    ({}, "Initialized"), ({"recaps": 1}, "Started"), ({"agreement_signed": True}, "Started"),
    ({"meetings_held": 1}, "InProgress"),
])
def test_activity_progress(values, progress):
    assert assess(Rubric(), facts(**values)).activity_progress == progress


def test_the_comment_is_one_line_for_the_gradebook():
    result = assess(Rubric(), facts(meetings_held=3, last_met=date(2031, 3, 12),
                                    agreement_signed=True, goals_set=2))
    assert result.comment == ("3 meetings held of 3 needed to complete (up to 6 count for points), "
                              "last met 12 Mar, agreement signed, "
                              "2 goals set, completed")
    assert assess(Rubric(), facts()).comment == (
        "0 meetings held of 3 needed to complete (up to 6 count for points), "
        "agreement not signed, not complete yet")
    one_each = assess(Rubric(), facts(goals_set=1, recaps=1, actions_done=1,
                                      surveys_answered=1))
    assert one_each.comment == ("0 meetings held of 3 needed to complete "
                                "(up to 6 count for points), "
                                "agreement not signed, 1 goal set, "
                                "1 recap, 1 action item done, 1 survey answered, "
                                "not complete yet")
    assert {line.label: line.detail for line in one_each.lines}["Recaps written"] == "1 recap"


def test_facts_round_trip_through_json():
    original = facts(meetings_held=2, last_met=date(2031, 1, 5), agreement_signed=True)
    assert ParticipationFacts.from_dict(original.as_dict()) == original


def test_a_mentee_adds_up_pairs_and_a_mentor_averages_them():
    first = facts(meetings_held=2, last_met=date(2031, 1, 1), agreement_signed=True, recaps=1)
    second = facts(meetings_held=3, last_met=date(2031, 2, 1), agreement_signed=False,
                   recaps=2)
    mentee = combine([first, second])
    assert mentee.meetings_held == 5 and mentee.recaps == 3 and mentee.agreement_signed
    assert mentee.last_met == date(2031, 2, 1)
    mentor = combine([first, second], mentor=True)
    assert mentor.meetings_held == 2 and mentor.recaps == 1 and not mentor.agreement_signed
