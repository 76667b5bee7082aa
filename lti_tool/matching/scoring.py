"""Compatibility of every mentee with every mentor, with a per-criterion breakdown.

Each criterion is a fit in [0, 1]:
- topics: the share of the mentee's goals the mentor lists as expertise;
- languages: 1 when they share a language;
- availability: weekly overlap in hours, full marks from `FULL_OVERLAP_HOURS`;
- modality: 1 when they prefer the same way to meet;
- questions: the share of program questions the mentee answered where the mentor chose a
  same answer.
The total is 100 × the weighted mean of the fits (weights from the program); the breakdown
gives each criterion's points, so the breakdown sums to the total. Hard constraints make a
pair infeasible, with the reasons in plain words.

`score_all` computes whole matrices with numpy (matrix products of 0/1 indicator matrices),
which is what makes 10,000 × 2,500 programs fast; `score_pair` is the same arithmetic for one
pair, used for display and checked against `score_all` by the tests.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from lti_tool.matching.availability import utc_vector
from lti_tool.matching.profiles import Constraints, Person, Weights

FULL_OVERLAP_HOURS = 4.0
CRITERIA = ("topics", "languages", "availability", "modality", "questions")


@dataclass(frozen=True)
class PairScore:
    mentee_id: int
    mentor_id: int
    total: float
    breakdown: dict[str, float]
    feasible: bool
    blockers: tuple[str, ...]
    overlap_hours: float
    shared_topics: tuple[str, ...]
    shared_languages: tuple[str, ...]


def _fits(mentee: Person, mentor: Person, overlap: float) -> dict[str, float]:
    shared_topics = mentee.topics & mentor.topics
    answered = [q for q, a in mentee.answers.items() if a]
    agreed = [q for q in answered if mentee.answers[q] & mentor.answers.get(q, frozenset())]
    return {
        "topics": len(shared_topics) / len(mentee.topics) if mentee.topics else 0.0,
        "languages": 1.0 if mentee.languages & mentor.languages else 0.0,
        "availability": min(overlap / FULL_OVERLAP_HOURS, 1.0),
        "modality": 1.0 if mentee.modality == mentor.modality else 0.0,
        "questions": len(agreed) / len(answered) if answered else 0.0,
    }


def _blockers(mentee: Person, mentor: Person, overlap: float,
              constraints: Constraints) -> tuple[str, ...]:
    reasons = []
    if mentee.id == mentor.id:
        reasons.append("same person")
    if constraints.require_shared_language and not mentee.languages & mentor.languages:
        reasons.append("no shared language")
    if overlap < constraints.min_overlap_hours:
        needed = constraints.min_overlap_hours
        reasons.append(f"only {overlap:g} h weekly overlap (needs {needed:g})")
    if (mentee.id, mentor.id) in constraints.avoid:
        reasons.append("asked not to be paired")
    shares_group = bool(mentee.groups & mentor.groups)
    if constraints.group_rule == "same" and not shares_group:
        reasons.append("not in the same group")
    if constraints.group_rule == "different" and shares_group:
        reasons.append("in the same group")
    return tuple(reasons)


def _normalised(weights: Weights) -> dict[str, float]:
    raw = {k: max(0.0, float(v)) for k, v in weights.as_dict().items()}
    total = sum(raw.values())
    return {k: (v / total if total else 0.0) for k, v in raw.items()}


def score_pair(mentee: Person, mentor: Person, weights: Weights, constraints: Constraints,
               week_start: date) -> PairScore:
    overlap = float(np.count_nonzero(utc_vector(mentee, week_start)
                                     & utc_vector(mentor, week_start))) / 2
    share = _normalised(weights)
    fits = _fits(mentee, mentor, overlap)
    breakdown = {c: 100.0 * share[c] * fits[c] for c in CRITERIA}
    blockers = _blockers(mentee, mentor, overlap, constraints)
    return PairScore(mentee.id, mentor.id, sum(breakdown.values()), breakdown, not blockers,
                     blockers, overlap, tuple(sorted(mentee.topics & mentor.topics)),
                     tuple(sorted(mentee.languages & mentor.languages)))


@dataclass
class ScoreTable:
    """Scores of all pairs: `total[i, j]` and `feasible[i, j]` for mentee i and mentor j."""

    mentees: list[Person]
    mentors: list[Person]
    total: np.ndarray
    feasible: np.ndarray
    weights: Weights
    constraints: Constraints
    week_start: date

    def pair(self, i: int, j: int) -> PairScore:
        return score_pair(self.mentees[i], self.mentors[j], self.weights, self.constraints,
                          self.week_start)


def _indicator(sets: Sequence[frozenset], vocabulary: dict) -> np.ndarray:
    matrix = np.zeros((len(sets), max(len(vocabulary), 1)), dtype=np.float32)
    for row, values in enumerate(sets):
        for value in values:
            matrix[row, vocabulary[value]] = 1.0
    return matrix


def _vocabulary(*groups: Sequence[frozenset]) -> dict:
    values = sorted({v for group in groups for s in group for v in s}, key=str)
    return {v: i for i, v in enumerate(values)}


def _shared(left: Sequence[frozenset], right: Sequence[frozenset]) -> np.ndarray:
    vocabulary = _vocabulary(left, right)
    return _indicator(left, vocabulary) @ _indicator(right, vocabulary).T


def _question_fit(mentees, mentors) -> np.ndarray:
    questions = sorted({q for p in mentees for q, a in p.answers.items() if a})
    agreed = np.zeros((len(mentees), len(mentors)), dtype=np.float32)
    answered = np.zeros(len(mentees), dtype=np.float32)
    for q in questions:
        mine = [p.answers.get(q, frozenset()) for p in mentees]
        answered += np.array([1.0 if a else 0.0 for a in mine], dtype=np.float32)
        agreed += _shared(mine, [p.answers.get(q, frozenset()) for p in mentors]) > 0
    return np.divide(agreed, answered[:, None], out=np.zeros_like(agreed),
                     where=answered[:, None] > 0)


def score_all(mentees: Sequence[Person], mentors: Sequence[Person], weights: Weights,
              constraints: Constraints, week_start: date) -> ScoreTable:
    mentees, mentors = list(mentees), list(mentors)
    share = _normalised(weights)
    overlap = (np.array([utc_vector(p, week_start) for p in mentees], dtype=np.float32).reshape(
        len(mentees), -1) @ np.array([utc_vector(p, week_start) for p in mentors],
                                     dtype=np.float32).reshape(len(mentors), -1).T) / 2
    topic_counts = np.array([len(p.topics) for p in mentees], dtype=np.float32)[:, None]
    topics = np.divide(_shared([p.topics for p in mentees], [p.topics for p in mentors]),
                       topic_counts, out=np.zeros((len(mentees), len(mentors)), np.float32),
                       where=topic_counts > 0)
    languages = _shared([p.languages for p in mentees], [p.languages for p in mentors]) > 0
    modality = _shared([frozenset([p.modality]) for p in mentees],
                       [frozenset([p.modality]) for p in mentors]) > 0
    total = 100.0 * (share["topics"] * topics + share["languages"] * languages
                     + share["availability"] * np.minimum(overlap / FULL_OVERLAP_HOURS, 1.0)
                     + share["modality"] * modality)
    if share["questions"]:
        total += 100.0 * share["questions"] * _question_fit(mentees, mentors)
    feasible = overlap >= constraints.min_overlap_hours
    if constraints.require_shared_language:
        feasible &= languages
    feasible &= _rule_mask(mentees, mentors, constraints)
    return ScoreTable(mentees, mentors, total.astype(np.float32), feasible, weights,
                      constraints, week_start)


def _rule_mask(mentees, mentors, constraints: Constraints) -> np.ndarray:
    mask = np.ones((len(mentees), len(mentors)), dtype=bool)
    if constraints.group_rule in ("same", "different"):
        shares = _shared([p.groups for p in mentees], [p.groups for p in mentors]) > 0
        mask &= shares if constraints.group_rule == "same" else ~shares
    row = {p.id: i for i, p in enumerate(mentees)}
    column = {p.id: j for j, p in enumerate(mentors)}
    for person_id in row.keys() & column.keys():
        mask[row[person_id], column[person_id]] = False
    for mentee_id, mentor_id in constraints.avoid:
        if mentee_id in row and mentor_id in column:
            mask[row[mentee_id], column[mentor_id]] = False
    return mask
