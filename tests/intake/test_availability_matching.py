"""A learner in Tokyo free 07:00-09:00 is matchable (pure matching, no Flask): the mentor in
Berlin who can meet then ticks 23:00-01:00, hours the old 06:00-22:00 grid did not have."""

from lti_tool.matching.assignment import optimal
from lti_tool.matching.availability import overlap_hours
from lti_tool.matching.profiles import Constraints, Weights
from lti_tool.matching.scoring import score_all
from tests.support.matching import WINTER, hours, person

WEEKDAYS = range(5)


def _week(start: str, end: str, days=WEEKDAYS) -> set[tuple[int, int]]:
    return set().union(*(hours(day, start, end) for day in days))


TOKYO_LEARNER = person(1, "Asia/Tokyo", _week("07:00", "09:00"), topics={"Leadership"})
# Tokyo's Tuesday 07:00-09:00 is Berlin's Monday 23:00 to Tuesday 01:00 (winter, UTC+1).
BERLIN_LATE = person(10, "Europe/Berlin",
                     _week("23:00", "24:00", range(0, 4)) | _week("00:00", "01:00", range(1, 5)),
                     topics={"Leadership"}, capacity=1)
BERLIN_OLD_GRID = person(11, "Europe/Berlin", _week("06:00", "22:00"), topics={"Leadership"},
                         capacity=1)


def test_a_tokyo_morning_meets_a_berlin_late_evening():
    assert overlap_hours(TOKYO_LEARNER, BERLIN_LATE, WINTER) == 8.0  # 4 evenings x 2 hours
    assert overlap_hours(TOKYO_LEARNER, BERLIN_OLD_GRID, WINTER) == 0.0


def test_the_tokyo_learner_is_matched():
    table = score_all([TOKYO_LEARNER], [BERLIN_OLD_GRID, BERLIN_LATE], Weights(), Constraints(),
                      WINTER)
    matching = optimal(table)
    assert matching.pairs == [(1, 10)] and not matching.unmatched
    alone = optimal(score_all([TOKYO_LEARNER], [BERLIN_OLD_GRID], Weights(), Constraints(),
                              WINTER))
    assert alone.pairs == [] and 1 in alone.unmatched
