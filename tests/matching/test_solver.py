"""The exact solver on its own terms: with few candidate pairs it must add pairs until the
duality certificate holds, and still reach the optimum SciPy's dense Hungarian solver finds on
the capacity-expanded matrix (an independent formulation), block boundaries included."""

import itertools
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


def ortools_optimum(table: ScoreTable, capacities: dict[int, int],
                    unit: float) -> tuple[int, int]:
    """(matched, total in units) from OR-Tools' min-cost flow over every feasible pair, the
    reference of issue 17: the most flow, then the least cost."""
    from ortools.graph.python import min_cost_flow

    n_rows, n_cols = table.total.shape
    sink = n_rows + n_cols + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    for i in range(n_rows):
        flow.add_arc_with_capacity_and_unit_cost(0, 1 + i, 1, 0)
        for j in np.flatnonzero(table.feasible[i]):
            flow.add_arc_with_capacity_and_unit_cost(
                1 + i, 1 + n_rows + int(j), 1, -round(float(table.total[i, j]) / unit))
    for j, mentor in enumerate(table.mentors):
        flow.add_arc_with_capacity_and_unit_cost(1 + n_rows + j, sink, capacities[mentor.id], 0)
    flow.set_node_supply(0, n_rows)
    flow.set_node_supply(sink, -n_rows)
    assert flow.solve_max_flow_with_min_cost() == flow.OPTIMAL
    return flow.maximum_flow(), -flow.optimal_cost()


def on_grid(table: ScoreTable, unit: float) -> ScoreTable:
    table.total = (np.round(table.total / unit) * unit).astype(np.float32)
    return table


@pytest.mark.parametrize("seed", range(60))
def test_agrees_with_ortools_over_every_pair(seed):
    """Ties (scores on a quarter-point grid, or a few values), every capacity from 1 to 4,
    more mentees than places and more places than mentees: the same objective, exactly."""
    rng = random.Random(seed)
    mentees, mentors = rng.choice([(3, 20), (40, 5), (25, 25), (60, 8), (8, 30)])
    table = on_grid(random_table(rng, mentees, mentors, ties=seed % 3 == 0,
                                 feasible_share=rng.uniform(0.1, 0.9)), 0.25)
    capacities = {mentor.id: seed % 4 + 1 if seed % 2 else rng.randint(1, 4)
                  for mentor in table.mentors}
    result = assignment.optimal(table, capacities)
    made = [(table.row_of[e], table.column_of[m]) for e, m in result.pairs]
    total = sum(round(float(table.total[i, j]) / 0.25) for i, j in made)
    assert (len(made), total) == ortools_optimum(table, capacities, 0.25)


def exhaustive_optimum(table: ScoreTable) -> tuple[int, float]:
    """(matched, total) of the best of every assignment: each mentee to a feasible mentor or
    to none, within capacities."""
    options = [[None, *np.flatnonzero(row)] for row in table.feasible]
    best = (0, 0.0)
    for choice in itertools.product(*options):
        cols = [c for c in choice if c is not None]
        if any(cols.count(c) > table.mentors[c].capacity for c in set(cols)):
            continue
        total = sum(float(table.total[i, c]) for i, c in enumerate(choice) if c is not None)
        best = max(best, (len(cols), total))
    return best


@pytest.mark.parametrize("seed", range(30))
def test_agrees_with_exhaustive_search_on_tiny_tables(few_candidates, seed):
    rng = random.Random(seed)
    table = random_table(rng, rng.randint(1, 6), rng.randint(1, 3), ties=seed % 2 == 0,
                         feasible_share=rng.uniform(0.3, 1.0), max_capacity=4)
    result = assignment.optimal(table)
    matched, total = exhaustive_optimum(table)
    assert len(result.pairs) == matched
    assert result.total == pytest.approx(total, abs=1e-9)


@pytest.mark.parametrize(("rows", "cols"), [(1, 1), (1, 100_000), (10_000, 2_500),
                                            (1_000_000, 10)])
def test_the_grid_keeps_sums_exact_and_flow_costs_within_int64(rows, cols):
    grid = solver._grid(rows, cols)
    big = 100 * rows + 1
    assert (big + 101) / grid < 2**50  # float64 sums of weights stay exact
    assert 100 / grid * (rows + cols + 3) < 2**62  # OR-Tools scales costs by its nodes


def test_one_mentee_and_very_many_mentors():
    rng = np.random.default_rng(3)
    total = rng.uniform(0, 100, (1, 20_000)).astype(np.float32)
    feasible = rng.random((1, 20_000)) < 0.5
    columns = solver.solve(1, np.ones(20_000, dtype=np.int64),
                           lambda lo, hi: (total[lo:hi], feasible[lo:hi]))
    assert columns[0] == np.flatnonzero(feasible[0])[np.argmax(total[0, feasible[0]])]


@pytest.mark.parametrize("seed", range(8))
def test_the_float32_screen_finds_every_pair_the_exact_gains_do(seed):
    """Prices and row values as large as BIG (free places, unmatched mentees) beside small
    ones: the screen lets through every pair within NEAR points, so the pairs added (at most
    ADDED per mentee, largest gain first) are those the float64 gains give."""
    rng = np.random.default_rng(seed)
    n_rows, n_cols = 3_000, 40
    total = on_grid(random_table(random.Random(seed), n_rows, n_cols, ties=False), 2.0**-20)
    feasible = total.feasible
    problem = solver._Sparse(n_rows, np.full(n_cols, 2), lambda lo, hi: (
        total.total[lo:hi], feasible[lo:hi]))
    prices = np.where(rng.random(n_cols) < 0.3, 0.0,
                      problem.big + np.round(rng.uniform(-60, 60, n_cols)))
    values = np.where(rng.random(n_rows) < 0.2, problem.big + rng.integers(0, 100, n_rows),
                      np.round(rng.uniform(0, 60, n_rows), 2))
    gain = total.total.astype(np.float64) - prices[None, :] + (problem.big - values)[:, None]
    near = feasible & (gain > -solver.NEAR)
    near[problem.arcs.rows, problem.arcs.cols] = False
    expected = set()
    for i in np.flatnonzero(near.any(axis=1)):
        cols = np.flatnonzero(near[i])
        cols = cols[np.argsort(-gain[i, cols], kind="stable")][:solver.ADDED]
        expected |= {(int(i), int(j)) for j in cols}
    missing = problem.beating(prices, values)
    assert bool((feasible & (gain > 0)).any())
    assert set(zip(missing.rows.tolist(), missing.cols.tolist(), strict=True)) == expected
