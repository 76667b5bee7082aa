"""Assignment policies over a ScoreTable, and how two of their results differ.

- `optimal`: as many mentees matched as possible, then the largest total compatibility
  (lexicographic), subject to mentor capacities and hard constraints: exact, by OR-Tools'
  min-cost flow over candidate pairs with an LP-duality certificate over all pairs (see
  solver.py).
- `stable`: mentee-proposing deferred acceptance (Gale-Shapley, capacitated). Each side ranks
  by its own view of the pair: mentees by the total, mentors by the mentor view (the topics fit
  measured against the mentor's expertise, see scoring.py). No mentee and mentor would both
  rather be paired with each other; a mentor may keep a mentee whose goals draw on more of
  their expertise over one with a higher total, so this can differ from `greedy`.
- `greedy`: the highest-scoring feasible pair first, a baseline for comparison.

Every policy keeps locked pairs (staff decisions: they use up the mentor's capacity even when
the pair breaks a constraint) and leaves excluded people (mentee or mentor ids) out; a locked
pair with an excluded person is dropped, because exclusion is the later, stronger instruction.
Infeasible pairs are never made by a policy. Ties are broken by position in the table, so the
same input always gives the same matching.
"""

import heapq
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from lti_tool.matching import solver
from lti_tool.matching.scoring import (
    LOW_OVERLAP,
    NOT_SAME_GROUP,
    SAME_GROUP,
    SAME_PERSON,
    ScoreTable,
)

EXCLUDED = "excluded by staff"
NO_CAPACITY = "no mentor with capacity left"


@dataclass
class Matching:
    pairs: list[tuple[int, int]]  # (mentee id, mentor id); locked pairs first
    total: float  # sum of the pairs' totals
    unmatched: dict[int, str]  # mentee id -> plain reason
    policy: str  # "optimal" | "stable" | "greedy"

    def mentor_of(self) -> dict[int, int]:
        return dict(self.pairs)


@dataclass
class MatchingDiff:
    """How the second matching differs from the first, for staff comparing policies."""

    changed: list[int] = field(default_factory=list)  # matched in both, to another mentor
    only_in_first: list[int] = field(default_factory=list)  # matched in the first only
    only_in_second: list[int] = field(default_factory=list)
    moves: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)  # all three
    first_policy: str = ""
    second_policy: str = ""
    first_total: float = 0.0
    second_total: float = 0.0
    first_matched: int = 0
    second_matched: int = 0


class _Problem:
    """The free part of a table: the rows (mentees) and columns (mentors with places left)
    after locks and exclusions, and the places left per column."""

    def __init__(self, table: ScoreTable, capacities: Mapping[int, int] | None,
                 locked: Iterable[tuple[int, int]], excluded: Iterable[int]):
        self.table, self.excluded = table, set(excluded)
        self.locked = self._check_locked(locked)
        places = {p.id: p.capacity for p in table.mentors} | dict(capacities or {})
        for _, mentor_id in self.locked:
            places[mentor_id] -= 1
        locked_mentees = {mentee_id for mentee_id, _ in self.locked}
        self.rows = np.array([i for i, p in enumerate(table.mentees) if p.id not in
                              self.excluded and p.id not in locked_mentees], dtype=np.int64)
        self.cols = np.array([j for j, p in enumerate(table.mentors) if p.id not in
                              self.excluded and places[p.id] > 0], dtype=np.int64)
        self.capacity = np.array([places[table.mentors[j].id] for j in self.cols],
                                 dtype=np.int64)
        self.whole = len(self.rows) == len(table.mentees) and len(self.cols) == len(
            table.mentors)

    def _check_locked(self, locked: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        kept, seen = [], set()
        for mentee_id, mentor_id in locked:
            if mentee_id not in self.table.row_of or mentor_id not in self.table.column_of:
                raise ValueError(f"Locked pair {(mentee_id, mentor_id)} is not in the table.")
            if mentee_id in seen:
                raise ValueError(f"Mentee {mentee_id} is locked to more than one mentor.")
            seen.add(mentee_id)
            if not {mentee_id, mentor_id} & self.excluded:
                kept.append((mentee_id, mentor_id))
        return kept

    def block(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and feasibility of free rows lo:hi against the available columns."""
        if self.whole:  # views, no copy: the common case of a first proposal
            return self.table.total[lo:hi], self.table.feasible[lo:hi]
        index = np.ix_(self.rows[lo:hi], self.cols)
        return self.table.total[index], self.table.feasible[index]

    def ranked(self, k: int, mentor_view: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Row k's feasible columns, best score first (ties: earlier column), and their scores,
        or with mentor_view, those mentors' view of the pairs (how they rank row k)."""
        scores, feasible = self.block(k, k + 1)
        cols = np.flatnonzero(feasible[0])
        cols = cols[np.argsort(-scores[0, cols], kind="stable")]
        if mentor_view:
            return cols.astype(np.int32), self.table.mentor_view(self.rows[k], self.cols[cols])
        return cols.astype(np.int32), scores[0, cols]

    def first_choices(self) -> list[tuple[float, int, int]]:
        """(-score, row, column) of each row's best feasible column (ties: earlier column)."""
        firsts = []
        step = max(1, solver.BLOCK_CELLS // max(1, len(self.cols)))
        for lo in range(0, len(self.rows), step):
            scores, feasible = self.block(lo, lo + step)
            if not scores.shape[1]:
                break
            keyed = np.where(feasible, scores, -np.inf)
            best = keyed.argmax(axis=1)
            value = keyed[np.arange(len(best)), best]
            firsts += [(-float(value[r]), int(lo + r), int(best[r]))
                       for r in np.flatnonzero(np.isfinite(value))]
        return firsts

    def result(self, assignment: np.ndarray, policy: str) -> Matching:
        """A Matching from the column chosen for each free row (-1: none)."""
        table = self.table
        pairs = list(self.locked) + [
            (table.mentees[self.rows[k]].id, table.mentors[self.cols[c]].id)
            for k, c in enumerate(assignment) if c >= 0]
        total = float(sum(float(table.total[table.row_of[e], table.column_of[m]])
                          for e, m in pairs))
        unmatched = {table.mentees[self.rows[k]].id: self.reason(k)
                     for k, c in enumerate(assignment) if c < 0}
        unmatched |= {p.id: EXCLUDED for p in table.mentees if p.id in self.excluded}
        return Matching(pairs, total, unmatched, policy)

    def reason(self, k: int) -> str:
        """Why free row k has no mentor, in plain words."""
        i = self.rows[k]
        feasible = np.flatnonzero(self.table.feasible[i])
        if not len(feasible):
            words = _blocker_words(self.table, i)
            return "no feasible mentor" + (f": {words}" if words else "")
        open_cols = np.isin(feasible, self.cols)
        if open_cols.any():
            count = int(open_cols.sum())
            return (f"{NO_CAPACITY}: its {count} feasible mentor"
                    f"{'s are' if count > 1 else ' is'} full with other mentees")
        ids = {self.table.mentors[j].id for j in feasible}
        if ids <= self.excluded:
            return "every feasible mentor is excluded by staff"
        return NO_CAPACITY


def _blocker_words(table: ScoreTable, i: int) -> str:
    """Which constraints rule out a mentee's mentors, e.g. "no shared language with any
    mentor" or "... with 3 of 5 mentors; ..." when different reasons rule out different ones."""
    mentors = len(table.mentors)
    if not mentors:
        return "there are no mentors"
    counts = table.blocker_counts(i)
    if counts.get(SAME_PERSON) == mentors and len(counts) == 1:
        return "the only mentor is themself"
    everywhere = [kind for kind, count in counts.items() if count == mentors]
    words = []
    for kind, count in sorted(counts.items(), key=lambda item: -item[1]):
        if everywhere and kind not in everywhere:
            continue  # a reason that holds for every mentor says enough
        words.append(f"{_kind_words(kind, table)} {_how_many(kind, count, mentors)}")
    return "; ".join(words)


def _kind_words(kind: str, table: ScoreTable) -> str:
    if kind == LOW_OVERLAP:
        return f"less than {table.constraints.min_overlap_hours:g} h weekly overlap with"
    if kind in (NOT_SAME_GROUP, SAME_GROUP):
        return f"{kind} as"
    if kind == SAME_PERSON:
        return "the same person as"
    return f"{kind} with"


def _how_many(kind: str, count: int, mentors: int) -> str:
    if count == mentors:
        return "every mentor" if kind == SAME_GROUP else "any mentor"
    return f"{count} of {mentors} mentors"


def optimal(table: ScoreTable, capacities: Mapping[int, int] | None = None,
            locked: Iterable[tuple[int, int]] = (), excluded: Iterable[int] = ()) -> Matching:
    """The lexicographically best matching: first as many matched mentees as possible, then
    the largest total score among those, within capacities (default: each mentor's
    `capacity`; locked pairs use places up) and feasibility. Exactly optimal (solver.py).

    Note: the total alone may be lower than another policy's when this matches more people,
    since matching one more mentee always comes first."""
    problem = _Problem(table, capacities, locked, excluded)
    assignment = solver.solve(len(problem.rows), problem.capacity, problem.block)
    return problem.result(assignment, "optimal")


def stable(table: ScoreTable, capacities: Mapping[int, int] | None = None,
           locked: Iterable[tuple[int, int]] = (), excluded: Iterable[int] = ()) -> Matching:
    """Mentee-proposing deferred acceptance with capacities. Each mentee proposes to feasible
    mentors from the highest total down (ties: the earlier mentor); a full mentor keeps the
    mentees it rates best by its own view of the pair (`ScoreTable.mentor_view`) and rejects
    the worst (ties: the earlier mentee in the table stays). The result has no blocking pair:
    no feasible (mentee, mentor) pair where the mentee prefers the mentor to their own (or has
    none) by total, and the mentor has a free place or prefers the mentee to one they hold by
    the mentor view. Locked pairs stay as they are and only take places.

    The two sides rank differently, so there may be several stable matchings; this is the one
    every mentee likes best among them. It can differ from `greedy`'s: greedy gives a mentor
    the mentee with the higher total, while here the mentor keeps a mentee whose goals draw on
    more of their expertise, even at a lower total. (For a table built from bare arrays both
    sides rank by the total: the stable matching is then unique and is greedy's.) It also
    differs from `optimal`, which may give someone a worse mentor when that lets others do
    much better or lets one more mentee be matched."""
    problem = _Problem(table, capacities, locked, excluded)
    assignment = np.full(len(problem.rows), -1, dtype=np.int64)
    mentors = _Mentors(problem.capacity)
    choices = _Choices(problem, mentor_view=True)
    next_choice = np.zeros(len(problem.rows), dtype=np.int64)
    free = deque(range(len(problem.rows)))
    while free:
        k = free.popleft()
        cols, views = choices(k)  # k's mentors in k's order, and how each of them rates k
        # Skip at once the mentors that would reject k now: they would later too, since a
        # mentor's worst held offer only improves.
        first = next_choice[k]
        willing = np.flatnonzero(mentors.would_accept(cols[first:], views[first:], k))
        if not len(willing):
            next_choice[k] = len(cols)
            continue
        choice = first + willing[0]
        next_choice[k] = choice + 1
        assignment[k] = cols[choice]
        rejected = mentors.hold(int(cols[choice]), float(views[choice]), k)
        if rejected is not None:
            assignment[rejected] = -1
            free.append(rejected)
    return problem.result(assignment, "stable")


class _Mentors:
    """The offers each mentor holds in deferred acceptance, worst first (a heap per mentor, by
    the mentor's view of each pair), and each full mentor's worst offer as arrays for
    vectorised checks."""

    def __init__(self, capacity: np.ndarray):
        self.capacity = capacity
        self.held: list[list[tuple[float, int]]] = [[] for _ in capacity]  # heaps of (score, -row)
        self.count = np.zeros(len(capacity), dtype=np.int64)
        self.worst_score = np.full(len(capacity), -np.inf)
        self.worst_row = np.full(len(capacity), -1, dtype=np.int64)

    def would_accept(self, cols: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
        """Higher scores (the mentor's view) first, then earlier rows (smaller k)."""
        worst = self.worst_score[cols]
        accepts: np.ndarray = ((self.count[cols] < self.capacity[cols]) | (scores > worst)
                               | ((scores == worst) & (k < self.worst_row[cols])))
        return accepts

    def hold(self, c: int, score: float, k: int) -> int | None:
        """Take k's offer; return the row it displaces, if the mentor was full."""
        rejected = None
        if self.count[c] < self.capacity[c]:
            heapq.heappush(self.held[c], (score, -k))
            self.count[c] += 1
        else:
            rejected = -heapq.heapreplace(self.held[c], (score, -k))[1]
        if self.count[c] == self.capacity[c]:
            self.worst_score[c], self.worst_row[c] = self.held[c][0][0], -self.held[c][0][1]
        return rejected


def greedy(table: ScoreTable, capacities: Mapping[int, int] | None = None,
           locked: Iterable[tuple[int, int]] = (), excluded: Iterable[int] = ()) -> Matching:
    """The highest-scoring feasible pair first, while both sides have room (a baseline).
    Lazily, from one heap: each mentee offers its best mentor with places left, and looks
    further down its list only when that mentor fills up."""
    problem = _Problem(table, capacities, locked, excluded)
    assignment = np.full(len(problem.rows), -1, dtype=np.int64)
    places = problem.capacity.copy()
    choices = _Choices(problem)
    heap, position = problem.first_choices(), np.zeros(len(problem.rows), dtype=np.int64)
    heapq.heapify(heap)
    while heap:
        _, k, c = heapq.heappop(heap)
        if places[c] > 0:
            places[c] -= 1
            assignment[k] = c
            continue
        cols, scores = choices(k)
        still_open = np.flatnonzero(places[cols[position[k]:]] > 0)  # mentors only fill up
        if len(still_open):
            position[k] += still_open[0]
            heapq.heappush(heap, (-float(scores[position[k]]), k, int(cols[position[k]])))
    return problem.result(assignment, "greedy")


class _Choices:
    """Each row's ranked feasible columns with their scores (or the mentors' view, see
    `_Problem.ranked`), computed when first needed: holding them all for 10,000 mentees would
    cost hundreds of MB, and most mentees get an early choice."""

    def __init__(self, problem: _Problem, mentor_view: bool = False):
        self.problem, self.mentor_view = problem, mentor_view
        self.lists: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        if k not in self.lists:
            self.lists[k] = self.problem.ranked(k, self.mentor_view)
        return self.lists[k]


def compare(a: Matching, b: Matching) -> MatchingDiff:
    """Which mentees get a different mentor (or none) under b than under a."""
    first, second = a.mentor_of(), b.mentor_of()
    moves = {e: (first.get(e), second.get(e)) for e in sorted(first.keys() | second.keys())
             if first.get(e) != second.get(e)}
    return MatchingDiff(
        changed=[e for e, (x, y) in moves.items() if x is not None and y is not None],
        only_in_first=[e for e, (_, y) in moves.items() if y is None],
        only_in_second=[e for e, (x, _) in moves.items() if x is None],
        moves=moves, first_policy=a.policy, second_policy=b.policy,
        first_total=a.total, second_total=b.total,
        first_matched=len(a.pairs), second_matched=len(b.pairs))
