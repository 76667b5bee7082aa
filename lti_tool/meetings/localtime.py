"""Local wall-clock times in IANA time zones, checked and said the way people say them.

A meeting is stored as a UTC instant; people pick and read it in their own zone. Two local
times need a decision instead of a guess:
- a time skipped when clocks spring forward (02:30 on 10 March 2024 in New York) does not
  exist, and is refused;
- a time that happens twice when clocks fall back (01:30 on 3 November 2024 in New York) is
  refused unless the caller says which one it means (PEP 495 `fold`: 0 the first, 1 the second).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from lti_tool.catalogue import N_

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class TimeZoneError(ValueError):
    """The name is not an IANA time zone."""


class LocalTimeError(ValueError):
    """A local time that cannot be turned into one instant."""


class NonexistentLocalTime(LocalTimeError):
    """The local time falls in the hour skipped when clocks spring forward."""

    def __init__(self, message: str, *, jump_from: datetime, jump_to: datetime):
        super().__init__(message)
        self.jump_from, self.jump_to = jump_from, jump_to  # naive wall times either side


class AmbiguousLocalTime(LocalTimeError):
    """The local time happens twice when clocks fall back; `choices` are both instants (UTC),
    earlier first, for fold=0 and fold=1."""

    def __init__(self, message: str, *, choices: tuple[datetime, datetime]):
        super().__init__(message)
        self.choices = choices


NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})  # files in the database, not zones


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_ZONES


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name such as "Europe/Berlin", or TimeZoneError."""
    if not isinstance(name, str) or not name.strip():
        raise TimeZoneError(N_("Choose a time zone, for example Europe/Berlin."))
    if name not in _known_zones():
        close = [known for known in _known_zones() if known.lower() == name.strip().lower()]
        hint = f" Did you mean {close[0]}?" if close else (
            " Use a name like Europe/Berlin or America/New_York.")
        raise TimeZoneError(f"{name!r} is not a time zone we know.{hint}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # listed but its data is unreadable
        raise TimeZoneError(f"{name!r} is not a time zone we know.") from exc


def validate_zone(name: str) -> str:
    """The name itself, once checked."""
    zone(name)
    return name


def to_utc(day: date, at: time, timezone: str, fold: int | None = None) -> datetime:
    """The UTC instant of the wall-clock `day` `at` in `timezone`.

    Raises NonexistentLocalTime in a spring-forward gap, and AmbiguousLocalTime in a fall-back
    overlap unless `fold` chooses the first (0) or second (1) of the two."""
    if fold not in (None, 0, 1):
        raise ValueError("fold must be None, 0 (the first of two) or 1 (the second).")
    tz = zone(timezone)
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        jump_from, jump_to = _transition_walls(tz, first, second)
        raise NonexistentLocalTime(
            f"{clock(naive)} on {long_date(naive)} does not exist in {timezone}: clocks jump "
            f"from {clock(jump_from)} to {clock(jump_to)}. Choose another time.",
            jump_from=jump_from, jump_to=jump_to)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    if fold is None:
        jump_from, jump_to = _transition_walls(tz, first, second)
        raise AmbiguousLocalTime(
            f"{clock(naive)} on {long_date(naive)} happens twice in {timezone}: clocks go back "
            f"from {clock(jump_from)} to {clock(jump_to)}. Choose the first "
            f"({_zone_label(first)}) or the second ({_zone_label(second)}).",
            choices=(first.astimezone(UTC), second.astimezone(UTC)))
    return (second if fold else first).astimezone(UTC)


def to_local(instant: datetime, timezone: str) -> datetime:
    """An aware instant as an aware datetime in `timezone`."""
    return require_aware(instant).astimezone(zone(timezone))


def require_aware(instant: datetime, what: str = "time") -> datetime:
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise ValueError(f"The {what} needs a time zone: pass an aware datetime, e.g. in UTC.")
    return instant


def offset_of(instant: datetime, what: str = "time") -> timedelta:
    """The UTC offset of an aware datetime: `utcoffset()`, refusing a naive one (its None)."""
    offset = instant.utcoffset()
    if offset is None:
        raise ValueError(f"The {what} needs a time zone: pass an aware datetime, e.g. in UTC.")
    return offset


def exists_as_written(instant: datetime, timezone: str) -> bool:
    """Whether the instant's local wall time in `timezone`, read back the usual way (the first
    of two when clocks fall back), is the same instant. False only for the second of two."""
    local = to_local(instant, timezone)
    return local.replace(fold=0).astimezone(UTC) == instant.astimezone(UTC)


def _transition_walls(tz: ZoneInfo, first: datetime, second: datetime) -> tuple[datetime,
                                                                                 datetime]:
    """The wall clock just before and just after the change between the two readings."""
    low, high = sorted((first.astimezone(UTC), second.astimezone(UTC)))
    before = offset_of(low.astimezone(tz))
    lo, hi = 0, int((high - low).total_seconds())  # the offset changes in (lo, hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if offset_of((low + timedelta(seconds=mid)).astimezone(tz)) == before:
            lo = mid
        else:
            hi = mid
    change = low + timedelta(seconds=hi)
    after = offset_of(change.astimezone(tz))
    return (change + before).replace(tzinfo=None), (change + after).replace(tzinfo=None)


def clock(moment: datetime | time) -> str:
    """24-hour wall time without a leading zero: "2:30", "14:00"."""
    return f"{moment.hour}:{moment.minute:02d}"


def long_date(moment: date) -> str:
    """ "10 March 2024" (no locale involved)."""
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def utc_offset(offset: timedelta) -> str:
    """ "UTC+1", "UTC-4", "UTC+5:45", "UTC"."""
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _abbreviation(local: datetime) -> str | None:
    """ "CET"; None where the zone has only numbers ("+0545" in Asia/Kathmandu)."""
    name = local.tzname()
    return None if not name or name.lstrip("+-").isdigit() else name


def _zone_label(local: datetime) -> str:
    name, offset = _abbreviation(local), utc_offset(offset_of(local))
    return f"{name}, {offset}" if name else offset


def place(timezone: str) -> str:
    """A place name for a zone: "Europe/Berlin" -> "Berlin", "America/New_York" -> "New York"."""
    return timezone.rsplit("/", 1)[-1].replace("_", " ")


@dataclass(frozen=True)
class ZonedTime:
    """One instant as read in one zone, as pieces a page or an e-mail can lay out."""

    timezone: str
    local: datetime  # aware, in `timezone`
    place: str  # "Berlin"
    weekday: str  # "Tue"
    day: str  # "12 Mar"
    clock: str  # "14:00"
    abbreviation: str  # "CET", or the offset where the zone has no abbreviation
    offset: str  # "UTC+1"
    day_shift: int = 0  # this local date minus the viewer's local date (-1, 0, 1)


@dataclass(frozen=True)
class ViewerTime:
    """A meeting start for a viewer: theirs first, the other person's local time beside it."""

    start_utc: datetime
    yours: ZonedTime
    theirs: ZonedTime | None = None

    def text(self) -> str:
        """ "Tue 12 Mar, 14:00 (your time) · 19:00 in Berlin"; the other person's date is said
        too when it is another day there ("· 01:00 Wed 13 Mar in Tokyo")."""
        mine = f"{self.yours.weekday} {self.yours.day}, {self.yours.clock} (your time)"
        if self.theirs is None:
            return mine
        other = self.theirs.clock
        if self.theirs.day_shift:
            other += f" {self.theirs.weekday} {self.theirs.day}"
        return f"{mine} · {other} in {self.theirs.place}"


def zoned(instant: datetime, timezone: str, viewer_date: date | None = None) -> ZonedTime:
    local = to_local(instant, timezone)
    shift = (local.date() - viewer_date).days if viewer_date else 0
    return ZonedTime(timezone=timezone, local=local, place=place(timezone),
                     weekday=WEEKDAYS[local.weekday()],
                     day=f"{local.day} {MONTHS[local.month - 1][:3]}", clock=f"{local:%H:%M}",
                     abbreviation=_abbreviation(local) or utc_offset(offset_of(local)),
                     offset=utc_offset(offset_of(local)), day_shift=shift)


def for_viewer(start_utc: datetime, viewer_timezone: str,
               other_timezone: str | None = None) -> ViewerTime:
    """The start as the viewer reads it, and as the other person does (when their zone is
    another zone)."""
    yours = zoned(start_utc, viewer_timezone)
    theirs = None
    if other_timezone and other_timezone != viewer_timezone:
        theirs = zoned(start_utc, other_timezone, yours.local.date())
    return ViewerTime(start_utc=start_utc.astimezone(UTC), yours=yours, theirs=theirs)
