"""A cohort report: how good the matches are across the board, and how loads spread, so staff
can see that nobody was left with a poor match to raise the total."""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from lti_tool.matching.assignment import Matching
from lti_tool.matching.scoring import ScoreTable


@dataclass
class CohortReport:
    matched: int
    unmatched: int
    min: float = 0.0
    median: float = 0.0
    mean: float = 0.0
    max: float = 0.0
    histogram: dict[str, int] = field(default_factory=dict)  # "60-69" → pairs
    loads: dict[int, int] = field(default_factory=dict)  # mentor id → mentees
    load_histogram: dict[int, int] = field(default_factory=dict)  # mentees → mentors
    lowest: list[tuple[int, int, float]] = field(default_factory=list)


def cohort_report(table: ScoreTable, matching: Matching) -> CohortReport:
    row = {p.id: i for i, p in enumerate(table.mentees)}
    col = {p.id: j for j, p in enumerate(table.mentors)}
    scored = [(e, m, float(table.total[row[e], col[m]])) for e, m in matching.pairs
              if e in row and m in col]
    loads = Counter(m for _, m, _ in scored)
    for mentor in table.mentors:
        loads.setdefault(mentor.id, 0)
    report = CohortReport(matched=len(matching.pairs), unmatched=len(matching.unmatched),
                          loads=dict(loads), load_histogram=dict(Counter(loads.values())))
    if scored:
        values = np.array([s for _, _, s in scored])
        report.min, report.max = float(values.min()), float(values.max())
        report.median, report.mean = float(np.median(values)), float(values.mean())
        buckets = Counter(min(int(v // 10) * 10, 90) for v in values)
        report.histogram = {f"{b}-{b + 9}": n for b, n in sorted(buckets.items())}
        report.lowest = sorted(scored, key=lambda t: t[2])[:5]
    return report
