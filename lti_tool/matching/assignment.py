"""Assignment policies over a ScoreTable.

- `optimal`: lexicographically best: as many mentees matched as possible, then the largest
  total compatibility, subject to mentor capacities and hard constraints. Solved exactly by
  SciPy's `linear_sum_assignment` on mentor columns repeated once per place of capacity; each
  feasible pair's cost is -(score + BIG) with BIG larger than any total of scores, so one more
  matched mentee always outweighs any gain in total.
- `stable`: mentee-proposing deferred acceptance (Gale–Shapley, capacitated); both sides rank
  by compatibility; no mentee and mentor would both rather be paired with each other.
- `greedy`: the best remaining feasible pair first (a baseline for comparison).

Locked pairs are kept and use up capacity; excluded people (mentee or mentor ids) are left out.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from lti_tool.matching.scoring import ScoreTable


@dataclass
class Matching:
    pairs: list[tuple[int, int]]
    total: float
    unmatched: dict[int, str]
    policy: str


@dataclass
class MatchingDiff:
    changed: list[int] = field(default_factory=list)  # mentee ids with another mentor
    only_in_first: list[int] = field(default_factory=list)  # matched in a, not in b
    only_in_second: list[int] = field(default_factory=list)
    first_total: float = 0.0
    second_total: float = 0.0


class _Problem:
    """The free part of a table: rows/columns left after locks and exclusions."""

    def __init__(self, table, capacities, locked, excluded):
        excluded = set(excluded)
        self.table = table
        self.locked = [(e, m) for e, m in locked]
        locked_mentees = {e for e, _ in self.locked}
        caps = {p.id: p.capacity for p in table.mentors}
        caps.update(capacities or {})
        for _, mentor_id in self.locked:
            caps[mentor_id] = caps.get(mentor_id, 0) - 1
        self.rows = [i for i, p in enumerate(table.mentees)
                     if p.id not in excluded and p.id not in locked_mentees]
        self.cols = [j for j, p in enumerate(table.mentors)
                     if p.id not in excluded and caps.get(p.id, 0) > 0]
        self.capacity = {j: caps[table.mentors[j].id] for j in self.cols}

    def result(self, chosen: list[tuple[int, int]], policy: str) -> Matching:
        table = self.table
        pairs = list(self.locked) + [(table.mentees[i].id, table.mentors[j].id)
                                     for i, j in chosen]
        index = {p.id: i for i, p in enumerate(table.mentees)}
        column = {p.id: j for j, p in enumerate(table.mentors)}
        total = float(sum(table.total[index[e], column[m]] for e, m in pairs
                          if e in index and m in column))
        matched = {i for i, _ in chosen}
        unmatched = {table.mentees[i].id: self.reason(i) for i in self.rows if i not in matched}
        return Matching(pairs, total, unmatched, policy)

    def reason(self, i: int) -> str:
        feasible = [j for j in range(len(self.table.mentors)) if self.table.feasible[i, j]]
        if not feasible:
            return "no feasible mentor: " + _common_blocker(self.table, i)
        if not any(j in self.capacity for j in feasible):
            return "every suitable mentor is excluded or full"
        return "no mentor with capacity left (suitable mentors went to other mentees)"


def _common_blocker(table: ScoreTable, i: int) -> str:
    counts: dict[str, int] = {}
    for j in range(len(table.mentors)):
        for blocker in table.pair(i, j).blockers:
            key = blocker.split(" (")[0] if blocker.startswith("only") else blocker
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return "no mentors"
    return max(counts, key=counts.get) + " with most mentors"


def optimal(table: ScoreTable, capacities: Mapping[int, int] | None = None,
            locked: Iterable[tuple[int, int]] = (), excluded: Iterable[int] = ()) -> Matching:
    problem = _Problem(table, capacities, locked, excluded)
    slots = [j for j in problem.cols for _ in range(problem.capacity[j])]
    if not problem.rows or not slots:
        return problem.result([], "optimal")
    scores = table.total[np.ix_(problem.rows, slots)].astype(np.float64)
    feasible = table.feasible[np.ix_(problem.rows, slots)]
    big = 100.0 * len(problem.rows) + 1.0
    cost = np.where(feasible, -(scores + big), 0.0)
    rows, cols = linear_sum_assignment(cost)
    chosen = [(problem.rows[r], slots[c]) for r, c in zip(rows, cols, strict=True)
              if feasible[r, c]]
    return problem.result(chosen, "optimal")


def stable(table: ScoreTable, capacities: Mapping[int, int] | None = None,
           locked: Iterable[tuple[int, int]] = (), excluded: Iterable[int] = ()) -> Matching:
    problem = _Problem(table, capacities, locked, excluded)
    cols = set(problem.cols)
    prefs = {i: sorted((j for j in problem.cols if table.feasible[i, j]),
                       key=lambda j, i=i: (-table.total[i, j], table.mentors[j].id))
             for i in problem.rows}
    held: dict[int, list[int]] = {j: [] for j in cols}
    next_choice = dict.fromkeys(problem.rows, 0)
    free = list(problem.rows)
    while free:
        i = free.pop()
        if next_choice[i] >= len(prefs[i]):
            continue
        j = prefs[i][next_choice[i]]
        next_choice[i] += 1
        held[j].append(i)
        if len(held[j]) > problem.capacity[j]:
            worst = min(held[j], key=lambda k, j=j: (table.total[k, j], -table.mentees[k].id))
            held[j].remove(worst)
            free.append(worst)
    chosen = [(i, j) for j, mentees in held.items() for i in mentees]
    return problem.result(chosen, "stable")


def greedy(table: ScoreTable, capacities: Mapping[int, int] | None = None,
           locked: Iterable[tuple[int, int]] = (), excluded: Iterable[int] = ()) -> Matching:
    problem = _Problem(table, capacities, locked, excluded)
    if not problem.rows or not problem.cols:
        return problem.result([], "greedy")
    sub = table.total[np.ix_(problem.rows, problem.cols)]
    ok = table.feasible[np.ix_(problem.rows, problem.cols)]
    order = np.argsort(-np.where(ok, sub, -np.inf), axis=None, kind="stable")
    left = dict(problem.capacity)
    taken: set[int] = set()
    chosen = []
    for flat in order[: int(ok.sum())]:
        r, c = divmod(int(flat), len(problem.cols))
        i, j = problem.rows[r], problem.cols[c]
        if i not in taken and left[j] > 0:
            taken.add(i)
            left[j] -= 1
            chosen.append((i, j))
    return problem.result(chosen, "greedy")


def compare(a: Matching, b: Matching) -> MatchingDiff:
    first, second = dict(a.pairs), dict(b.pairs)
    return MatchingDiff(
        changed=sorted(e for e in first.keys() & second.keys() if first[e] != second[e]),
        only_in_first=sorted(first.keys() - second.keys()),
        only_in_second=sorted(second.keys() - first.keys()),
        first_total=a.total, second_total=b.total)
