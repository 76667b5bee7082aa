"""Compatibility scores: the documented normalisations, weights, the mentor's view of a pair,
every hard constraint with its plain-words blocker, and the vectorised table (both views)
agreeing with the one-pair definition."""

import itertools
import random

import numpy as np
import pytest

from lti_tool.matching.profiles import Constraints, Person, Weights
from lti_tool.matching.scoring import ScoreTable, score_all, score_pair
from tests.support.matching import WINTER, hours, person, random_person

ONLY = {name: Weights(**{n: float(n == name) for n in Weights().as_dict()})
        for name in Weights().as_dict()}


def test_breakdown_sums_to_the_total_and_follows_the_weights():
    mentee = person(1, topics={"a", "b", "c", "d"}, answers={"stage": frozenset({"x"})})
    mentor = person(2, topics={"a", "b", "z"}, modality="phone",
                    slots=hours(1, "18:00", "19:00"), answers={"stage": frozenset({"x", "y"})})
    score = score_pair(mentee, mentor, Weights(), Constraints(), WINTER)
    # Fits: topics 2/4, languages 1, availability 1 h / 4 h, modality 0, questions 1/1.
    weights = {"topics": 3.0, "languages": 1.0, "availability": 2.0, "modality": 0.5,
               "questions": 1.0}
    fits = {"topics": 0.5, "languages": 1.0, "availability": 0.25, "modality": 0.0,
            "questions": 1.0}
    expected = {c: 100 * weights[c] * fits[c] / 7.5 for c in weights}
    assert score.breakdown == pytest.approx(expected)
    assert score.total == pytest.approx(sum(expected.values()))
    assert score.total == pytest.approx(sum(score.breakdown.values()))
    assert score.overlap_hours == 1.0 and score.shared_topics == ("a", "b")


@pytest.mark.parametrize("criterion, fit", [
    ("topics", 0.5), ("languages", 1.0), ("availability", 0.25), ("modality", 0.0),
    ("questions", 1.0)])
def test_a_single_weight_scores_that_criterion_alone(criterion, fit):
    mentee = person(1, topics={"a", "b"}, answers={"q": frozenset({"x"})})
    mentor = person(2, topics={"a"}, modality="chat", slots=hours(1, "18:00", "19:00"),
                    answers={"q": frozenset({"x"})})
    score = score_pair(mentee, mentor, ONLY[criterion], Constraints(), WINTER)
    assert score.total == pytest.approx(100 * fit)
    assert all(points == 0 for c, points in score.breakdown.items() if c != criterion)


FOUR_HOURS = hours(1, "16:00", "20:00")  # full marks for availability


def test_a_zero_weight_removes_a_criterion():
    mentee = person(1, slots=FOUR_HOURS, topics={"a"})
    mentor = person(2, slots=FOUR_HOURS, topics={"b"})
    with_topics = score_pair(mentee, mentor, Weights(), Constraints(), WINTER)
    without = score_pair(mentee, mentor, Weights(topics=0), Constraints(), WINTER)
    assert with_topics.total == pytest.approx(100 * 3.5 / 6.5)  # topics fit 0 of weight 3
    assert without.total == pytest.approx(100.0)  # everything else fits fully
    assert without.breakdown["topics"] == 0


def test_criteria_the_mentee_left_blank_are_not_counted_against_the_pair():
    mentee = person(1, slots=FOUR_HOURS)  # no goals, no answers
    mentor = person(2, slots=FOUR_HOURS, topics={"a"}, answers={"q": frozenset({"x"})})
    blank = score_pair(mentee, mentor, Weights(), Constraints(), WINTER)
    assert blank.total == pytest.approx(100.0)
    assert blank.breakdown["topics"] == blank.breakdown["questions"] == 0
    # Only what the mentee did give is weighed: here languages, availability, modality.
    assert blank.breakdown["availability"] == pytest.approx(100 * 2 / 3.5)
    mismatched = score_pair(person(3, slots=FOUR_HOURS, topics={"z"}), mentor, Weights(),
                            Constraints(), WINTER)
    assert mismatched.total == pytest.approx(100 * 3.5 / 6.5)


def test_the_mentor_view_measures_topics_against_the_mentor_expertise():
    mentor = person(2, slots=FOUR_HOURS, topics={"a", "b", "c", "d"})
    narrow = person(1, slots=FOUR_HOURS, topics={"a"})  # 1 of 1 goal, 1 of 4 expertise
    broad = person(3, slots=FOUR_HOURS, topics=set("abcdefgh"))  # 4 of 8 goals, 4 of 4
    # Weights 3, 1, 2, 0.5 (no questions answered): 6.5 counted; the rest fits fully.
    narrow_pair = score_pair(narrow, mentor, Weights(), Constraints(), WINTER)
    assert narrow_pair.total == pytest.approx(100.0)
    assert narrow_pair.mentor_view == pytest.approx(100 * (3 * 0.25 + 3.5) / 6.5)
    broad_pair = score_pair(broad, mentor, Weights(), Constraints(), WINTER)
    assert broad_pair.total == pytest.approx(100 * (3 * 0.5 + 3.5) / 6.5)
    assert broad_pair.mentor_view == pytest.approx(100.0)
    # The breakdown is the mentee's side: it sums to the total, not to the mentor view.
    assert sum(broad_pair.breakdown.values()) == pytest.approx(broad_pair.total)
    table = score_all([narrow, broad], [mentor], Weights(), Constraints(), WINTER)
    assert table.total[:, 0] == pytest.approx([narrow_pair.total, broad_pair.total])
    assert [table.mentor_view(i)[0] for i in (0, 1)] == pytest.approx(
        [narrow_pair.mentor_view, broad_pair.mentor_view])


def test_the_mentor_view_leaves_out_what_the_mentee_left_blank():
    # No goals: topics is out of both views, which then agree.
    mentor = person(2, slots=FOUR_HOURS, topics={"a", "b"})
    blank = score_pair(person(1, slots=FOUR_HOURS, modality="chat"), mentor, Weights(),
                       Constraints(), WINTER)
    assert blank.mentor_view == blank.total == pytest.approx(100 * 3 / 3.5)
    # A mentor without expertise serves none of the mentee's goals from either side.
    mentee = person(3, slots=FOUR_HOURS, topics={"a"})
    none = score_pair(mentee, person(4, slots=FOUR_HOURS), Weights(), Constraints(), WINTER)
    assert none.mentor_view == none.total == pytest.approx(100 * 3.5 / 6.5)
    # Same number of goals as expertise: the two views agree exactly.
    table = score_all([person(5, topics={"a", "z"})], [mentor], Weights(), Constraints(),
                      WINTER)
    assert table.mentor_view(0)[0] == table.total[0, 0]
    assert score_pair(person(5, topics={"a", "z"}), mentor, Weights(), Constraints(),
                      WINTER).mentor_view == pytest.approx(float(table.total[0, 0]))


def test_a_table_of_bare_arrays_has_mentors_see_the_total():
    table = ScoreTable([Person(1, "UTC", frozenset())],
                       [Person(2, "UTC", frozenset()), Person(3, "UTC", frozenset())],
                       total=np.array([[40, 70]], dtype=np.float32),
                       feasible=np.array([[True, False]]))
    assert table.mentor_view(0).tolist() == [40, 70]
    assert table.mentor_view(0, np.array([1])).tolist() == [70]


def test_all_weights_zero_scores_zero():
    zero = Weights(0, 0, 0, 0, 0)
    assert score_pair(person(1), person(2), zero, Constraints(), WINTER).total == 0
    assert score_pair(person(1), person(2), zero, Constraints(), WINTER).mentor_view == 0
    assert score_all([person(1)], [person(2)], zero, Constraints(), WINTER).total[0, 0] == 0


@pytest.mark.parametrize("mentee, mentor, constraints, blocker", [
    (person(1, languages={"es"}), person(2), Constraints(), "no shared language"),
    (person(1), person(2, slots=hours(1, "19:30", "21:00")), Constraints(),
     "only 0.5 h weekly overlap (needs 1)"),
    (person(1), person(2), Constraints(min_overlap_hours=2.5),
     "only 2 h weekly overlap (needs 2.5)"),
    (person(1), person(1), Constraints(), "same person"),
    (person(1), person(2), Constraints(avoid=frozenset({(1, 2)})), "asked not to be paired"),
    (person(1, groups={"A"}), person(2, groups={"B"}), Constraints(group_rule="same"),
     "not in the same group"),
    (person(1, groups={"A"}), person(2, groups={"A", "B"}),
     Constraints(group_rule="different"), "in the same group"),
])
def test_each_hard_constraint_blocks_with_its_reason(mentee, mentor, constraints, blocker):
    score = score_pair(mentee, mentor, Weights(), constraints, WINTER)
    assert not score.feasible and score.blockers == (blocker,)
    table = score_all([mentee], [mentor], Weights(), constraints, WINTER)
    assert not table.feasible[0, 0]


def test_the_same_pairs_are_allowed_when_the_rules_allow_them():
    lenient = Constraints(require_shared_language=False, min_overlap_hours=0)
    strangers = score_pair(person(1, languages={"es"}, slots=set()), person(2), Weights(),
                           lenient, WINTER)
    assert strangers.feasible and strangers.blockers == ()
    grouped = Constraints(group_rule="same")
    assert score_pair(person(1, groups={"A"}), person(2, groups={"A", "B"}), Weights(),
                      grouped, WINTER).feasible
    assert score_pair(person(1, groups={"A"}), person(2), Weights(),
                      Constraints(group_rule="different"), WINTER).feasible
    # The avoid list is (mentee, mentor): the other direction is still allowed.
    assert score_pair(person(2), person(1), Weights(),
                      Constraints(avoid=frozenset({(1, 2)})), WINTER).feasible


def test_several_blockers_are_all_reported():
    score = score_pair(person(1, languages={"es"}, slots=set()), person(1), Weights(),
                       Constraints(), WINTER)
    assert score.blockers == ("same person", "no shared language",
                              "only 0 h weekly overlap (needs 1)")


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="weight"):
        Weights(topics=-1)
    with pytest.raises(ValueError, match="group_rule"):
        Constraints(group_rule="sometimes")
    with pytest.raises(ValueError, match="min_overlap_hours"):
        Constraints(min_overlap_hours=float("nan"))
    with pytest.raises(ValueError, match="only once"):
        score_all([person(1), person(1)], [person(2)], Weights(), Constraints(), WINTER)


@pytest.mark.parametrize("seed", range(12))
def test_score_all_agrees_with_score_pair(seed):
    rng = random.Random(seed)
    mentees = [random_person(rng, pid) for pid in range(1, 9)]
    mentors = [random_person(rng, pid, 2) for pid in range(6, 12)]  # 6-8 are both
    weights = Weights(*(rng.choice([0, 0.5, 1, 3]) for _ in range(5)))
    constraints = Constraints(
        require_shared_language=rng.random() < 0.5, min_overlap_hours=rng.choice([0, 0.5, 2]),
        avoid=frozenset({(1, 6), (2, 7)}), group_rule=rng.choice(["any", "same", "different"]))
    table = score_all(mentees, mentors, weights, constraints, WINTER)
    assert table.total.dtype == np.float32 and table.feasible.dtype == bool
    views = np.array([table.mentor_view(i) for i in range(len(mentees))])
    assert views.dtype == np.float32
    for i, j in itertools.product(range(len(mentees)), range(len(mentors))):
        single = score_pair(mentees[i], mentors[j], weights, constraints, WINTER)
        assert table.total[i, j] == pytest.approx(single.total, abs=1e-3)
        assert views[i, j] == pytest.approx(single.mentor_view, abs=1e-3)
        assert table.feasible[i, j] == single.feasible, single.blockers
        assert table.pair(i, j) == single
    for i in range(len(mentees)):
        kinds = {}
        for j in range(len(mentors)):
            for blocker in table.pair(i, j).blockers:
                kind = "too little weekly overlap" if blocker.startswith("only") else blocker
                kinds[kind] = kinds.get(kind, 0) + 1
        assert table.blocker_counts(i) == kinds


@pytest.mark.parametrize("seed", range(40))
def test_the_vectorised_mentor_view_agrees_with_score_pair(seed):
    """On random people and weights (topics always weighed), for any columns in any order."""
    rng = random.Random(500 + seed)
    mentees = [random_person(rng, pid) for pid in range(1, rng.randint(2, 10))]
    mentors = [random_person(rng, pid, 2) for pid in range(5, rng.randint(6, 14))]
    weights = Weights(rng.choice([0.5, 1, 3]), *(rng.choice([0, 0.5, 1, 3]) for _ in range(4)))
    table = score_all(mentees, mentors, weights, Constraints(), WINTER)
    for i in range(len(mentees)):
        columns = np.array(rng.sample(range(len(mentors)), rng.randint(0, len(mentors))),
                           dtype=np.int64)
        views = table.mentor_view(i, columns)
        assert views.shape == columns.shape
        assert ((views >= 0) & (views <= 100)).all()
        for view, j in zip(views, columns, strict=True):
            single = score_pair(mentees[i], mentors[j], weights, Constraints(), WINTER)
            assert view == pytest.approx(single.mentor_view, abs=1e-3)
            assert table.total[i, j] == pytest.approx(single.total, abs=1e-3)


def test_empty_sides_give_empty_tables():
    table = score_all([], [person(1)], Weights(), Constraints(), WINTER)
    assert table.total.shape == (0, 1)
    table = score_all([person(1)], [], Weights(), Constraints(), WINTER)
    assert table.total.shape == (1, 0) and table.feasible.shape == (1, 0)


def test_a_table_refuses_scores_outside_0_to_100():
    people = [Person(1, "UTC", frozenset())], [Person(2, "UTC", frozenset())]
    for bad in (101.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="0 to 100"):
            ScoreTable(*people, total=np.array([[bad]]), feasible=np.array([[True]]))
