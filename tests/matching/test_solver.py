"""The exact solver on its own terms: with few candidate pairs it must add pairs until the
duality certificate holds, and still reach the optimum SciPy's dense Hungarian solver finds on
the capacity-expanded matrix (an independent formulation), block boundaries included."""

import random

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from bench.matching import WEEK, synthetic_person
from lti_tool.matching import assignment, scoring, solver
from lti_tool.matching.profiles import Constraints, Weights
from lti_tool.matching.scoring import ScoreTable, score_all
from tests.support.matching import random_table


def dense_optimum(table: ScoreTable) -> tuple[int, float]:
    """(matched, total) of the lexicographic optimum from a dense assignment."""
    places = np.repeat(np.arange(len(table.mentors)), [m.capacity for m in table.mentors])
    scores = table.total[:, places].astype(np.float64)
    feasible = table.feasible[:, places]
    big = 100.0 * len(table.mentees) + 1
    rows, cols = linear_sum_assignment(np.where(feasible, -(scores + big), 0.0))
    made = feasible[rows, cols]
    return int(made.sum()), float(scores[rows[made], cols[made]].sum())


@pytest.fixture
def few_candidates(monkeypatch):
    """One candidate per mentee and mentor, one pair added per round, no near pairs; count
    the sparse solves."""
    for name, value in (("CANDIDATES", 1), ("SUITORS", 1), ("ADDED", 1), ("NEAR", 0.0)):
        monkeypatch.setattr(solver, name, value)
    solves = []
    original = solver._solve_arcs
    monkeypatch.setattr(solver, "_solve_arcs", lambda problem: solves.append(1) or original(
        problem))
    return solves


@pytest.mark.parametrize("seed", range(40))
def test_column_generation_reaches_the_dense_optimum(few_candidates, seed):
    rng = random.Random(seed)
    table = random_table(rng, rng.randint(20, 40), rng.randint(4, 12), ties=seed % 2 == 0,
                         feasible_share=rng.uniform(0.2, 0.9), max_capacity=4)
    result = assignment.optimal(table)
    matched, total = dense_optimum(table)
    assert len(result.pairs) == matched
    assert result.total == pytest.approx(total, abs=1e-6)


def test_column_generation_really_adds_pairs(few_candidates):
    table = random_table(random.Random(1), 40, 10, ties=False, max_capacity=3)
    assignment.optimal(table)
    assert len(few_candidates) >= 2


def test_scores_off_the_grid_are_still_exact(few_candidates):
    rng = random.Random(5)
    table = random_table(rng, 30, 8, ties=False, max_capacity=3)
    table.total = (table.total.astype(np.float64)
                   + np.array([[rng.choice([0, 1e-9, 3e-10]) for _ in range(8)]
                               for _ in range(30)]))
    result = assignment.optimal(table)
    matched, total = dense_optimum(table)
    assert len(result.pairs) == matched
    assert result.total == pytest.approx(total, abs=1e-6)


def test_blocks_of_a_few_rows_give_the_same_results(monkeypatch):
    rng = random.Random(11)
    mentees = [synthetic_person(rng, n, False, 1) for n in range(60)]
    mentors = [synthetic_person(rng, 100 + n, True, 2) for n in range(20)]
    whole = score_all(mentees, mentors, Weights(), Constraints(), WEEK)
    expected = [policy(whole) for policy in (assignment.optimal, assignment.greedy)]
    monkeypatch.setattr(scoring, "BLOCK_CELLS", 50)
    monkeypatch.setattr(solver, "BLOCK_CELLS", 50)
    blocked = score_all(mentees, mentors, Weights(), Constraints(), WEEK)
    assert np.array_equal(blocked.total, whole.total)
    assert np.array_equal(blocked.feasible, whole.feasible)
    assert [policy(blocked) for policy in (assignment.optimal, assignment.greedy)] == expected


@pytest.mark.parametrize("seed", range(3))
def test_a_realistic_cohort_reaches_the_dense_optimum(seed):
    rng = random.Random(seed)
    mentees = [synthetic_person(rng, n, False, 1) for n in range(600)]
    mentors = [synthetic_person(rng, 1000 + n, True, 4) for n in range(150)]
    table = score_all(mentees, mentors, Weights(), Constraints(min_overlap_hours=0.5), WEEK)
    result = assignment.optimal(table)
    matched, total = dense_optimum(table)
    assert len(result.pairs) == matched
    assert result.total == pytest.approx(total, abs=1e-4)
    baseline = assignment.greedy(table)
    assert (len(result.pairs), result.total) >= (len(baseline.pairs), baseline.total)
