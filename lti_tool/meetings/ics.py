"""iCalendar (RFC 5545) files for meetings, built with the `icalendar` library: one .ics file
per meeting, e-mail invitations that update the event already in people's calendars (iTIP,
RFC 5546), and a private feed per person.

- METHOD:REQUEST invites or updates: the UID stays the same for the life of a meeting and the
  caller raises SEQUENCE with every change of time or place, so Outlook and Google replace the
  event instead of adding one. METHOD:CANCEL removes the meeting (or, with a RECURRENCE-ID, one
  meeting of a series). METHOD:PUBLISH is for a downloaded file and the feed.
- Times are written in the organiser's zone (DTSTART;TZID=America/New_York:...) with a
  VTIMEZONE for that zone, so a series keeps its wall-clock time across daylight-saving
  changes. A series is one VEVENT with RRULE and EXDATE (cancelled occurrences) plus one
  override VEVENT per moved occurrence (same UID, RECURRENCE-ID = the original start).
- The VTIMEZONE is made here from zoneinfo's transitions over the years the calendar uses.
  icalendar 7.3's Timezone.from_tzinfo writes each change to summer time at the new wall time
  (DTSTART:...T030000 with TZOFFSETFROM:-0500 for New York), which RFC 5545 readers, icalendar's
  own included, take as an hour late; here DTSTART is the wall time before the change (02:00),
  as in the RFC's examples.
- A wall time that happens twice (clocks fall back) is read as the first; a meeting at the
  second is written in UTC (...Z), which is exact.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
    vRecur,
)

from lti_tool.meetings.links import CONTROL_OR_SPACE, validate_link
from lti_tool.meetings.localtime import exists_as_written, offset_of, require_aware, zone
from lti_tool.meetings.recurrence import Recurrence, expand, rrule_string, rule_starts
from lti_tool.timeutil import utcnow

PRODID = "-//Pairwise//Meetings//EN"
METHODS = ("PUBLISH", "REQUEST", "CANCEL")
FEED_REFRESH = timedelta(hours=1)


class IcsError(ValueError):
    """A meeting that cannot be written as iCalendar, with the reason in words."""


@dataclass(frozen=True)
class Party:
    """An organiser or attendee: an e-mail address, and a name to show."""

    email: str
    name: str = ""

    def __post_init__(self) -> None:
        local, at, domain = self.email.partition("@")
        if not (local and at and "." in domain) or CONTROL_OR_SPACE.search(self.email) or any(
                char in self.email for char in ':;,<>"'):
            raise IcsError(f"{self.email!r} is not an e-mail address.")

    def address(self, role: str | None = None) -> vCalAddress:
        address = vCalAddress(f"mailto:{self.email}")
        if self.name:
            address.params["CN"] = self.name
        if role:
            address.params.update({"CUTYPE": "INDIVIDUAL", "ROLE": role,
                                   "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"})
        return address


@dataclass(frozen=True)
class MeetingEvent:
    """One meeting or series as the calendar sees it. `start_utc`/`end_utc` are the first
    meeting's; `timezone` is the organiser's, in which the times are written and repeat."""

    uid: str
    sequence: int
    start_utc: datetime
    end_utc: datetime
    timezone: str
    title: str
    description: str = ""
    url: str | None = None  # the video link
    location: str | None = None  # where to meet in person
    organizer: Party | None = None
    attendees: tuple[Party, ...] = ()
    recurrence: Recurrence | None = None
    cancelled: bool = False

    def __post_init__(self) -> None:
        if not self.uid or CONTROL_OR_SPACE.search(self.uid):
            raise IcsError("A meeting needs a UID without spaces (see new_uid).")
        if not isinstance(self.sequence, int) or self.sequence < 0:
            raise IcsError("SEQUENCE is a whole number from 0 up.")
        require_aware(self.start_utc, "start")
        require_aware(self.end_utc, "end")
        if self.end_utc <= self.start_utc:
            raise IcsError("A meeting must end after it starts.")
        zone(self.timezone)
        if not self.title.strip():
            raise IcsError("A meeting needs a title.")
        if self.url is not None:
            validate_link(self.url)
        if self.recurrence is not None:  # refuses a bad rule or exceptions now, not on send
            expand(self.start_utc, self.duration, self.timezone, self.recurrence)

    @property
    def duration(self) -> timedelta:
        return self.end_utc - self.start_utc


def new_uid(domain: str = "pairwise") -> str:
    """A UID for a new meeting; keep it for the meeting's whole life."""
    return f"{uuid.uuid4()}@{domain}"


def meeting_file(event: MeetingEvent, *, now: datetime | None = None) -> bytes:
    """The .ics file to download for one meeting or series (METHOD:PUBLISH)."""
    return _serialised(build_calendar([event], "PUBLISH", now=now))


def invitation(event: MeetingEvent, *, now: datetime | None = None) -> bytes:
    """The iTIP REQUEST to e-mail for a new or changed meeting (raise SEQUENCE on changes)."""
    _check_itip(event)
    return _serialised(build_calendar([event], "REQUEST", now=now))


def cancellation(event: MeetingEvent, *, now: datetime | None = None) -> bytes:
    """The iTIP CANCEL for the whole meeting or series (with a SEQUENCE above the last sent)."""
    _check_itip(event)
    return _serialised(build_calendar([replace(event, cancelled=True)], "CANCEL", now=now))


def occurrence_cancellation(event: MeetingEvent, original_start: datetime, *,
                            now: datetime | None = None) -> bytes:
    """The iTIP CANCEL for one meeting of a series, named by its original start."""
    _check_itip(event)
    if event.recurrence is None:
        raise IcsError("Only a meeting of a series can be cancelled on its own.")
    original = require_aware(original_start, "occurrence").astimezone(UTC)
    if original not in rule_starts(event.start_utc, event.timezone, event.recurrence):
        raise IcsError("The series has no meeting at that time.")
    new_start = event.recurrence.moved.get(original, original)
    calendar = _calendar("CANCEL")
    used = _Used()
    vevent = _vevent(event, new_start, new_start + event.duration, used,
                     _stamp(now), status="CANCELLED")
    vevent.add("recurrence-id", _ical_time(original, event.timezone, used))
    calendar.add_component(vevent)
    _add_timezones(calendar, used)
    return _serialised(calendar)


def feed(events: Iterable[MeetingEvent], *, name: str = "Pairwise meetings",
         now: datetime | None = None) -> bytes:
    """One person's private feed of all their meetings (METHOD:PUBLISH). Cancelled meetings
    given here are shown as cancelled; leave out the ones not worth showing."""
    calendar = build_calendar(list(events), "PUBLISH", now=now)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    return _serialised(calendar)


def build_calendar(events: Sequence[MeetingEvent], method: str, *,
                   now: datetime | None = None) -> Calendar:
    """The VCALENDAR for these events: their VEVENTs (and overrides), then the VTIMEZONEs."""
    if method not in METHODS:
        raise IcsError(f"METHOD is one of {', '.join(METHODS)}, not {method!r}.")
    stamp, used = _stamp(now), _Used()
    calendar = _calendar(method)
    for event in events:
        for vevent in _vevents(event, stamp, used, series=method != "CANCEL"):
            calendar.add_component(vevent)
    _add_timezones(calendar, used)
    return calendar


def _check_itip(event: MeetingEvent) -> None:
    if event.organizer is None or not event.attendees:
        raise IcsError("An invitation needs the organiser's and the attendees' e-mail "
                       "addresses.")


def _stamp(now: datetime | None) -> datetime:
    return (utcnow() if now is None else require_aware(now, "current time")).astimezone(UTC)


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _serialised(calendar: Calendar) -> bytes:
    """The calendar as .ics bytes (icalendar leaves `to_ical` unannotated)."""
    ics: bytes = calendar.to_ical()
    return ics


class _Used:
    """The instants written per zone, for the years each VTIMEZONE must cover."""

    def __init__(self) -> None:
        self.instants: dict[str, list[datetime]] = {}

    def add(self, timezone: str, instant: datetime) -> None:
        self.instants.setdefault(timezone, []).append(instant)


def _ical_time(instant: datetime, timezone: str, used: _Used) -> datetime:
    """The instant as written: local in `timezone` (TZID) when reading it back gives the same
    instant, else UTC."""
    if not exists_as_written(instant, timezone):
        return instant.astimezone(UTC)
    used.add(timezone, instant)
    return instant.astimezone(zone(timezone))


def _vevents(event: MeetingEvent, stamp: datetime, used: _Used, *,
             series: bool) -> list[Event]:
    status = "CANCELLED" if event.cancelled else "CONFIRMED"
    master = _vevent(event, event.start_utc, event.end_utc, used, stamp, status=status)
    if event.recurrence is None:
        return [master]
    recurrence = event.recurrence
    master.add("rrule", vRecur.from_ical(rrule_string(event.start_utc, event.timezone,
                                                      recurrence)))
    for start in rule_starts(event.start_utc, event.timezone, recurrence):
        used.add(event.timezone, start)  # the VTIMEZONE covers the whole series
    if recurrence.cancelled:
        master.add("exdate", [_ical_time(moment, event.timezone, used)
                              for moment in sorted(recurrence.cancelled)])
    if not series or event.cancelled:  # a cancelled series goes as a whole
        return [master]
    overrides = []
    for occurrence in expand(event.start_utc, event.duration, event.timezone, recurrence):
        if occurrence.moved:
            override = _vevent(event, occurrence.start, occurrence.end, used, stamp,
                               status=status)
            override.add("recurrence-id", _ical_time(occurrence.original_start,
                                                     event.timezone, used))
            overrides.append(override)
    return [master, *overrides]


def _vevent(event: MeetingEvent, start: datetime, end: datetime, used: _Used,
            stamp: datetime, *, status: str) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", _ical_time(start, event.timezone, used))
    vevent.add("dtend", _ical_time(end, event.timezone, used))
    vevent.add("summary", event.title)
    description = event.description.strip()
    if event.url and event.url not in description:  # calendar apps show DESCRIPTION, not URL
        description = f"{description}\n\nJoin the video call: {event.url}".strip()
    if description:
        vevent.add("description", description)
    if event.location or event.url:
        vevent.add("location", event.location or event.url)
    if event.url:
        vevent.add("url", event.url)
    if event.organizer:
        vevent.add("organizer", event.organizer.address())
    for attendee in event.attendees:
        vevent.add("attendee", attendee.address("REQ-PARTICIPANT"))
    vevent.add("status", status)
    vevent.add("transp", "TRANSPARENT" if status == "CANCELLED" else "OPAQUE")
    return vevent


def _add_timezones(calendar: Calendar, used: _Used) -> None:
    """One VTIMEZONE per TZID written (icalendar writes UTC zones as ...Z, with none), before
    the events, covering the years used."""
    tzids = calendar.get_used_tzids()
    zones = sorted((timezone, instants) for timezone, instants in used.instants.items()
                   if timezone in tzids)
    for position, (timezone, instants) in enumerate(zones):
        years = [instant.astimezone(zone(timezone)).year for instant in instants]
        calendar.subcomponents.insert(position, vtimezone(timezone, min(years), max(years)))
    missing = calendar.get_missing_tzids()
    if missing:  # a TZID icalendar wrote under another name than the zone's
        raise IcsError(f"No VTIMEZONE for {', '.join(sorted(missing))}.")


def vtimezone(timezone: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for `timezone` valid from 1 January of `first_year` to the end of
    `last_year` (local time): one STANDARD or DAYLIGHT per kind of change, from the change
    that brought the offset in force on 1 January, its first onset as DTSTART and the others
    as RDATE (each the wall time just before the change, read with TZOFFSETFROM)."""
    component = Timezone()
    component.add("tzid", timezone)
    for kind, onsets, offset_from, offset_to, name in _observances(timezone, first_year,
                                                                   last_year):
        observance = TimezoneDaylight() if kind == "DAYLIGHT" else TimezoneStandard()
        observance.add("dtstart", onsets[0])
        if onsets[1:]:
            observance.add("rdate", list(onsets[1:]))
        observance.add("tzoffsetfrom", offset_from)
        observance.add("tzoffsetto", offset_to)
        observance.add("tzname", name)
        component.add_component(observance)
    return component


_State = tuple[timedelta, str, bool]  # UTC offset, abbreviation, daylight saving
# kind, onsets (naive wall times before the change), offset from, offset to, name
_Observance = tuple[str, tuple[datetime, ...], timedelta, timedelta, str]


@lru_cache(maxsize=256)
def _observances(timezone: str, first_year: int,
                 last_year: int) -> tuple[_Observance, ...]:
    """(kind, onsets as naive wall times before the change, offset from, offset to, name)."""
    tz = zone(timezone)
    start = datetime.combine(date(first_year, 1, 1), time(), tz).astimezone(UTC)
    end = datetime.combine(date(last_year + 1, 1, 1), time(), tz).astimezone(UTC)
    step, state = timedelta(hours=12), _state(tz, start)
    grouped: dict[tuple[_State, _State], list[datetime]] = {}
    # Begin with the change that brought the offset in force on 1 January (within a year
    # back): a made-up observance (TZOFFSETFROM = TZOFFSETTO) would claim no daylight saving
    # in a southern summer, and readers (dateutil, under icalendar) then misplace the change.
    moment = start
    while moment > start - timedelta(days=400) and _state(tz, moment - step) == state:
        moment -= step
    if moment > start - timedelta(days=400):
        change = _change(tz, moment - step, moment, _state(tz, moment - step))
        earlier = _state(tz, change - timedelta(seconds=1))
        grouped[(earlier, state)] = [(change + earlier[0]).replace(tzinfo=None)]
    else:  # no change for over a year: one observance from 1 January
        grouped[(state, state)] = [datetime(first_year, 1, 1)]
    moment = start
    while moment < end:
        later = min(moment + step, end)
        if _state(tz, later) != state:
            change = _change(tz, moment, later, state)
            new_state = _state(tz, change)
            onset = (change + state[0]).replace(tzinfo=None)  # wall time in the old offset
            grouped.setdefault((state, new_state), []).append(onset)
            moment, state = change, new_state
        else:
            moment = later
    return tuple(("DAYLIGHT" if new[2] else "STANDARD", tuple(onsets), old[0], new[0], new[1])
                 for (old, new), onsets in grouped.items())


def _state(tz: ZoneInfo, instant: datetime) -> _State:
    local = instant.astimezone(tz)
    return offset_of(local), local.tzname() or "", bool(local.dst())


def _change(tz: ZoneInfo, low: datetime, high: datetime, state: _State) -> datetime:
    """The first second in (low, high] whose state is not `state`."""
    lo, hi = 0, int((high - low).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _state(tz, low + timedelta(seconds=mid)) == state:
            lo = mid
        else:
            hi = mid
    return low + timedelta(seconds=hi)
