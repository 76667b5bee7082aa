"""Concrete meeting times two people can both make, on real dates.

Weekly availability is ticked as 30-minute slots in each person's own zone (the intake's
`Profile.availability`: [weekday 0=Monday..6, start minute]). Matching reasons about one
reference week; a meeting happens on a date, so here every slot becomes a real UTC interval on
each date of the window, with that date's offset:
- in the weeks when New York has changed its clocks and Berlin has not (March, and late
  October to early November) their shared hours move by one hour, date by date;
- a slot in the hour skipped when clocks spring forward does not exist that day and gives
  nothing; a slot in the hour that happens twice when clocks fall back happens twice (the
  person is free at that wall-clock time, both times).
Candidates are cut from the shared time on a grid (`step`, 30 minutes by default) anchored at
the start of each free stretch, so on-the-hour availability gives on-the-hour starts.

`check_slot` refuses a chosen time in the past or one that overlaps a meeting the person
already has.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from lti_tool.meetings.localtime import require_aware, zone, zoned

SLOT_MINUTES = 30
DAY_MINUTES = 24 * 60
MIN_MINUTES, MAX_MINUTES = 15, 120  # a meeting's length; the product default is 30 to 60
MAX_WINDOW = timedelta(weeks=8)  # how far ahead candidates are listed


class SlotError(ValueError):
    """A proposed meeting time that cannot be used, with the reason in words."""


class TimeSpan(Protocol):
    """Anything with an aware `start` and `end`: an Interval, a meeting row."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


@dataclass(frozen=True)
class Interval:
    """[start, end) between two aware instants; `label` says what it is in messages."""

    start: datetime
    end: datetime
    label: str = ""

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError("An interval must end after it starts.")


@dataclass(frozen=True)
class WeeklyAvailability:
    """A person's week: 30-minute slots (weekday 0=Monday..6, start minute) in their zone."""

    timezone: str
    slots: frozenset[tuple[int, int]]

    def __post_init__(self) -> None:
        zone(self.timezone)
        for day, minute in self.slots:
            if not (0 <= day <= 6 and 0 <= minute < DAY_MINUTES and minute % SLOT_MINUTES == 0):
                raise ValueError(f"Slot {(day, minute)} is not a weekday 0-6 and a start minute "
                                 "on the hour or half hour.")

    @classmethod
    def from_profile(cls, availability: Iterable[Sequence[int]],
                     timezone: str) -> "WeeklyAvailability":
        """From `Profile.availability` ([[day, minute], ...]) and `Profile.timezone`."""
        return cls(timezone, frozenset((int(day), int(minute))
                                       for day, minute in availability or ()))


@dataclass(frozen=True)
class Candidate:
    """A start both can make, with the local time of each (aware, in their own zones)."""

    start: datetime  # UTC
    end: datetime  # UTC
    first_local: datetime
    second_local: datetime


def check_minutes(minutes: int) -> None:
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise SlotError(f"A meeting lasts from {MIN_MINUTES} to {MAX_MINUTES} minutes, "
                        f"not {minutes}.")


def next_weeks(now: datetime, weeks: int = 2) -> Interval:
    """The window from `now` to `weeks` weeks later."""
    require_aware(now, "current time")
    return Interval(now.astimezone(UTC), now.astimezone(UTC) + timedelta(weeks=weeks))


def free_intervals(person: WeeklyAvailability, window: Interval) -> list[Interval]:
    """The person's free time as merged UTC intervals, each whole stretch that touches the
    window (not cut at its edges, so the grid of starts does not depend on the window)."""
    _check_window(window)
    tz = zone(person.timezone)
    minutes_by_day: dict[int, list[int]] = {}
    for weekday, minute in person.slots:
        minutes_by_day.setdefault(weekday, []).append(minute)
    first = window.start.astimezone(tz).date() - timedelta(days=1)
    last = window.end.astimezone(tz).date() + timedelta(days=1)
    pieces = set()
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        for minute in minutes_by_day.get(day.weekday(), ()):
            pieces.update(_real_starts(day, minute, tz))
    slot = timedelta(minutes=SLOT_MINUTES)
    merged = _merge((start, start + slot) for start in pieces)
    return [Interval(start, end) for start, end in merged
            if end > window.start and start < window.end]


def _real_starts(day: date, minute: int, tz: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the local `day` `minute` happens: none in a spring-forward
    gap, two in a fall-back overlap, else one."""
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    starts = []
    for fold in (0, 1):
        instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == naive and instant not in starts:
            starts.append(instant)
    return starts


def common_slots(first: WeeklyAvailability, second: WeeklyAvailability, window: Interval,
                 minutes: int = 30, *, step: int = SLOT_MINUTES,
                 busy: Iterable[TimeSpan] = (), not_before: datetime | None = None
                 ) -> list[Candidate]:
    """Starts in the window where both are free for `minutes`, outside every `busy` interval
    (pass both people's meetings), not before `not_before` (usually now), in time order."""
    shared = _intersect(_spans(free_intervals(first, window)),
                        _spans(free_intervals(second, window)))
    first_zone, second_zone = zone(first.timezone), zone(second.timezone)
    return [Candidate(start, end, start.astimezone(first_zone), start.astimezone(second_zone))
            for start, end in _starts(shared, window, minutes, step, busy, not_before)]


def open_slots(person: WeeklyAvailability, window: Interval, minutes: int = 30, *,
               step: int = SLOT_MINUTES, busy: Iterable[TimeSpan] = (),
               not_before: datetime | None = None) -> list[Interval]:
    """A person's (a mentor's) free starts in the window that clash with none of `busy`."""
    free = _spans(free_intervals(person, window))
    return [Interval(start, end)
            for start, end in _starts(free, window, minutes, step, busy, not_before)]


def check_slot(start: datetime, minutes: int, *, now: datetime,
               busy: Iterable[TimeSpan] = (), who: str | None = None,
               timezone: str = "UTC") -> None:
    """Refuse (SlotError) a start in the past, a length out of range, or a time that overlaps
    one of `busy` (the meetings `who` already has; None: the viewer). `timezone` is the
    viewer's, for the times in the message."""
    require_aware(start, "start")
    check_minutes(minutes)
    if start < require_aware(now, "current time"):
        raise SlotError(f"{_when(start, timezone)} has already passed: choose a later time.")
    end = start + timedelta(minutes=minutes)
    for span in sorted(busy, key=lambda span: span.start):
        if span.start < end and start < span.end:
            what = getattr(span, "label", "") or "another meeting"
            whose = "you already have" if who is None else f"{who} already has"
            raise SlotError(f"This time overlaps {what} {whose} at {_when(span.start, timezone)}"
                            f"–{span.end.astimezone(zone(timezone)):%H:%M}.")


def _when(instant: datetime, timezone: str) -> str:
    """ "Tue 12 Mar, 14:00" in the viewer's zone ("... 14:00 UTC" when that is UTC)."""
    local = zoned(instant, timezone)
    return f"{local.weekday} {local.day}, {local.clock}" + (" UTC" if timezone == "UTC" else "")


def _check_window(window: Interval) -> None:
    if window.end - window.start > MAX_WINDOW:
        raise SlotError(f"Look at most {MAX_WINDOW.days // 7} weeks ahead.")


Span = tuple[datetime, datetime]


def _spans(intervals: Iterable[TimeSpan]) -> list[Span]:
    return [(span.start.astimezone(UTC), span.end.astimezone(UTC)) for span in intervals]


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _intersect(a: list[Span], b: list[Span]) -> list[Span]:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _subtract(free: list[Span], busy: list[Span]) -> list[Span]:
    out = []
    for start, end in free:
        for busy_start, busy_end in busy:
            if busy_end <= start or busy_start >= end:
                continue
            if busy_start > start:
                out.append((start, busy_start))
            start = max(start, busy_end)
            if start >= end:
                break
        if start < end:
            out.append((start, end))
    return out


def _starts(free: list[Span], window: Interval, minutes: int, step: int,
            busy: Iterable[TimeSpan], not_before: datetime | None) -> list[Span]:
    check_minutes(minutes)
    if step <= 0:
        raise ValueError("step must be a positive number of minutes.")
    earliest = window.start.astimezone(UTC)
    if not_before is not None:
        earliest = max(earliest, require_aware(not_before, "not_before").astimezone(UTC))
    length, stride = timedelta(minutes=minutes), timedelta(minutes=step)
    starts = []
    for start, end in _subtract(free, _merge(_spans(busy))):
        if start < earliest:  # keep the grid of this stretch, skip its past part
            start += -((start - earliest) // stride) * stride
        while start + length <= end and start + length <= window.end:
            starts.append((start, start + length))
            start += stride
    return starts
