"""The cohort report staff read: score spread, mentor loads, the weakest pairs."""

import numpy as np

from lti_tool.matching import assignment, report
from lti_tool.matching.profiles import Person
from lti_tool.matching.scoring import ScoreTable


def table() -> ScoreTable:
    return ScoreTable(
        mentees=[Person(i, "UTC", frozenset()) for i in (1, 2, 3, 4)],
        mentors=[Person(10, "UTC", frozenset(), capacity=2),
                 Person(11, "UTC", frozenset(), capacity=1),
                 Person(12, "UTC", frozenset(), capacity=1)],
        total=np.array([[95, 40, 0], [62, 100, 0], [15, 5, 0], [0, 0, 0]], dtype=np.float32),
        feasible=np.array([[1, 1, 0], [1, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=bool))


def test_the_report_shows_spread_loads_and_the_weakest_pairs():
    matching = assignment.optimal(table())
    assert sorted(matching.pairs) == [(1, 10), (2, 11), (3, 10)]
    cohort = report.cohort_report(table(), matching)
    assert (cohort.policy, cohort.matched, cohort.unmatched) == ("optimal", 3, 1)
    assert cohort.total == 210
    assert (cohort.min, cohort.median, cohort.max) == (15, 95, 100)
    assert cohort.mean == 70
    assert cohort.histogram == {"0-9": 0, "10-19": 1, "20-29": 0, "30-39": 0, "40-49": 0,
                                "50-59": 0, "60-69": 0, "70-79": 0, "80-89": 0, "90-100": 2}
    assert cohort.loads == {10: 2, 11: 1, 12: 0}
    assert cohort.load_histogram == {0: 1, 1: 1, 2: 1}
    assert cohort.lowest == [(3, 10, 15.0), (1, 10, 95.0), (2, 11, 100.0)]
    assert cohort.unmatched_reasons == {"no feasible mentor": 1}


def test_an_empty_matching_reports_zeros():
    cohort = report.cohort_report(table(), assignment.Matching([], 0.0, {1: "excluded by staff"},
                                                               "stable"))
    assert (cohort.matched, cohort.unmatched, cohort.min, cohort.max) == (0, 1, 0, 0)
    assert sum(cohort.histogram.values()) == 0 and cohort.lowest == []
    assert cohort.loads == {10: 0, 11: 0, 12: 0} and cohort.load_histogram == {0: 3}
    assert cohort.unmatched_reasons == {"excluded by staff": 1}
