"""Weekly availability across time zones, for one concrete reference week.

Each person ticks 30-minute slots in their own local time. For a given week (its Monday),
every slot becomes a real instant through `zoneinfo`, so daylight-saving changes are exact:
in the weeks of March when New York has moved its clocks and Berlin has not, their overlap
shifts by an hour. A local time that does not exist (skipped by a spring-forward change) is
read with the offset in force before the change (PEP 495, fold=0): the slot moves an hour
later rather than disappearing. The week is treated as cyclic: a Monday 01:00 slot in Tokyo
falls on the previous Sunday in UTC and is counted at the end of the UTC week.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from lti_tool.matching.profiles import Person

SLOT_MINUTES = 30
WEEK_SLOTS = 7 * 24 * 60 // SLOT_MINUTES  # 336


@lru_cache(maxsize=4096)
def _utc_index(timezone: str, week_start: date, day: int, minute: int) -> int:
    local = datetime.combine(week_start + timedelta(days=day), time(), ZoneInfo(timezone))
    local = local.replace(hour=minute // 60, minute=minute % 60)
    utc = local.astimezone(UTC)
    origin = datetime.combine(week_start, time(), UTC)
    offset = int((utc - origin).total_seconds() // 60) // SLOT_MINUTES
    return offset % WEEK_SLOTS


def utc_vector(person: Person, week_start: date) -> np.ndarray:
    """A boolean vector of the week's 336 UTC half-hours the person is available in."""
    vector = np.zeros(WEEK_SLOTS, dtype=bool)
    for day, minute in person.slots:
        vector[_utc_index(person.timezone, week_start, day, minute)] = True
    return vector


def overlap_hours(a: Person, b: Person, week_start: date) -> float:
    return float(np.count_nonzero(utc_vector(a, week_start) & utc_vector(b, week_start))) / 2


def common_slots(a: Person, b: Person, week_start: date) -> list[datetime]:
    """UTC starts of the half-hours both are available in, in week order."""
    shared = np.flatnonzero(utc_vector(a, week_start) & utc_vector(b, week_start))
    origin = datetime.combine(week_start, time(), UTC)
    return [origin + timedelta(minutes=int(i) * SLOT_MINUTES) for i in shared]
