"""A cohort report for staff: how good the matches are across the board and how mentor loads
spread, so they can see that nobody was left with a poor match to raise the total."""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from lti_tool.matching.assignment import Matching
from lti_tool.matching.scoring import ScoreTable

LOWEST_SHOWN = 10
BUCKETS = [f"{low}-{low + 9}" for low in range(0, 90, 10)] + ["90-100"]


@dataclass
class CohortReport:
    policy: str
    matched: int
    unmatched: int
    total: float = 0.0
    min: float = 0.0
    median: float = 0.0
    mean: float = 0.0
    max: float = 0.0
    histogram: dict[str, int] = field(default_factory=dict)  # "60-69" -> pairs; all buckets
    loads: dict[int, int] = field(default_factory=dict)  # mentor id -> mentees (0 included)
    load_histogram: dict[int, int] = field(default_factory=dict)  # mentees -> mentors
    lowest: list[tuple[int, int, float]] = field(default_factory=list)  # (mentee, mentor, score)
    unmatched_reasons: dict[str, int] = field(default_factory=dict)  # kind of reason -> mentees


def cohort_report(table: ScoreTable, matching: Matching) -> CohortReport:
    scored = [(e, m, float(table.total[table.row_of[e], table.column_of[m]]))
              for e, m in matching.pairs]
    loads = dict.fromkeys((p.id for p in table.mentors), 0)
    loads.update(Counter(m for _, m in matching.pairs))
    report = CohortReport(
        policy=matching.policy, matched=len(matching.pairs), unmatched=len(matching.unmatched),
        total=matching.total, histogram=dict.fromkeys(BUCKETS, 0), loads=loads,
        load_histogram=dict(sorted(Counter(loads.values()).items())),
        lowest=sorted(scored, key=lambda pair: (pair[2], pair[0]))[:LOWEST_SHOWN],
        unmatched_reasons=dict(Counter(reason.split(": ")[0]  # the kind, not the details
                                       for reason in matching.unmatched.values()).most_common()))
    if scored:
        values = np.array([score for _, _, score in scored])
        report.min, report.max = float(values.min()), float(values.max())
        report.median, report.mean = float(np.median(values)), float(values.mean())
        counts = np.bincount(np.clip(values // 10, 0, 9).astype(int), minlength=len(BUCKETS))
        report.histogram = dict(zip(BUCKETS, map(int, counts), strict=True))
    return report
