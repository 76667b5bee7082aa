"""Weekly availability across time zones, for one concrete reference week.

People tick 30-minute slots in their own local time. For a reference week (its Monday,
`week_start`) each slot becomes a real instant through `zoneinfo`, so daylight-saving changes
are exact: in the weeks of March when New York has moved its clocks and Berlin has not, their
overlap shifts by an hour.

Choices, in order of how often they matter:
- The UTC week is a bit-set of 672 quarter-hours from `week_start` 00:00 UTC. Quarter-hours,
  not half-hours, because some zones are 45 minutes off the hour (Asia/Kathmandu, +05:45): a
  Kathmandu half-hour covers two UTC quarter-hours exactly instead of being rounded.
- Local day d of the slot is the date `week_start + d` in the person's zone. The week is
  cyclic: an instant before `week_start` or after the week (Tokyo's Monday 01:00 is Sunday
  16:00 UTC of the week before) is folded onto the same weekday and time of this UTC week,
  which is where it recurs.
- A local time that does not exist (skipped when clocks spring forward, e.g. 02:30 in New York
  on the second Sunday of March) is read with the offset in force before the change (PEP 495,
  fold=0): the slot lands an hour later, on the real 03:30, instead of vanishing or raising.
  A local time that occurs twice (clocks fall back) means its first occurrence.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from lti_tool.matching.profiles import DAY_MINUTES, SLOT_MINUTES, Person

QUARTER_MINUTES = 15
WEEK_QUARTERS = 7 * DAY_MINUTES // QUARTER_MINUTES  # 672
LOCAL_SLOTS = 7 * DAY_MINUTES // SLOT_MINUTES  # 336
QUARTERS_PER_SLOT = SLOT_MINUTES // QUARTER_MINUTES  # 2
QUARTERS_PER_HOUR = 60 // QUARTER_MINUTES


def check_week_start(week_start: date) -> None:
    if week_start.weekday() != 0:
        raise ValueError(f"The reference week must start on a Monday, not {week_start}.")


def week_origin(week_start: date) -> datetime:
    return datetime.combine(week_start, time(), UTC)


@lru_cache(maxsize=1024)
def slot_quarters(timezone: str, week_start: date) -> np.ndarray:
    """For each local slot 0..335 of the week, the UTC quarter-hour (0..671) it starts in."""
    check_week_start(week_start)
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone {timezone!r}.") from exc
    origin = week_origin(week_start)
    starts = np.empty(LOCAL_SLOTS, dtype=np.int64)
    for slot in range(LOCAL_SLOTS):
        day, minute = divmod(slot * SLOT_MINUTES, DAY_MINUTES)
        local = datetime.combine(week_start + timedelta(days=day),
                                 time(minute // 60, minute % 60), zone)  # fold=0, see above
        minutes = (local.astimezone(UTC) - origin) // timedelta(minutes=1)
        starts[slot] = minutes // QUARTER_MINUTES
    starts %= WEEK_QUARTERS
    starts.flags.writeable = False  # shared by the cache
    return starts


def week_matrix(people: list[Person], week_start: date) -> np.ndarray:
    """Boolean matrix [person, UTC quarter-hour]: the bit-set of each person's week."""
    matrix = np.zeros((len(people), WEEK_QUARTERS), dtype=bool)
    rows, quarters = [], []
    for row, person in enumerate(people):
        indices = person.local_slot_indices()
        if indices:
            rows.append(np.full(len(indices), row))
            quarters.append(slot_quarters(person.timezone, week_start)[indices])
    if rows:
        rows_flat, starts = np.concatenate(rows), np.concatenate(quarters)
        for step in range(QUARTERS_PER_SLOT):
            matrix[rows_flat, (starts + step) % WEEK_QUARTERS] = True
    return matrix


def week_vector(person: Person, week_start: date) -> np.ndarray:
    """The person's week as 672 booleans, one per UTC quarter-hour from week_start 00:00 UTC."""
    row: np.ndarray = week_matrix([person], week_start)[0]
    return row


def utc_intervals(person: Person, week_start: date) -> list[tuple[datetime, datetime]]:
    """The person's availability as merged UTC intervals (start, end) within the UTC week."""
    return _intervals(week_vector(person, week_start), week_start)


def shared_quarters(a: Person, b: Person, week_start: date) -> np.ndarray:
    shared: np.ndarray = week_vector(a, week_start) & week_vector(b, week_start)
    return shared


def overlap_hours(a: Person, b: Person, week_start: date) -> float:
    """Hours per week both are available, in the given reference week."""
    return quarters_to_hours(int(np.count_nonzero(shared_quarters(a, b, week_start))))


def quarters_to_hours(quarters: int) -> float:
    return quarters / QUARTERS_PER_HOUR


def common_slots(a: Person, b: Person, week_start: date) -> list[datetime]:
    """UTC starts of the shared 30-minute slots, in week order. Each run of shared time is cut
    into half-hours from its start (a run of 45 minutes gives one slot); with zones on the hour
    or half hour these are exactly the half-hours both ticked."""
    origin = week_origin(week_start)
    starts = []
    for start, length in _runs(shared_quarters(a, b, week_start)):
        for offset in range(0, length - QUARTERS_PER_SLOT + 1, QUARTERS_PER_SLOT):
            quarter = (start + offset) % WEEK_QUARTERS
            starts.append(origin + timedelta(minutes=quarter * QUARTER_MINUTES))
    return sorted(starts)


def _runs(vector: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True as (start quarter, length); a run may wrap from Sunday to Monday."""
    if vector.all():
        return [(0, WEEK_QUARTERS)]
    # Rotate so the week starts on a free quarter: no run then crosses the array's ends.
    shift = int(np.flatnonzero(~vector)[0])
    rolled = np.concatenate([[False], np.roll(vector, -shift), [False]]).astype(np.int8)
    edges = np.diff(rolled)
    begins, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [((int(s) + shift) % WEEK_QUARTERS, int(e - s)) for s, e in zip(begins, ends,
                                                                            strict=True)]


def _intervals(vector: np.ndarray, week_start: date) -> list[tuple[datetime, datetime]]:
    origin, quarter = week_origin(week_start), timedelta(minutes=QUARTER_MINUTES)
    intervals = []
    for start, length in _runs(vector):
        first = origin + start * quarter
        end = first + length * quarter
        if end > origin + timedelta(days=7):  # a run over Sunday midnight: split at the week
            intervals.append((first, origin + timedelta(days=7)))
            first, end = origin, end - timedelta(days=7)
        intervals.append((first, end))
    return sorted(intervals)
