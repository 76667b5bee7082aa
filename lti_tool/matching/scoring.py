"""Compatibility of mentees with mentors: a 0-100 score with a per-criterion breakdown, and
whether a pair is allowed at all (hard constraints, with the reasons in plain words).

Each criterion is a fit in [0, 1]:
- topics: the share of the mentee's goals the mentor lists as expertise, |shared| / |goals|;
- languages: 1 when they share at least one language, else 0;
- availability: weekly overlap in hours / FULL_OVERLAP_HOURS, capped at 1 (4 h or more is
  plenty of room to find a recurring slot);
- modality: 1 when both prefer the same way to meet, else 0;
- questions: the share of the program questions the mentee answered where the mentor chose at
  least one same option.
The total is 100 x the weighted mean of the fits. A criterion the mentee gave nothing for (no
goals, no language, no answered question) is left out of that mentee's mean rather than
counted as a mismatch, so a program without questions still scores up to 100. The breakdown
gives each criterion's points (weight share x fit x 100), so it sums to the total.

The total is the pair seen from the mentee's side, and it is how mentees rank mentors. Mentors
rank mentees by the mentor view: the same weighted mean over the same criteria (left out
exactly when they are left out of the total), except that the topics fit is seen from the
mentor's side: |shared| / |mentor's expertise|, how much of the mentor's expertise this
mentee's goals draw on (0 for a mentor who lists none). So for a mentor with four topics, a
mentee who wants all four (among eight goals) fits better on topics than one who wants just
one of them and nothing else, whereas the totals say the opposite (half of eight goals met
against one of one). The stable policy uses both views (assignment.py).

`score_all` computes whole matrices with numpy: availability as bit-sets of UTC quarter-hours
(see availability.py), topics, languages, groups and answers as 0/1 indicator matrices, and
their intersections as matrix products, block by block of mentees so the temporaries stay
small. The mentor view differs from the total only in the topics term, so the table does not
store it: `ScoreTable.mentor_view` derives it for one mentee and the mentors asked for, from the
total and the shared topics. `score_pair` is the same definition (both views) written plainly
with sets, for one pair; the tests check the two agree.
"""

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from lti_tool.matching.availability import (
    QUARTERS_PER_HOUR,
    check_week_start,
    quarters_to_hours,
    shared_quarters,
    week_matrix,
)
from lti_tool.matching.profiles import CRITERIA, Constraints, Person, Weights

FULL_OVERLAP_HOURS = 4.0
BLOCK_CELLS = 4_000_000  # mentee x mentor cells per block of score_all: ~16 MB per temporary

SAME_PERSON = "same person"
NO_LANGUAGE = "no shared language"
LOW_OVERLAP = "too little weekly overlap"
AVOIDED = "asked not to be paired"
NOT_SAME_GROUP = "not in the same group"
SAME_GROUP = "in the same group"


@dataclass(frozen=True)
class PairScore:
    mentee_id: int
    mentor_id: int
    total: float  # 0..100, weighted: the mentee's view of the pair (how mentees rank mentors)
    breakdown: dict[str, float]  # criterion -> points contributed; sums to total
    mentor_view: float  # 0..100: the mentor's view (how mentors rank mentees, for stable)
    feasible: bool
    blockers: tuple[str, ...]  # plain words why the pair is not allowed
    overlap_hours: float
    shared_topics: tuple[str, ...]
    shared_languages: tuple[str, ...]


def needed_quarters(constraints: Constraints) -> int:
    """The minimum overlap as whole quarter-hours, so both scorers compare integers."""
    return math.ceil(round(constraints.min_overlap_hours * QUARTERS_PER_HOUR, 9))


def _fits(mentee: Person, mentor: Person, quarters: int) -> dict[str, float | None]:
    """Each criterion's fit in [0, 1]; None when the mentee gave nothing for it."""
    answered = [q for q, options in mentee.answers.items() if options]
    agreed = [q for q in answered if mentee.answers[q] & mentor.answers.get(q, frozenset())]
    return {
        "topics": (len(mentee.topics & mentor.topics) / len(mentee.topics)
                   if mentee.topics else None),
        "languages": float(bool(mentee.languages & mentor.languages))
        if mentee.languages else None,
        "availability": min(quarters_to_hours(quarters) / FULL_OVERLAP_HOURS, 1.0),
        "modality": float(mentee.modality == mentor.modality),
        "questions": len(agreed) / len(answered) if answered else None,
    }


def _seen_by_mentor(fits: dict[str, float | None], mentee: Person,
                    mentor: Person) -> dict[str, float | None]:
    """The fits with topics seen from the mentor's side: the share of the mentor's expertise
    the mentee's goals draw on (still left out when the mentee gave no goals)."""
    if fits["topics"] is None:
        return fits
    drawn = len(mentee.topics & mentor.topics) / len(mentor.topics) if mentor.topics else 0.0
    return fits | {"topics": drawn}


def _points(fits: dict[str, float | None], weights: Weights) -> dict[str, float]:
    """Each criterion's points: 100 x weight share x fit, over the criteria counted."""
    weight = weights.as_dict()
    counted = sum(weight[c] for c in CRITERIA if fits[c] is not None)
    points = {}
    for c in CRITERIA:
        fit = fits[c]
        points[c] = 100.0 * weight[c] * fit / counted if counted and fit is not None else 0.0
    return points


def _blockers(mentee: Person, mentor: Person, quarters: int,
              constraints: Constraints) -> tuple[str, ...]:
    reasons = []
    if mentee.id == mentor.id:
        reasons.append(SAME_PERSON)
    if constraints.require_shared_language and not mentee.languages & mentor.languages:
        reasons.append(NO_LANGUAGE)
    if quarters < needed_quarters(constraints):
        reasons.append(f"only {quarters_to_hours(quarters):g} h weekly overlap "
                       f"(needs {constraints.min_overlap_hours:g})")
    if (mentee.id, mentor.id) in constraints.avoid:
        reasons.append(AVOIDED)
    shares_group = bool(mentee.groups & mentor.groups)
    if constraints.group_rule == "same" and not shares_group:
        reasons.append(NOT_SAME_GROUP)
    if constraints.group_rule == "different" and shares_group:
        reasons.append(SAME_GROUP)
    return tuple(reasons)


def score_pair(mentee: Person, mentor: Person, weights: Weights, constraints: Constraints,
               week_start: date) -> PairScore:
    """One pair's score, breakdown and blockers (the reference definition)."""
    quarters = int(np.count_nonzero(shared_quarters(mentee, mentor, week_start)))
    fits = _fits(mentee, mentor, quarters)
    breakdown = _points(fits, weights)
    mentor_view = sum(_points(_seen_by_mentor(fits, mentee, mentor), weights).values())
    blockers = _blockers(mentee, mentor, quarters, constraints)
    return PairScore(
        mentee_id=mentee.id, mentor_id=mentor.id, total=sum(breakdown.values()),
        breakdown=breakdown, mentor_view=mentor_view, feasible=not blockers, blockers=blockers,
        overlap_hours=quarters_to_hours(quarters),
        shared_topics=tuple(sorted(mentee.topics & mentor.topics)),
        shared_languages=tuple(sorted(mentee.languages & mentor.languages)))


@dataclass
class _Side:
    """One side's attributes as matrices; the mentor side is stored transposed (ready for
    `mentee_block @ mentor_side`)."""

    ids: np.ndarray
    week: np.ndarray  # bool [people, 672]; mentors: float32 [672, people]
    topics: np.ndarray
    languages: np.ndarray
    groups: np.ndarray
    modality: np.ndarray  # int codes
    answers: list[np.ndarray]  # one indicator matrix per question


@dataclass
class _Encoded:
    mentees: _Side
    mentors: _Side

    @classmethod
    def build(cls, mentees: list[Person], mentors: list[Person],
              week_start: date) -> "_Encoded":
        both = mentees + mentors
        topics = _vocabulary(p.topics for p in both)
        languages = _vocabulary(p.languages for p in both)
        groups = _vocabulary(p.groups for p in both)
        modalities = _vocabulary([p.modality] for p in both)
        questions = sorted({q for p in mentees for q, options in p.answers.items() if options})
        options = {q: _vocabulary(p.answers.get(q, ()) for p in both) for q in questions}

        def side(people: list[Person]) -> _Side:
            return _Side(
                ids=np.array([p.id for p in people], dtype=np.int64),
                week=week_matrix(people, week_start),
                topics=_indicator([p.topics for p in people], topics),
                languages=_indicator([p.languages for p in people], languages),
                groups=_indicator([p.groups for p in people], groups),
                modality=np.array([modalities[p.modality] for p in people], dtype=np.int32),
                answers=[_indicator([p.answers.get(q, ()) for p in people], options[q])
                         for q in questions])

        mentor_side = side(mentors)
        for name in ("week", "topics", "languages", "groups"):
            setattr(mentor_side, name, getattr(mentor_side, name).astype(np.float32).T.copy())
        mentor_side.answers = [a.T.copy() for a in mentor_side.answers]
        return cls(side(mentees), mentor_side)


def _vocabulary(sets: Iterable[Iterable[Hashable]]) -> dict[Hashable, int]:
    values = sorted({value for values in sets for value in values}, key=str)
    return {value: index for index, value in enumerate(values)}


def _indicator(sets: Sequence[Iterable[Hashable]],
               vocabulary: Mapping[Hashable, int]) -> np.ndarray:
    matrix = np.zeros((len(sets), len(vocabulary)), dtype=np.float32)
    rows = [row for row, values in enumerate(sets) for _ in values]
    cols = [vocabulary[value] for values in sets for value in values]
    matrix[rows, cols] = 1.0
    return matrix


class _Block:
    """The criteria of one block of mentees against every mentor."""

    def __init__(self, encoded: _Encoded, rows: slice | np.ndarray):
        self.e, self.m, self.rows = encoded.mentees, encoded.mentors, rows

    def quarters(self) -> np.ndarray:
        quarters: np.ndarray = self.e.week[self.rows].astype(np.float32) @ self.m.week
        return quarters

    def shares(self, name: str) -> np.ndarray:
        shares: np.ndarray = (getattr(self.e, name)[self.rows] @ getattr(self.m, name)) > 0
        return shares

    def shared_topics(self) -> np.ndarray:
        shared: np.ndarray = self.e.topics[self.rows] @ self.m.topics
        return shared

    def same_modality(self) -> np.ndarray:
        same: np.ndarray = self.e.modality[self.rows, None] == self.m.modality[None, :]
        return same

    def agreed_questions(self) -> np.ndarray:
        agreed = np.zeros((self.e.ids[self.rows].size, self.m.ids.size), dtype=np.float32)
        for mine, theirs in zip(self.e.answers, self.m.answers, strict=True):
            agreed += (mine[self.rows] @ theirs) > 0
        return agreed

    def counts(self, matrix: np.ndarray) -> np.ndarray:
        counts: np.ndarray = matrix[self.rows].sum(axis=1)
        return counts

    def answered(self) -> np.ndarray:
        """How many program questions each mentee answered."""
        answered = np.zeros(self.e.ids[self.rows].size, dtype=np.float32)
        for answers in self.e.answers:
            answered += answers[self.rows].sum(axis=1) > 0
        return answered

    def counted(self, w: dict[str, float]) -> np.ndarray:
        """Per mentee, the weight of the criteria they gave something for (the mean's divisor)."""
        counted = np.full(self.e.ids[self.rows].size, w["availability"] + w["modality"],
                          dtype=np.float32)
        counted += w["topics"] * (self.counts(self.e.topics) > 0)
        counted += w["languages"] * (self.counts(self.e.languages) > 0)
        if self.e.answers:
            counted += w["questions"] * (self.answered() > 0)
        return counted


def _score_block(block: _Block, weights: Weights, constraints: Constraints,
                 total: np.ndarray, feasible: np.ndarray) -> None:
    """Fill `total` and `feasible` (views of the block's rows) in place."""
    w = weights.as_dict()
    quarters = block.quarters()
    np.greater_equal(quarters, needed_quarters(constraints), out=feasible)
    np.multiply(quarters, 1.0 / (QUARTERS_PER_HOUR * FULL_OVERLAP_HOURS), out=total)
    np.minimum(total, 1.0, out=total)
    total *= w["availability"]
    if w["modality"]:
        total += w["modality"] * block.same_modality()
    if w["topics"]:
        total += (block.shared_topics()
                  * _per_row(w["topics"], block.counts(block.e.topics))[:, None])
    if w["languages"] or constraints.require_shared_language:
        shares_language = block.shares("languages")
        if constraints.require_shared_language:
            feasible &= shares_language
        total += w["languages"] * shares_language
    if w["questions"] and block.e.answers:
        total += block.agreed_questions() * _per_row(w["questions"], block.answered())[:, None]
    total *= _per_row(100.0, block.counted(w))[:, None]
    np.clip(total, 0.0, 100.0, out=total)  # float32 rounding must not leave the 0-100 range
    if constraints.group_rule != "any":
        shares_group = block.shares("groups")
        feasible &= shares_group if constraints.group_rule == "same" else ~shares_group


def _per_row(value: float, counts: np.ndarray) -> np.ndarray:
    """value / count per row, 0 where the count is 0."""
    counts = np.asarray(counts, dtype=np.float32)
    shares: np.ndarray = np.divide(value, counts, out=np.zeros_like(counts), where=counts > 0)
    return shares


@dataclass
class _TopicTerms:
    """What the mentor view needs besides the total, which it equals but for the topics term:
    per mentee, the points of a topics fit of 1 (100 x weight share; 0 when topics are left
    out) and 1 / |goals|; per mentor, 1 / |expertise| (0 for none)."""

    points: np.ndarray
    per_goal: np.ndarray
    per_expertise: np.ndarray

    @classmethod
    def build(cls, encoded: _Encoded, weights: Weights) -> "_TopicTerms":
        w = weights.as_dict()
        block = _Block(encoded, slice(None))
        goals = block.counts(encoded.mentees.topics).astype(np.float64)
        counted = block.counted(w).astype(np.float64)
        expertise = encoded.mentors.topics.sum(axis=0).astype(np.float64)
        return cls(points=_share(100.0 * w["topics"] * (goals > 0), counted),
                   per_goal=_share(1.0, goals), per_expertise=_share(1.0, expertise))

    def mentor_view(self, encoded: _Encoded, i: int, columns: np.ndarray,
                    total: np.ndarray) -> np.ndarray:
        """The total of mentee i with these mentors, its topics term's points x |shared| /
        |goals| swapped for points x |shared| / |expertise|."""
        if not self.points[i]:
            return total
        shared = encoded.mentees.topics[i] @ encoded.mentors.topics[:, columns]
        view: np.ndarray = total + self.points[i] * shared * (self.per_expertise[columns]
                                                              - self.per_goal[i])
        clipped: np.ndarray = np.clip(view, 0.0, 100.0).astype(total.dtype)
        return clipped


def _share(value: float | np.ndarray, counts: np.ndarray) -> np.ndarray:
    """value / count (float64), 0 where the count is 0."""
    value = np.broadcast_to(np.asarray(value, dtype=np.float64), counts.shape)
    shares: np.ndarray = np.divide(value, counts, out=np.zeros(counts.shape), where=counts > 0)
    return shares


@dataclass
class ScoreTable:
    """Scores of all pairs: `total[i, j]` (float32, 0-100) and `feasible[i, j]` for mentee i
    and mentor j. Details of one pair, for display, come from `pair(i, j)`; the mentors' view
    of one mentee's pairs, when needed, from `mentor_view(i, columns)`."""

    mentees: list[Person]
    mentors: list[Person]
    total: np.ndarray
    feasible: np.ndarray
    weights: Weights = Weights()
    constraints: Constraints = Constraints()
    week_start: date | None = None
    encoded: _Encoded | None = field(default=None, repr=False, compare=False)
    _topic_terms: _TopicTerms | None = field(default=None, init=False, repr=False,
                                             compare=False)

    def __post_init__(self) -> None:
        self.mentees, self.mentors = list(self.mentees), list(self.mentors)
        shape = (len(self.mentees), len(self.mentors))
        if self.total.shape != shape or self.feasible.shape != shape:
            raise ValueError(f"total and feasible must have shape {shape}.")
        if self.total.size and not (self.total.min() >= 0 and self.total.max() <= 100):
            raise ValueError("Scores must be numbers from 0 to 100.")  # the solver's BIG
        self.row_of = _index_by_id(self.mentees, "mentee")
        self.column_of = _index_by_id(self.mentors, "mentor")

    def pair(self, i: int, j: int) -> PairScore:
        if self.week_start is None:
            raise ValueError("This table was built from arrays; it has no people to score.")
        return score_pair(self.mentees[i], self.mentors[j], self.weights, self.constraints,
                          self.week_start)

    def mentor_view(self, i: int, columns: np.ndarray | None = None) -> np.ndarray:
        """Each mentor's view of the pair with mentee i (0-100, of total's dtype; see the module
        docstring), for the given mentor columns (default: all), in their order. A table built
        from bare arrays knows no topics: its mentors see the pair as the total says."""
        columns = np.arange(len(self.mentors)) if columns is None else np.asarray(columns)
        total: np.ndarray = self.total[i, columns]  # a copy
        if self.encoded is None:
            return total
        if self._topic_terms is None:  # once per table: a few numbers per person
            self._topic_terms = _TopicTerms.build(self.encoded, self.weights)
        return self._topic_terms.mentor_view(self.encoded, i, columns, total)

    def blocker_counts(self, i: int) -> dict[str, int]:
        """For mentee i: how many mentors each kind of blocker rules out (nothing is known
        for a table built from bare arrays)."""
        if self.week_start is None:
            return {}
        if self.encoded is None:
            counts: dict[str, int] = {}
            for j in range(len(self.mentors)):
                for blocker in self.pair(i, j).blockers:
                    kind = LOW_OVERLAP if blocker.startswith("only ") else blocker
                    counts[kind] = counts.get(kind, 0) + 1
            return counts
        return _row_blockers(self, self.encoded, i)


def _row_blockers(table: ScoreTable, encoded: _Encoded, i: int) -> dict[str, int]:
    """blocker_counts for one mentee, vectorised over mentors (in score_pair's order)."""
    block, constraints = _Block(encoded, slice(i, i + 1)), table.constraints
    avoided = [m for e, m in constraints.avoid if e == block.e.ids[i]]
    masks = {SAME_PERSON: block.m.ids == block.e.ids[i]}
    if constraints.require_shared_language:
        masks[NO_LANGUAGE] = ~block.shares("languages")[0]
    masks[LOW_OVERLAP] = block.quarters()[0] < needed_quarters(constraints)
    masks[AVOIDED] = np.isin(block.m.ids, avoided)
    if constraints.group_rule == "same":
        masks[NOT_SAME_GROUP] = ~block.shares("groups")[0]
    elif constraints.group_rule == "different":
        masks[SAME_GROUP] = block.shares("groups")[0]
    return {kind: int(mask.sum()) for kind, mask in masks.items() if mask.any()}


def _index_by_id(people: list[Person], role: str) -> dict[int, int]:
    index = {p.id: k for k, p in enumerate(people)}
    if len(index) != len(people):
        raise ValueError(f"Each {role} may appear only once.")
    return index


def score_all(mentees: Sequence[Person], mentors: Sequence[Person], weights: Weights,
              constraints: Constraints, week_start: date) -> ScoreTable:
    """Every mentee against every mentor, vectorised (see the module docstring)."""
    check_week_start(week_start)
    mentees, mentors = list(mentees), list(mentors)
    _index_by_id(mentees, "mentee")  # fail on duplicates before the heavy work
    _index_by_id(mentors, "mentor")
    encoded = _Encoded.build(mentees, mentors, week_start)
    total = np.zeros((len(mentees), len(mentors)), dtype=np.float32)
    feasible = np.zeros((len(mentees), len(mentors)), dtype=bool)
    step = max(1, BLOCK_CELLS // max(1, len(mentors)))
    for start in range(0, len(mentees), step):
        rows = slice(start, start + step)
        _score_block(_Block(encoded, rows), weights, constraints, total[rows], feasible[rows])
    _forbid_pairs(feasible, mentees, mentors, constraints)
    return ScoreTable(mentees, mentors, total, feasible, weights, constraints, week_start,
                      encoded)


def _forbid_pairs(feasible: np.ndarray, mentees: list[Person], mentors: list[Person],
                  constraints: Constraints) -> None:
    """Rules about particular people: nobody mentors themself; staff's avoid list."""
    row = {p.id: i for i, p in enumerate(mentees)}
    column = {p.id: j for j, p in enumerate(mentors)}
    for person_id in row.keys() & column.keys():
        feasible[row[person_id], column[person_id]] = False
    for mentee_id, mentor_id in constraints.avoid:
        if mentee_id in row and mentor_id in column:
            feasible[row[mentee_id], column[mentor_id]] = False
