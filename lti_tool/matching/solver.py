"""The exact solver behind `assignment.optimal`: a capacitated assignment (each mentee at most
one mentor, each mentor at most `capacity` mentees) that matches as many mentees as possible
and, among those matchings, has the largest total score.

The lexicographic objective as one weight: a pair weighs `score + BIG` with BIG = 100 x rows
+ 1, more than any total of scores (each is at most 100), so one more matched mentee always
outweighs any gain in total.

Exact at scale, within memory. The dense problem for 10,000 mentees x 2,500 mentors with four
places each is a 10,000 x 10,000 matrix (800 MB in float64), so instead:
1. Candidate pairs: each mentee's best CANDIDATES mentors and each mentor's best SUITORS
   mentees (so unpopular mentors have candidates too).
2. SciPy's sparse assignment solver (`min_weight_full_bipartite_matching`, LAPJVsp) solves
   the candidate pairs exactly, each mentor's column repeated once per place, plus one
   "unmatched" column per mentee so that a full matching always exists.
3. The result is *proved* optimal over all pairs, not just the candidates: LP duals are built
   from it (mentor prices, see `_duals`), and the whole table is scanned block by block for
   a pair whose weight beats its mentor's price plus its mentee's value. None: the duals are
   feasible for the whole problem and their objective equals the assignment's weight, so by
   LP duality (the assignment polytope is integral) no matching is better. Some: they (and
   pairs within NEAR points of beating the prices) join the candidates, the prices are
   updated, and step 2 runs again if the prices cannot absorb them.
Scores are rounded to a binary grid, 2^-G with G = 50 - bits(BIG + 101) (G = 30 for 10,000
mentees: float32 scores from 0.008 up are already on it), so that every sum and difference
the solver and the certificate compute is exact in float64: no tolerance decides optimality.
Memory: beyond the score table itself (5 bytes a pair: 125 MB for 10,000 x 2,500), the
candidate pairs (a few dozen per mentee) and one block of the table at a time.
"""

from collections.abc import Callable, Iterator

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

CANDIDATES = 8  # each mentee's best mentors among the first candidate pairs
SUITORS = 8  # each mentor's best mentees among them
ADDED = 16  # most pairs added per mentee and round
NEAR = 10.0  # score points: pairs this close to beating the prices are added with those that do
REPRICE_PASSES = 200  # relaxation passes tried on new pairs before solving again
BLOCK_CELLS = 4_000_000  # table cells per block: float64 temporaries of ~32 MB
MAX_SCORE = 100.0

Block = Callable[[int, int], tuple[np.ndarray, np.ndarray]]  # rows lo:hi -> scores, feasible
Duals = tuple[np.ndarray, np.ndarray]  # column prices, row values


def solve(n_rows: int, capacity: np.ndarray, block: Block) -> np.ndarray:
    """The column each row is matched to (-1: unmatched), optimal as described above."""
    if n_rows == 0 or len(capacity) == 0:
        return np.full(n_rows, -1, dtype=np.int64)
    problem = _Sparse(n_rows, np.asarray(capacity, dtype=np.int64), block)
    while True:
        assignment = _solve_arcs(problem)
        duals = _duals(problem, assignment, limit=len(capacity) + 2)
        if duals is None:
            raise RuntimeError("The sparse solver's assignment is not optimal over its arcs.")
        while duals is not None:
            missing = problem.beating(*duals)
            if not len(missing.rows):
                return assignment
            problem.arcs.add(missing.rows, missing.cols, missing.scores)
            # Often the assignment is already optimal and only the prices lacked the new
            # pairs' constraints: try a few cheap passes before solving again.
            duals = _duals(problem, assignment, limit=REPRICE_PASSES)


class _Arcs:
    """Candidate pairs: row, column and (grid-rounded) score of each."""

    def __init__(self) -> None:
        self.rows = np.empty(0, dtype=np.int64)
        self.cols = np.empty(0, dtype=np.int64)
        self.scores = np.empty(0, dtype=np.float64)

    def add(self, rows: np.ndarray, cols: np.ndarray, scores: np.ndarray) -> None:
        self.rows = np.concatenate([self.rows, rows])
        self.cols = np.concatenate([self.cols, cols])
        self.scores = np.concatenate([self.scores, np.asarray(scores, dtype=np.float64)])

    def deduplicate(self, n_cols: int) -> None:
        _, first = np.unique(self.rows * n_cols + self.cols, return_index=True)
        self.rows, self.cols, self.scores = self.rows[first], self.cols[first], self.scores[first]


class _Sparse:
    """The candidate pairs, and the whole table seen block by block."""

    def __init__(self, n_rows: int, capacity: np.ndarray, block: Block):
        self.n_rows, self.capacity, self.block = n_rows, capacity, block
        self.big = MAX_SCORE * n_rows + 1
        self.grid = 2.0 ** -(50 - int(self.big + MAX_SCORE + 1).bit_length())
        self.step = max(1, BLOCK_CELLS // len(capacity))
        self.arcs, suitors, self.on_grid = _Arcs(), _Arcs(), True
        for lo in range(0, n_rows, self.step):
            scores, feasible = block(lo, lo + self.step)
            rounded = _rounded(scores, self.grid)
            self.on_grid &= bool(np.array_equal(rounded, scores))  # later scans skip rounding
            scores = rounded
            keyed = np.where(feasible, scores, -np.inf)
            rows, cols = _top(keyed, CANDIDATES)
            self.arcs.add(rows + lo, cols, scores[rows, cols])
            cols, rows = _top(keyed.T, SUITORS)
            suitors.add(rows + lo, cols, scores[rows, cols])
        best = np.lexsort((-suitors.scores, suitors.cols))  # per column, best first
        rank = np.arange(len(best)) - np.searchsorted(suitors.cols[best], suitors.cols[best])
        kept = best[rank < SUITORS]
        self.arcs.add(suitors.rows[kept], suitors.cols[kept], suitors.scores[kept])
        self.arcs.deduplicate(len(capacity))

    def blocks(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(first row, scores on the grid, feasible) for each block of rows."""
        for lo in range(0, self.n_rows, self.step):
            scores, feasible = self.block(lo, lo + self.step)
            yield lo, (scores if self.on_grid else _rounded(scores, self.grid)), feasible

    def beating(self, prices: np.ndarray, row_values: np.ndarray) -> _Arcs:
        """Pairs that beat the prices (score + BIG - price > row value) and, when there are
        any, those within NEAR points of it: the next prices tend to need them."""
        missing, beaten = _Arcs(), False
        for lo, scores, feasible in self.blocks():
            gain = scores - prices[None, :]
            gain += (self.big - row_values[lo:lo + len(scores)])[:, None]
            beaten = beaten or bool((feasible & (gain > 0)).any())
            near = feasible & (gain > -NEAR)
            known = (self.arcs.rows >= lo) & (self.arcs.rows < lo + len(scores))
            near[self.arcs.rows[known] - lo, self.arcs.cols[known]] = False
            rows = np.flatnonzero(near.any(axis=1))
            if len(rows):
                found, cols = _top(np.where(near[rows], gain[rows], -np.inf), ADDED)
                missing.add(rows[found] + lo, cols, scores[rows[found], cols])
        return missing if beaten else _Arcs()


def _rounded(scores: np.ndarray, grid: float) -> np.ndarray:
    return np.round(np.asarray(scores, dtype=np.float64) / grid) * grid


def _top(keyed: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of each row's k largest finite entries. Repeated argmax: for small k
    it is several times faster than argpartition."""
    keyed = np.array(keyed)  # a contiguous copy: entries are struck out as they are taken
    everyone = np.arange(len(keyed))
    rows, cols = [], []
    for _ in range(min(k, keyed.shape[1])):
        best = keyed.argmax(axis=1)
        found = np.isfinite(keyed[everyone, best])
        if not found.any():
            break
        rows.append(everyone[found])
        cols.append(best[found])
        keyed[everyone[found], best[found]] = -np.inf
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(cols)


def _solve_arcs(problem: _Sparse) -> np.ndarray:
    """Optimal assignment over the candidate pairs: columns repeated per place, one dummy
    column per row for "unmatched"."""
    arcs, capacity, n_rows = problem.arcs, problem.capacity, problem.n_rows
    copies = np.minimum(capacity, np.bincount(arcs.cols, minlength=len(capacity)))
    first_place = np.concatenate([[0], np.cumsum(copies)])  # no more places than suitors
    places = int(first_place[-1])
    repeat = copies[arcs.cols]
    offset = np.arange(repeat.sum()) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    rows = np.concatenate([np.repeat(arcs.rows, repeat), np.arange(n_rows)])
    cols = np.concatenate([np.repeat(first_place[arcs.cols], repeat) + offset,
                           places + np.arange(n_rows)])
    # The solver needs non-zero costs: a pair costs 1..101 (101 - score), being unmatched
    # BIG + 101. Each row takes exactly one column, so this ranks matchings exactly as the
    # weights score + BIG do.
    cost = np.concatenate([np.repeat(MAX_SCORE + 1 - arcs.scores, repeat),
                           np.full(n_rows, problem.big + MAX_SCORE + 1)])
    graph = csr_matrix((cost, (rows, cols)), shape=(n_rows, places + n_rows))
    matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
    assignment = np.full(n_rows, -1, dtype=np.int64)
    real = matched_cols < places
    column_of_place = np.repeat(np.arange(len(capacity)), copies)
    assignment[matched_rows[real]] = column_of_place[matched_cols[real]]
    return assignment


def _duals(problem: _Sparse, assignment: np.ndarray, limit: int) -> Duals | None:
    """(column prices, row values) proving the assignment optimal over the candidate pairs,
    or None when they do not exist (or do not settle within `limit` passes).

    Prices are the least v >= 0 with no row preferring another candidate: v_c >= w(r, c) for
    an unmatched row r, v_c >= v_a + w(r, c) - w(r, a) for a row r matched to a: longest
    paths, relaxed to a fixed point. They must stay within each column's ceiling: 0 while it
    has places left, else the smallest weight of its own pairs (a row's value, its weight
    less the price, cannot be negative). A price above its ceiling, or one still rising after
    `limit` passes (a positive cycle), means a better assignment exists over these pairs."""
    arcs, capacity = problem.arcs, problem.capacity
    weight = arcs.scores + problem.big
    matched_to = assignment[arcs.rows]
    is_own, free = matched_to == arcs.cols, matched_to < 0
    own = np.zeros(len(assignment))
    own[arcs.rows[is_own]] = weight[is_own]
    ceiling = np.full(len(capacity), np.inf)
    np.minimum.at(ceiling, arcs.cols[is_own], weight[is_own])
    ceiling[np.bincount(assignment[assignment >= 0], minlength=len(capacity)) < capacity] = 0
    prices = np.zeros(len(capacity))
    np.maximum.at(prices, arcs.cols[free], weight[free])
    moves = ~free & ~is_own
    order = np.argsort(arcs.cols[moves], kind="stable")
    source, target = matched_to[moves][order], arcs.cols[moves][order]
    length = (weight[moves] - own[arcs.rows[moves]])[order]
    heads = np.flatnonzero(np.r_[True, target[1:] != target[:-1]]) if len(target) else None
    for _ in range(limit):
        if (prices > ceiling).any():
            return None
        if heads is None:
            break
        raised = np.maximum(prices[target[heads]],
                            np.maximum.reduceat(prices[source] + length, heads))
        if np.array_equal(raised, prices[target[heads]]):
            break
        prices[target[heads]] = raised
    else:
        return None
    values = np.zeros(len(assignment))
    values[arcs.rows[is_own]] = weight[is_own] - prices[arcs.cols[is_own]]
    return prices, values
