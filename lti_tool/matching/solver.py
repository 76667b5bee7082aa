"""The exact solver behind `assignment.optimal`: a capacitated assignment (each mentee at most
one mentor, each mentor at most `capacity` mentees) that matches as many mentees as possible
and, among those matchings, has the largest total score.

The lexicographic objective as one weight: a pair weighs `score + BIG` with BIG = 100 x rows
+ 1, more than any total of scores (each is at most 100), so one more matched mentee always
outweighs any gain in total.

Exact at scale, within memory. The dense problem for 10,000 mentees x 2,500 mentors with four
places each is a 10,000 x 10,000 matrix (800 MB in float64), and a min-cost flow over every
feasible pair holds all of them (2.9 million arcs there), so instead:
1. Candidate pairs: each mentee's best CANDIDATES mentors and each mentor's best SUITORS
   mentees (so unpopular mentors have candidates too).
2. OR-Tools' min-cost flow (`SimpleMinCostFlow.solve_max_flow_with_min_cost`) solves the
   candidate pairs exactly: source -> mentee (1) -> candidate mentor (1, cost -score in
   integer grid units) -> sink (the mentor's places); the most flow, then the least cost, is
   the lexicographic optimum over the candidates, in integers. (It replaced SciPy's LAPJVsp
   on the same pairs, each mentor's column repeated once per place: a single such solve
   took about as long as OR-Tools over the whole table at 2,000 x 500; issue 17.)
3. The result is *proved* optimal over all pairs, not just the candidates: LP duals are built
   from it (mentor prices, see `_duals`), and the whole table is scanned block by block for
   a pair whose weight beats its mentor's price plus its mentee's value (a float32 screen
   with a bounded error margin, then the exact check on the few pairs it lets through). None:
   the duals are feasible for the whole problem and their objective equals the assignment's
   weight, so by LP duality (the assignment polytope is integral) no matching is better.
   Some: they (and pairs within NEAR points of beating the prices) join the candidates, the
   prices are updated, and step 2 runs again if the prices cannot absorb them.
Scores are rounded to a binary grid, 2^-G with G = 50 - bits(BIG + 101) (G = 30 for 10,000
mentees: float32 scores from 0.008 up are already on it; smaller when many mentors would let
the flow's integer costs overflow, see `_grid`), so that every sum and difference the solver
and the certificate compute is exact in float64 and in int64: no tolerance decides optimality.
Memory: beyond the score table itself (5 bytes a pair: 125 MB for 10,000 x 2,500), the
candidate pairs (a few dozen per mentee) and one block of the table at a time.
Among equally good matchings the one returned is deterministic (the same table gives the same
matching) but follows no stated rule: callers and tests must not rely on which.
"""

from collections.abc import Callable, Iterator

import numpy as np
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]

CANDIDATES = 8  # each mentee's best mentors among the first candidate pairs
SUITORS = 8  # each mentor's best mentees among them
ADDED = 16  # most pairs added per mentee and round
NEAR = 10.0  # score points: pairs this close to beating the prices are added with those that do
REPRICE_PASSES = 200  # relaxation passes tried on new pairs before solving again
BLOCK_CELLS = 4_000_000  # table cells per block: float32 temporaries of ~16 MB
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
        self.grid = _grid(n_rows, len(capacity))
        self.step = max(1, BLOCK_CELLS // len(capacity))
        self.arcs, suitors, self.on_grid = _Arcs(), _Arcs(), True
        for lo in range(0, n_rows, self.step):
            scores, feasible = block(lo, lo + self.step)
            if not _on_grid(scores, self.grid):  # later scans round too
                self.on_grid, scores = False, _rounded(scores, self.grid)
            keyed = np.where(feasible, scores, -np.inf)  # float32 tables stay float32
            cols, rows = _top(np.ascontiguousarray(keyed.T), SUITORS, copy=False)
            suitors.add(rows + lo, cols, scores[rows, cols])
            rows, cols = _top(keyed, CANDIDATES, copy=False)
            self.arcs.add(rows + lo, cols, scores[rows, cols])
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
        any, those within NEAR points of it: the next prices tend to need them.

        A float32 pass over each block screens the pairs within NEAR + slack points (a few in
        a hundred), wider than its rounding error can be; only those are computed exactly."""
        shift = prices - self.big  # gain = score - shift[column] - value[row]
        largest = float(max(np.abs(shift).max(), np.abs(row_values).max(), MAX_SCORE))
        slack = 1.0 + 4 * (2 * largest + 2 * MAX_SCORE) * 2.0**-23  # float32 error, bounded
        shift32, values32 = shift.astype(np.float32), row_values.astype(np.float32)
        known = np.sort(self.arcs.rows * len(prices) + self.arcs.cols)
        missing, beaten = _Arcs(), False
        for lo, scores, feasible in self.blocks():
            screen = np.subtract(scores, shift32[None, :], dtype=np.float32)
            screen -= values32[lo:lo + len(scores), None]
            rows, cols = np.divmod(np.flatnonzero((screen > -(NEAR + slack)) & feasible),
                                   len(prices))
            del screen
            exact = scores[rows, cols].astype(np.float64) - shift[cols] - row_values[rows + lo]
            beaten = beaten or bool((exact > 0).any())
            near = (exact > -NEAR) & ~_among((rows + lo) * len(prices) + cols, known)
            rows, cols, exact = rows[near] + lo, cols[near], exact[near]
            best = np.lexsort((-exact, rows))  # per row, largest gain first (ties: column)
            rank = np.arange(len(best)) - np.searchsorted(rows[best], rows[best])
            kept = best[rank < ADDED]
            missing.add(rows[kept], cols[kept], scores[rows[kept] - lo, cols[kept]])
        return missing if beaten else _Arcs()


def _grid(n_rows: int, n_cols: int) -> float:
    """The score grid: fine enough for any table, coarse enough that float64 sums of weights
    (BIG + score) stay exact and that the flow's costs, scaled by its node count inside
    OR-Tools' cost scaling, stay within int64."""
    big = MAX_SCORE * n_rows + 1
    exact_sums = 50 - int(big + MAX_SCORE + 1).bit_length()
    int64_costs = 62 - int(MAX_SCORE).bit_length() - (n_rows + n_cols + 3).bit_length()
    return float(2.0 ** -min(exact_sums, int64_costs))


def _among(keys: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Which keys are in `known` (sorted): a binary search, quicker than np.isin here."""
    at = np.minimum(np.searchsorted(known, keys), max(len(known) - 1, 0))
    return known[at] == keys if len(known) else np.zeros(len(keys), dtype=bool)


def _rounded(scores: np.ndarray, grid: float) -> np.ndarray:
    return np.round(np.asarray(scores, dtype=np.float64) / grid) * grid


def _on_grid(scores: np.ndarray, grid: float) -> bool:
    """Whether every score is a multiple of the grid. A float32 of magnitude 2^23 grid or more
    is one (its last bit is worth at least the grid): only the smaller ones need rounding."""
    if scores.dtype == np.float32:
        small = scores[(scores < grid * 2.0**23) & (scores != 0)]  # negative ones too
        return bool(np.array_equal(_rounded(small, grid), small))
    return bool(np.array_equal(_rounded(scores, grid), scores))


def _top(keyed: np.ndarray, k: int, copy: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of each row's k largest finite entries. Repeated argmax: for small k
    it is several times faster than argpartition. Entries are struck out as they are taken:
    in a copy unless told otherwise."""
    keyed = np.array(keyed) if copy else keyed
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
    """Optimal assignment over the candidate pairs: OR-Tools' min-cost flow, source -> each
    row (1 unit) -> its candidate columns (1 unit, cost -score in grid units) -> sink (the
    column's capacity), the most flow first and then the least cost: exactly the most matched
    rows, then the largest total (integers: no rounding decides)."""
    arcs, capacity, n_rows = problem.arcs, problem.capacity, problem.n_rows
    n_cols = len(capacity)
    sink = n_rows + n_cols + 1
    tails = np.concatenate([np.zeros(n_rows, np.int32), arcs.rows + 1,
                            n_rows + 1 + np.arange(n_cols)]).astype(np.int32)
    heads = np.concatenate([1 + np.arange(n_rows), n_rows + 1 + arcs.cols,
                            np.full(n_cols, sink)]).astype(np.int32)
    capacities = np.concatenate([np.ones(n_rows + len(arcs.rows), np.int64), capacity])
    costs = np.concatenate([np.zeros(n_rows, np.int64), -_units(arcs.scores, problem.grid),
                            np.zeros(n_cols, np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    flow.set_node_supply(0, n_rows)
    flow.set_node_supply(sink, -n_rows)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools' min-cost flow ended with status {status}.")
    used = flow.flows(np.arange(n_rows, n_rows + len(arcs.rows))) > 0
    assignment = np.full(n_rows, -1, dtype=np.int64)
    assignment[arcs.rows[used]] = arcs.cols[used]
    return assignment


def _units(scores: np.ndarray, grid: float) -> np.ndarray:
    """Scores as integers in the coarsest power-of-two unit they are all multiples of (at
    finest the grid): exact, and min-cost flow's cost scaling takes fewer phases on smaller
    numbers."""
    units = np.round(scores / grid).astype(np.int64)
    common = int(np.bitwise_or.reduce(units)) if len(units) else 0
    if common:
        units >>= (common & -common).bit_length() - 1  # the trailing zeros they all have
    return units


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
