"""Recurring meetings: weekly, every two weeks or monthly, until a date or for a count.

A series keeps its wall-clock time in the organiser's zone: a 09:00 New York meeting stays at
09:00 in New York across the change to summer time (and so moves by an hour for someone in
Berlin, for the weeks when only one of the two has changed). The rule is written once as an
iCalendar RRULE (`rrule_string`) and expanded from that same text with python-dateutil, so the
dates Pairwise shows are the dates a calendar program computes from the .ics file.

- "monthly" means the same weekday of the month ("the 2nd Tuesday"; a start in the 5th week
  means "the last Tuesday"): weekly availability is by weekday, so the series stays on a day
  both people are free, where "the 31st" would skip months.
- An occurrence whose wall time does not exist that day (clocks spring forward) is read with
  the offset before the change, an hour later in real time, and one that happens twice (clocks
  fall back) means the first: RFC 5545 section 3.3.5, the reading calendar programs use.
- Exceptions name an occurrence by its original start (the iCalendar RECURRENCE-ID):
  cancelled ones are dropped (EXDATE), moved ones get a new start (an override VEVENT).
- A series is bounded: at most MAX_OCCURRENCES occurrences, however they are specified.
"""

import functools
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType

from dateutil.rrule import rrulestr

from lti_tool.catalogue import N_
from lti_tool.meetings.localtime import (
    WEEKDAYS,
    exists_as_written,
    long_date,
    require_aware,
    to_local,
    zone,
)

FREQUENCIES = ("weekly", "biweekly", "monthly")
MAX_OCCURRENCES = 52
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class RecurrenceError(ValueError):
    """A series that cannot be scheduled, with the reason in words."""


@dataclass(frozen=True)
class Recurrence:
    """How a series repeats, and its exceptions. Exactly one of `count` and `until` (the last
    local date, in the organiser's zone, an occurrence may fall on). Exception instants are
    kept in UTC."""

    frequency: str  # "weekly" | "biweekly" | "monthly"
    count: int | None = None
    until: date | None = None
    cancelled: frozenset[datetime] = frozenset()  # original starts of cancelled occurrences
    # Original start -> new start of moved occurrences. Left out of hashing: a dict cannot be.
    moved: Mapping[datetime, datetime] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise RecurrenceError(f"A series repeats {', '.join(FREQUENCIES[:-1])} or "
                                  f"{FREQUENCIES[-1]}, not {self.frequency!r}.")
        if (self.count is None) == (self.until is None):
            raise RecurrenceError(N_("Say how long the series runs: a number of meetings or an "
                                  "end date, not both."))
        if self.count is not None and not 1 <= self.count <= MAX_OCCURRENCES:
            raise RecurrenceError(f"A series has from 1 to {MAX_OCCURRENCES} meetings, "
                                  f"not {self.count}.")
        if self.until is not None and (not isinstance(self.until, date)
                                       or isinstance(self.until, datetime)):
            raise RecurrenceError(N_("The end of a series is a date (the last day it may meet)."))
        cancelled = frozenset(_utc(moment, "cancelled occurrence") for moment in self.cancelled)
        moved = {_utc(old, "moved occurrence"): _utc(new, "new time")
                 for old, new in self.moved.items()}
        both = cancelled & moved.keys()
        if both:
            raise RecurrenceError(N_("An occurrence cannot be both cancelled and moved."))
        object.__setattr__(self, "cancelled", cancelled)
        object.__setattr__(self, "moved", MappingProxyType(moved))

    def cancel(self, original_start: datetime) -> "Recurrence":
        """This series with one more occurrence cancelled (a moved one loses its move)."""
        original = _utc(original_start, "cancelled occurrence")
        moved = {old: new for old, new in self.moved.items() if old != original}
        return replace(self, cancelled=self.cancelled | {original}, moved=moved)

    def move(self, original_start: datetime, new_start: datetime) -> "Recurrence":
        """This series with one occurrence (named by its original start) moved."""
        original = _utc(original_start, "moved occurrence")
        if original in self.cancelled:
            raise RecurrenceError(N_("That occurrence is cancelled; it cannot be moved."))
        return replace(self, moved={**self.moved, original: _utc(new_start, "new time")})


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a series. `original_start` is where the rule puts it (its identity, the
    RECURRENCE-ID); `start` is where it happens."""

    original_start: datetime  # UTC
    start: datetime  # UTC
    end: datetime  # UTC

    @property
    def moved(self) -> bool:
        return self.start != self.original_start


def _utc(moment: datetime, what: str) -> datetime:
    return require_aware(moment, what).astimezone(UTC)


def rrule_string(first_start: datetime, timezone: str, recurrence: Recurrence) -> str:
    """The iCalendar RRULE value for a series whose first meeting starts at `first_start`,
    e.g. "FREQ=WEEKLY;INTERVAL=2;COUNT=6" or "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20240630T035959Z"
    (UNTIL in UTC, as RFC 5545 requires when DTSTART has a TZID: the end of the `until` date
    in the organiser's zone)."""
    local = _first_local(first_start, timezone)
    if recurrence.frequency == "monthly":
        week = (local.day - 1) // 7 + 1
        parts = ["FREQ=MONTHLY", f"BYDAY={-1 if week == 5 else week}{RRULE_DAYS[local.weekday()]}"]
    else:
        parts = ["FREQ=WEEKLY"] + (["INTERVAL=2"] if recurrence.frequency == "biweekly" else [])
    if recurrence.count is not None:
        parts.append(f"COUNT={recurrence.count}")
    else:
        until = recurrence.until
        assert until is not None  # Recurrence.__post_init__: exactly one of count and until
        if until < local.date():
            raise RecurrenceError(f"The series would end ({long_date(until)}) before "
                                  f"its first meeting ({long_date(local.date())}).")
        last = datetime.combine(until, time(23, 59, 59), zone(timezone))
        parts.append(f"UNTIL={last.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    return ";".join(parts)


def rule_starts(first_start: datetime, timezone: str, recurrence: Recurrence) -> list[datetime]:
    """The UTC starts the rule gives, before exceptions (at most MAX_OCCURRENCES)."""
    return list(cached_rule_starts(first_start.astimezone(UTC), timezone, recurrence.frequency,
                             recurrence.count, recurrence.until))


@functools.lru_cache(maxsize=8192)
def cached_rule_starts(first_start: datetime, timezone: str, frequency: str, count: int | None,
                 until: date | None) -> tuple[datetime, ...]:
    """Pure and hot (the staff dashboard expands every pair's series): cached, and weekly
    series step the wall clock directly, which is what the RRULE means (tests check it
    against dateutil's expansion, which monthly series still use)."""
    recurrence = Recurrence(frequency, count=count, until=until)
    local = _first_local(first_start, timezone)
    rule_text = rrule_string(first_start, timezone, recurrence)
    moments: Iterator[datetime]
    if frequency == "monthly":
        moments = itertools.islice(rrulestr(rule_text, dtstart=local), MAX_OCCURRENCES + 1)
    else:
        moments = _weekly(local, 14 if frequency == "biweekly" else 7, count, until, timezone)
    starts = tuple(moment.astimezone(UTC) for moment in moments)
    if len(starts) > MAX_OCCURRENCES:
        raise RecurrenceError(f"This series would have more than {MAX_OCCURRENCES} meetings: "
                              "choose an earlier end date or a number of meetings.")
    return starts


def _weekly(local: datetime, days: int, count: int | None, until: date | None,
            timezone: str) -> Iterator[datetime]:
    """Same wall time every `days` days; a time a DST change skips is read with the offset
    before the change (fold=0), one that happens twice as the first: as RFC 5545 says."""
    tz = zone(timezone)
    wall = local.replace(tzinfo=None)
    last = datetime.combine(until, time(23, 59, 59), tz).astimezone(UTC) if until else None
    for n in range(MAX_OCCURRENCES + 1):
        if count is not None and n >= count:
            return
        moment = (wall + timedelta(days=days * n)).replace(tzinfo=tz, fold=0)
        if last is not None and moment.astimezone(UTC) > last:
            return
        yield moment


def expand(first_start: datetime, duration: timedelta, timezone: str,
           recurrence: Recurrence) -> list[Occurrence]:
    """The meetings of the series, cancelled ones left out and moved ones at their new time,
    in time order. Refuses exceptions that name no occurrence of the rule, and moves that make
    two meetings of the series overlap."""
    if duration <= timedelta(0):
        raise RecurrenceError(N_("A meeting must end after it starts."))
    starts = rule_starts(first_start, timezone, recurrence)
    known = set(starts)
    for original in sorted(recurrence.cancelled | recurrence.moved.keys()):
        if original not in known:
            raise RecurrenceError(f"The series has no meeting at {_said(original, timezone)}.")
    occurrences = sorted(
        (Occurrence(original, new, new + duration) for original in starts
         if original not in recurrence.cancelled
         for new in [recurrence.moved.get(original, original)]),
        key=lambda occurrence: occurrence.start)
    for before, after in itertools.pairwise(occurrences):
        if after.start < before.end:
            moved = after if after.moved else before
            raise RecurrenceError(f"The meeting moved to {_said(moved.start, timezone)} would "
                                  "overlap another meeting of the same series.")
    return occurrences


def _first_local(first_start: datetime, timezone: str) -> datetime:
    if not exists_as_written(first_start, timezone):
        raise RecurrenceError(N_("A series cannot start in the hour that happens twice when "
                              "clocks go back: choose another time."))
    return to_local(first_start, timezone)


def _said(instant: datetime, timezone: str) -> str:
    local = to_local(instant, timezone)
    return f"{WEEKDAYS[local.weekday()]} {long_date(local)}, {local:%H:%M} ({timezone})"
