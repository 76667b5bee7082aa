"""Scheduling for a pair, on top of the pure modules of this package: propose candidate times,
accept one (or book a mentor's open slot directly), reschedule or cancel with a reason, and
confirm afterwards whether it happened. Every change tells both members (`notify.compose.tell`,
worded in notices.py), with an iTIP message that updates the event already in their calendars,
and re-plans what is scheduled per occurrence: the 24 h and 1 h reminders and the "did it
happen?" after its end. A proposal left unanswered for 48 h is brought back to the member who
must answer. Callers commit; a refusal is a MeetingError and nothing is written."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from lti_tool.courses.models import Person, Program
from lti_tool.dbutil import read_once
from lti_tool.extensions import db
from lti_tool.i18n import N_
from lti_tool.intake.services import profile_for, zone_of
from lti_tool.meetings import ics, links, notices, overlap
from lti_tool.meetings.localtime import validate_zone
from lti_tool.meetings.models import MODALITY_LABELS, OUTCOMES, Attendance, Meeting, MeetingOption
from lti_tool.meetings.recurrence import Occurrence, Recurrence, RecurrenceError, expand
from lti_tool.notify import services as notify
from lti_tool.notify.compose import page, tell
from lti_tool.pairs import members
from lti_tool.pairs.members import other_member
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc, utcnow

MAX_OPTIONS = 3
WINDOW_WEEKS = 4  # how far ahead free times are listed
REMINDERS = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}
UNANSWERED_AFTER = timedelta(hours=48)  # a proposal comes back to whoever must answer it


class MeetingError(ValueError):
    """What someone asked for that cannot be done; the message says why."""


@dataclass(frozen=True)
class Details:
    """What a proposal or a booking says about the meeting besides its time."""

    minutes: int
    modality: str = "video"
    link: str = ""
    location: str = ""
    agenda: str = ""
    recurrence: Recurrence | None = None


# --- Who and where ---------------------------------------------------------------------------

def availability_of(person: Person, program: Program) -> overlap.WeeklyAvailability | None:
    profile = profile_for(program, person)
    if profile is None:
        return None
    return overlap.WeeklyAvailability.from_profile(profile.availability, profile.timezone)


check_member = members.checker(
    MeetingError, N_("Only the two members of a pair schedule its meetings."),
    N_("This pair has ended: its meetings can no longer change."))


# --- Occurrences and busy times ------------------------------------------------------------

def recurrence_of(meeting: Meeting) -> Recurrence | None:
    data = meeting.recurrence
    if not data:
        return None
    return Recurrence(
        frequency=data["frequency"], count=data.get("count"),
        until=datetime.fromisoformat(data["until"]).date() if data.get("until") else None,
        cancelled=frozenset(datetime.fromisoformat(v) for v in data.get("cancelled", [])),
        moved={datetime.fromisoformat(k): datetime.fromisoformat(v)
               for k, v in data.get("moved", {}).items()})


def _stored(recurrence: Recurrence | None) -> dict | None:
    if recurrence is None:
        return None
    return {"frequency": recurrence.frequency, "count": recurrence.count,
            "until": recurrence.until.isoformat() if recurrence.until else None,
            "cancelled": sorted(v.isoformat() for v in recurrence.cancelled),
            "moved": {k.isoformat(): v.isoformat() for k, v in sorted(recurrence.moved.items())}}


def occurrences(meeting: Meeting) -> list[Occurrence]:
    """The scheduled meeting's occurrences in time order (one for a one-off meeting)."""
    if meeting.start_at is None or meeting.status != "scheduled":
        return []
    start, length = as_utc(meeting.start_at), timedelta(minutes=meeting.minutes)
    recurrence = recurrence_of(meeting)
    if recurrence is None:
        return [Occurrence(start, start, start + length)]
    return expand(start, length, meeting.timezone, recurrence)


def upcoming_and_past(meetings: list[Meeting]) -> tuple[list, list]:
    """(meeting, occurrence) pairs not yet over, soonest first, and those over, latest first."""
    now = utcnow()
    both = [(m, o) for m in meetings for o in occurrences(m)]
    upcoming = sorted((item for item in both if item[1].end > now), key=lambda i: i[1].start)
    past = sorted((item for item in both if item[1].end <= now), key=lambda i: i[1].start,
                  reverse=True)
    return upcoming, past


def meetings_of(person: Person, statuses=("scheduled",)) -> list[Meeting]:
    """The person's meetings in every pair they belong to (any course of their platform);
    read once per request (dbutil.read_once): a meetings page asks for both members' twice,
    for the times they share and the times still open."""
    statuses = tuple(statuses)
    return list(read_once(("meetings of", person.id, statuses), lambda: list(db.session.scalars(
        sa.select(Meeting).join(Pair, Meeting.pair_id == Pair.id)
        .where(sa.or_(Pair.mentee_id == person.id, Pair.mentor_id == person.id),
               Meeting.status.in_(statuses))
        .options(sa.orm.contains_eager(Meeting.pair).joinedload(Pair.mentee),
                 sa.orm.contains_eager(Meeting.pair).joinedload(Pair.mentor))
        .order_by(Meeting.start_at)))))


def busy_of(person: Person, exclude: Meeting | None = None) -> list[overlap.Interval]:
    """When the person already meets someone, from a day ago on."""
    since = utcnow() - timedelta(days=1)
    return [overlap.Interval(o.start, o.end, f"the meeting with {_with_whom(m, person)}")
            for m in meetings_of(person) if m is not exclude
            for o in occurrences(m) if o.end > since]


def _with_whom(meeting: Meeting, person: Person) -> str:
    return other_member(meeting.pair, person).display_name


def _check_free(start: datetime, details: Details, pair: Pair, viewer: Person,
                series_zone: str, exclude: Meeting | None = None) -> None:
    """Refuse a start (and every meeting of its series) in the past or clashing with a meeting
    either member already has. A series is expanded in `series_zone`, the organiser's, where
    it repeats (whoever acts): its wall time there is what stays fixed across DST changes."""
    zone = zone_of(viewer, pair.program)  # the viewer reads the refusal in their own time
    starts = [start]
    if details.recurrence is not None:
        try:
            starts = [o.start for o in expand(start, timedelta(minutes=details.minutes),
                                              series_zone, details.recurrence)]
        except RecurrenceError as exc:
            raise MeetingError(gettext(str(exc))) from exc
    now = utcnow()
    for person in (pair.mentee, pair.mentor):
        busy = busy_of(person, exclude)
        who = None if person.id == viewer.id else person.display_name
        for moment in starts:
            try:
                overlap.check_slot(moment, details.minutes, now=now, busy=busy, who=who,
                                   timezone=zone)
            except overlap.SlotError as exc:
                raise MeetingError(gettext(str(exc))) from exc


def _venue(details: Details) -> links.Venue:
    try:
        return links.venue(details.modality, link=details.link.strip() or None,
                           location=details.location.strip() or None,
                           jitsi_base=current_app.config["JITSI_BASE_URL"])
    except links.LinkError as exc:
        raise MeetingError(gettext(str(exc))) from exc


# --- Free times --------------------------------------------------------------------------------

def common_times(pair: Pair, viewer: Person, minutes: int) -> list[overlap.Candidate]:
    """Starts in the coming weeks where both members are free and neither has a meeting;
    `first_local` is the viewer's local time."""
    mine = availability_of(viewer, pair.program)
    theirs = availability_of(other_member(pair, viewer), pair.program)
    if mine is None or theirs is None:
        return []
    busy = busy_of(pair.mentee) + busy_of(pair.mentor)
    now = utcnow()
    return overlap.common_slots(mine, theirs, overlap.next_weeks(now, WINDOW_WEEKS), minutes,
                                busy=busy, not_before=now + timedelta(hours=1))


def open_times(pair: Pair, minutes: int) -> list[overlap.Interval]:
    """The mentor's open slots (their availability, less every meeting of either member)."""
    mentor = availability_of(pair.mentor, pair.program)
    if mentor is None:
        return []
    now = utcnow()
    return overlap.open_slots(mentor, overlap.next_weeks(now, WINDOW_WEEKS), minutes,
                              busy=busy_of(pair.mentee) + busy_of(pair.mentor),
                              not_before=now + timedelta(hours=1))


# --- Proposing, answering, booking --------------------------------------------------------

def propose(pair: Pair, by: Person, starts: list[datetime], details: Details) -> Meeting:
    """A meeting with one to three candidate times for the other member to choose from."""
    check_member(pair, by)
    starts = sorted({as_utc(s).astimezone(UTC) for s in starts})
    if not 1 <= len(starts) <= MAX_OPTIONS:
        raise MeetingError(gettext("Offer from 1 to %(count)s times.", count=MAX_OPTIONS))
    for start in starts:
        _check_free(start, details, pair, by, zone_of(by, pair.program))
    venue = _venue(details)
    meeting = _new_meeting(pair, by, details, venue, status="proposed")
    meeting.options = [MeetingOption(start_at=s) for s in starts]
    db.session.add(meeting)
    db.session.flush()
    other = other_member(pair, by)
    _tell(meeting, other, "meeting_proposed", notices.proposed(_about(meeting, other), starts))
    _ask_again_later(meeting, other, starts)
    return meeting


def _ask_again_later(meeting: Meeting, other: Person, starts: list[datetime]) -> None:
    """Bring the proposal back to `other` after UNANSWERED_AFTER, with the times still ahead
    then (none ahead: nothing to ask). Answering or withdrawing cancels it."""
    remind_at = utcnow() + UNANSWERED_AFTER
    ahead = [start for start in starts if start > remind_at]
    if ahead:
        _tell(meeting, other, "meeting_unanswered",
              notices.unanswered(_about(meeting, other), ahead),
              key=f"{_unanswered_prefix(meeting)}{other.id}", send_after=remind_at)


def _unanswered_prefix(meeting: Meeting) -> str:
    return f"meeting:{meeting.id}:unanswered:"


def respond(meeting: Meeting, by: Person, option_id: int | None) -> Meeting:
    """The other member picks a candidate time (scheduling it) or declines (None)."""
    check_member(meeting.pair, by)
    if meeting.status != "proposed":
        raise MeetingError(gettext("This proposal was already answered or withdrawn."))
    if by.id == meeting.proposed_by_id:
        raise MeetingError(gettext("The other member answers your proposal."))
    if option_id is None:
        meeting.status = "declined"
        notify.cancel(_unanswered_prefix(meeting))
        _tell(meeting, meeting.proposed_by, "meeting_declined",
              notices.declined(_about(meeting, meeting.proposed_by)))
        return meeting
    option = next((o for o in meeting.options if o.id == option_id), None)
    if option is None:
        raise MeetingError(gettext("Choose one of the times offered."))
    _check_free(as_utc(option.start_at), _details_of(meeting), meeting.pair, by,
                meeting.timezone, meeting)
    meeting.start_at, meeting.status = as_utc(option.start_at), "scheduled"
    notify.cancel(_unanswered_prefix(meeting))
    _announce(meeting, by, "meeting_accepted", meeting.start_at)
    return meeting


def book(pair: Pair, by: Person, start: datetime, details: Details) -> Meeting:
    """The mentee books one of the mentor's open slots: scheduled at once."""
    check_member(pair, by)
    if by.id != pair.mentee_id:
        raise MeetingError(
            gettext("Mentees book their mentor's open times; propose times instead."))
    start = as_utc(start).astimezone(UTC)
    if all(slot.start != start for slot in open_times(pair, details.minutes)):
        raise MeetingError(gettext("That time is not one of your mentor's open times any more."))
    _check_free(start, details, pair, by, zone_of(by, pair.program))
    meeting = _new_meeting(pair, by, details, _venue(details), status="scheduled")
    meeting.start_at = start
    db.session.add(meeting)
    db.session.flush()
    _announce(meeting, by, "meeting_booked", start)
    return meeting


def _new_meeting(pair: Pair, by: Person, details: Details, venue: links.Venue,
                 status: str) -> Meeting:
    overlap.check_minutes(details.minutes)
    if len(details.agenda) > 5000:
        raise MeetingError(gettext("Keep the agenda under 5,000 characters."))
    return Meeting(pair=pair, proposed_by=by, status=status, minutes=details.minutes,
                   timezone=validate_zone(zone_of(by, pair.program)),
                   modality=venue.modality, url=venue.url, provider=venue.provider,
                   location=venue.location, agenda=details.agenda.strip(),
                   recurrence=_stored(details.recurrence), uid=ics.new_uid(_domain()),
                   sequence=0)


def _details_of(meeting: Meeting) -> Details:
    return Details(minutes=meeting.minutes, modality=meeting.modality,
                   recurrence=recurrence_of(meeting))


# --- Changing --------------------------------------------------------------------------------

def reschedule(meeting: Meeting, by: Person, new_start: datetime, reason: str,
               occurrence: datetime | None = None) -> Meeting:
    """Move the meeting (or, in a series, one occurrence named by its original start)."""
    _check_change(meeting, by, reason)
    new_start = as_utc(new_start).astimezone(UTC)
    recurrence = recurrence_of(meeting)
    planned = _ahead(meeting)
    try:
        if occurrence is not None and recurrence is not None:
            recurrence = recurrence.move(_original(meeting, occurrence), new_start)
            overlap.check_slot(new_start, meeting.minutes, now=utcnow(),
                               timezone=zone_of(by, meeting.pair.program))
            expand(as_utc(meeting.start_at), timedelta(minutes=meeting.minutes),
                   meeting.timezone, recurrence)
            _check_others(meeting, new_start, by)
            meeting.recurrence = _stored(recurrence)
        else:
            details = _details_of(meeting)
            if recurrence is not None:  # the whole series moves: its exceptions go
                details = Details(details.minutes, details.modality,
                                  recurrence=Recurrence(recurrence.frequency, recurrence.count,
                                                        recurrence.until))
            _check_free(new_start, details, meeting.pair, by, meeting.timezone, meeting)
            meeting.start_at, meeting.recurrence = new_start, _stored(details.recurrence)
    except (RecurrenceError, overlap.SlotError) as exc:
        raise MeetingError(gettext(str(exc))) from exc
    meeting.sequence += 1
    meeting.note = reason.strip()
    _announce(meeting, by, "meeting_moved", new_start, reason, planned=planned,
              one_of_series=occurrence is not None and recurrence is not None)
    return meeting


def _check_others(meeting: Meeting, start: datetime, by: Person) -> None:
    """A moved occurrence must not clash with the members' other meetings."""
    for person in (meeting.pair.mentee, meeting.pair.mentor):
        who = None if person.id == by.id else person.display_name
        try:
            overlap.check_slot(start, meeting.minutes, now=utcnow(), who=who,
                               busy=busy_of(person, exclude=meeting),
                               timezone=zone_of(by, meeting.pair.program))
        except overlap.SlotError as exc:
            raise MeetingError(gettext(str(exc))) from exc


def cancel(meeting: Meeting, by: Person, reason: str,
           occurrence: datetime | None = None) -> Meeting:
    """Cancel the meeting, a proposal, or one occurrence of a series."""
    if meeting.status == "proposed" and occurrence is None:
        _check_change(meeting, by, reason, allow_proposed=True)
        meeting.status, meeting.note = "cancelled", reason.strip()
        notify.cancel(_unanswered_prefix(meeting))
        return meeting
    _check_change(meeting, by, reason)
    recurrence = recurrence_of(meeting)
    planned = _ahead(meeting)
    meeting.sequence += 1
    meeting.note = reason.strip()
    if occurrence is not None and recurrence is not None:
        original = _original(meeting, occurrence)
        start = next(o.start for o in occurrences(meeting) if o.original_start == original)
        # Built while the series still holds this occurrence's move: the CANCEL names it by
        # its original start (RECURRENCE-ID) and says where it now is (DTSTART), as the
        # override in the members' calendars does.
        message = _itip(ics.occurrence_cancellation, _event(meeting), original)
        meeting.recurrence = _stored(recurrence.cancel(original))
        what = "occurrence"
    else:  # told by its next meeting (a series may have begun)
        start = planned[0].start if planned else as_utc(meeting.start_at)
        meeting.status = "cancelled"
        message = _itip(ics.cancellation, _event(meeting, cancelled=True))
        what = "meeting" if recurrence is None else "series"
    # Both members: the canceller's own calendar has the event too (REQUESTs went to both).
    for person in (other_member(meeting.pair, by), by):
        own = person.id == by.id
        about = _about(meeting, person, one_of_series=what == "occurrence")
        _tell(meeting, person, "meeting_cancelled",
              notices.cancelled(what, about, start, reason, own=own, attached=bool(message)),
              calendar=message, method="CANCEL" if message else None,
              key_suffix=":self" if own else "")
    _replan(meeting, planned)
    return meeting


def _check_change(meeting: Meeting, by: Person, reason: str, allow_proposed=False) -> None:
    check_member(meeting.pair, by)
    allowed = ("scheduled", "proposed") if allow_proposed else ("scheduled",)
    if meeting.status not in allowed:
        raise MeetingError(gettext("This meeting is not scheduled any more."))
    if not reason.strip():
        raise MeetingError(gettext("Say why, so that the other person knows."))
    if len(reason) > 500:
        raise MeetingError(gettext("Keep the reason under 500 characters."))


def _original(meeting: Meeting, occurrence: datetime) -> datetime:
    """The occurrence's original start, checked to belong to the series."""
    occurrence = as_utc(occurrence).astimezone(UTC)
    if all(o.original_start != occurrence for o in occurrences(meeting)):
        raise MeetingError(gettext("The series has no such meeting."))
    return occurrence


# --- After the meeting -------------------------------------------------------------------

def record_attendance(meeting: Meeting, by: Person, occurrence: datetime,
                      outcome: str) -> Attendance:
    """One member's word on whether an occurrence that has ended took place."""
    check_member(meeting.pair, by)
    if outcome not in OUTCOMES:
        raise MeetingError(gettext("Say whether the meeting happened."))
    original = _original(meeting, occurrence)
    ended = next(o for o in occurrences(meeting) if o.original_start == original).end
    if ended > utcnow():
        raise MeetingError(gettext("You can say whether it happened once the meeting is over."))
    row = db.session.scalars(sa.select(Attendance).filter_by(
        meeting_id=meeting.id, occurrence_start=original, person_id=by.id)).first()
    if row is None:
        row = Attendance(meeting=meeting, occurrence_start=original, person_id=by.id,
                         outcome=outcome)
        db.session.add(row)
    row.outcome, row.recorded_at = outcome, utcnow()
    notify.cancel(f"{_outcome_prefix(meeting, original)}{by.id}:")  # answered: not asked
    db.session.flush()
    return row


def attendance_by_occurrence(meeting: Meeting) -> dict[datetime, dict[int, str]]:
    result: dict[datetime, dict[int, str]] = {}
    for row in meeting.attendance:
        result.setdefault(as_utc(row.occurrence_start), {})[row.person_id] = row.outcome
    return result


def disagreements(program: Program) -> list[tuple[Meeting, datetime, dict[int, str]]]:
    """Occurrences the two members described differently, for staff: only those
    occurrences' answers (`_differing`), then their meetings with pair and people, in two
    queries whatever the size of the program or the length of a weekly series."""
    differing = _differing(program).subquery()
    rows = db.session.execute(
        sa.select(Attendance.meeting_id, Attendance.occurrence_start, Attendance.person_id,
                  Attendance.outcome)
        .join(differing, sa.and_(Attendance.meeting_id == differing.c.meeting_id,
                                 Attendance.occurrence_start == differing.c.occurrence_start)))
    answers: dict[tuple[int, datetime], dict[int, str]] = {}
    for meeting_id, start, person_id, outcome in rows:
        answers.setdefault((meeting_id, as_utc(start)), {})[person_id] = outcome
    if not answers:
        return []
    meetings = {meeting.id: meeting for meeting in db.session.scalars(
        sa.select(Meeting).where(Meeting.id.in_({meeting_id for meeting_id, _ in answers}))
        .options(sa.orm.joinedload(Meeting.pair).joinedload(Pair.mentee),
                 sa.orm.joinedload(Meeting.pair).joinedload(Pair.mentor)))}
    return [(meetings[meeting_id], start, dict(sorted(said.items())))
            for (meeting_id, start), said in sorted(answers.items())]


def _differing(program: Program) -> sa.Select:
    """(meeting id, occurrence) the two members of a pair of the program described
    differently."""
    return (sa.select(Attendance.meeting_id, Attendance.occurrence_start)
            .join(Meeting, Attendance.meeting_id == Meeting.id)
            .join(Pair, Meeting.pair_id == Pair.id)
            .where(Pair.program_id == program.id)
            .group_by(Attendance.meeting_id, Attendance.occurrence_start)
            .having(sa.func.count(sa.distinct(Attendance.outcome)) > 1))


# --- Calendar messages and notifications ------------------------------------------------

def _event(meeting: Meeting, cancelled: bool = False) -> ics.MeetingEvent:
    mentee, mentor = meeting.pair.mentee, meeting.pair.mentor
    start = as_utc(meeting.start_at)
    parties = {p.id: _party(p) for p in (mentee, mentor)}
    organiser = parties[meeting.proposed_by_id]
    attendees = tuple(p for pid, p in parties.items()
                      if p is not None and pid != meeting.proposed_by_id)
    return ics.MeetingEvent(
        uid=meeting.uid, sequence=meeting.sequence, start_utc=start,
        end_utc=start + timedelta(minutes=meeting.minutes), timezone=meeting.timezone,
        title=f"Mentoring: {mentee.display_name} and {mentor.display_name}",
        description=_description(meeting), url=meeting.url, location=meeting.location,
        organizer=organiser if organiser and attendees else None,
        attendees=attendees if organiser else (), recurrence=recurrence_of(meeting),
        cancelled=cancelled)


def calendar_event(meeting: Meeting) -> ics.MeetingEvent:
    return _event(meeting, cancelled=meeting.status == "cancelled")


def _party(person: Person) -> ics.Party | None:
    try:
        return ics.Party(person.email, person.display_name) if person.email else None
    except ics.IcsError:
        return None


def _description(meeting: Meeting) -> str:
    lines = [f"{MODALITY_LABELS[meeting.modality]}, {meeting.minutes} minutes."]
    if meeting.url:
        lines.append(f"Join: {meeting.url}")
    if meeting.agenda:
        lines.append(f"Agenda: {meeting.agenda}")
    return "\n".join(lines)


def _announce(meeting: Meeting, by: Person, kind: str, start: datetime, reason: str = "", *,
              planned: list[Occurrence] | None = None, one_of_series: bool = False) -> None:
    """Tell both members, each with the iTIP REQUEST that adds or updates the event in their
    calendar, and re-plan what each occurrence brings (`planned`: what was planned before)."""
    invitation = _itip(ics.invitation, _event(meeting))
    for person in (other_member(meeting.pair, by), by):
        own = person.id == by.id
        _tell(meeting, person, kind,
              notices.scheduled(kind, _about(meeting, person, one_of_series=one_of_series),
                                start, reason, own=own, attached=bool(invitation)),
              calendar=invitation, method="REQUEST" if invitation else None,
              key_suffix=":self" if own else "")
    _replan(meeting, planned or [])


def _itip(build, *args) -> str | None:
    """An iTIP message, or None when a member has no e-mail address (the notification then
    goes without a calendar part; the .ics download and the feed still work)."""
    try:
        return build(*args).decode()
    except ics.IcsError:
        return None


def _about(meeting: Meeting, reader: Person, one_of_series: bool = False) -> notices.About:
    """The meeting as told to `reader`: the other member's name and zone, how and where."""
    other = other_member(meeting.pair, reader)
    frequency = (meeting.recurrence or {}).get("frequency", "")
    return notices.About(name=other.display_name, their_zone=zone_of(other, meeting.pair.program),
                         modality=meeting.modality, minutes=meeting.minutes, url=meeting.url,
                         location=meeting.location, agenda=meeting.agenda,
                         repeats="" if one_of_series else frequency)


def _tell(meeting: Meeting, person: Person, kind: str, compose: notices.Compose, *,
          key: str | None = None, send_after: datetime | None = None,
          calendar: str | None = None, method: str | None = None, key_suffix: str = "") -> None:
    """Queue `compose` for one member, in their language and zone, linking to the pair's
    meetings page. The default key names the event at this version of the meeting."""
    pair = meeting.pair
    tell(person, kind, compose, program=pair.program, zone=zone_of(person, pair.program),
         destination=page("meetings.pair_meetings", pair_id=pair.id),
         dedupe_key=key or f"meeting:{meeting.id}:{kind}:{meeting.sequence}:"
                           f"{meeting.status}:{person.id}{key_suffix}",
         send_after=send_after, calendar=calendar, calendar_method=method)


# --- What each occurrence brings: reminders before, "did it happen?" after ------------------

def _ahead(meeting: Meeting) -> list[Occurrence]:
    """The occurrences not yet over: those whose messages a change re-plans."""
    now = utcnow()
    return [o for o in occurrences(meeting) if o.end > now]


def _replan(meeting: Meeting, planned: list[Occurrence]) -> None:
    """After a change: drop the reminders, and the questions about the occurrences `planned`
    before (those already over keep theirs), then plan both for the meeting as it is now."""
    notify.cancel(_reminder_prefix(meeting))
    for occurrence in planned:
        notify.cancel(_outcome_prefix(meeting, occurrence.original_start))
    _plan_reminders(meeting)
    _plan_outcomes(meeting)


def _reminder_prefix(meeting: Meeting) -> str:
    return f"meeting:{meeting.id}:reminder:"


def _outcome_prefix(meeting: Meeting, original_start: datetime) -> str:
    """Keys of the "did it happen?" of one occurrence (named by its original start, as its
    attendance is), followed by the person and the meeting's sequence."""
    return f"meeting:{meeting.id}:outcome:{_stamp(original_start)}:"


def _stamp(moment: datetime) -> str:
    return f"{as_utc(moment).astimezone(UTC):%Y%m%dT%H%MZ}"


def _plan_reminders(meeting: Meeting) -> None:
    now = utcnow()
    for occurrence in occurrences(meeting):
        for label, ahead in REMINDERS.items():
            if occurrence.start - ahead <= now:
                continue
            for person in (meeting.pair.mentee, meeting.pair.mentor):
                _tell(meeting, person, "meeting_reminder",
                      notices.reminder(_about(meeting, person, one_of_series=True),
                                       occurrence.start, label),
                      key=f"{_reminder_prefix(meeting)}{meeting.sequence}:"
                          f"{_stamp(occurrence.start)}:{person.id}:{label}",
                      send_after=occurrence.start - ahead)


def _plan_outcomes(meeting: Meeting) -> None:
    """Ask each member, once an occurrence is over, whether it happened (not those who
    already said: a moved occurrence keeps its answers)."""
    answers = attendance_by_occurrence(meeting)
    for occurrence in _ahead(meeting):
        said = answers.get(occurrence.original_start, {})
        for person in (meeting.pair.mentee, meeting.pair.mentor):
            if person.id in said:
                continue
            _tell(meeting, person, "meeting_outcome",
                  notices.outcome(_about(meeting, person, one_of_series=True),
                                  occurrence.start),
                  key=f"{_outcome_prefix(meeting, occurrence.original_start)}{person.id}:"
                      f"{meeting.sequence}",
                  send_after=occurrence.end)


def _domain() -> str:
    return current_app.config.get("SERVER_NAME") or "pairwise"


# --- When the pair ends -----------------------------------------------------------------------

def end_with_pair(pair: Pair) -> None:
    """The pair has ended (pairs/services.py `end_pair`, or the health sweep's auto-close):
    its proposals are withdrawn and what was still to come of its meetings is cancelled, so
    that no reminder, "did it happen?" question, calendar entry or busy time outlives it.
    The occurrences over when it ended stay, as the pair's history (an ended pair's rows no
    longer change). Safe to call again: once cut, nothing is left after the end."""
    ended = as_utc(pair.ended_at) if pair.ended_at else utcnow()
    for meeting in db.session.scalars(sa.select(Meeting).where(
            Meeting.pair_id == pair.id, Meeting.status.in_(("proposed", "scheduled")))):
        if meeting.status == "proposed":
            meeting.status = "cancelled"
            notify.cancel(_unanswered_prefix(meeting))
        else:
            every = occurrences(meeting)
            if planned := [o for o in every if o.end > ended]:
                _cancel_what_is_ahead(meeting, planned, begun=len(every) > len(planned))


def _cancel_what_is_ahead(meeting: Meeting, planned: list[Occurrence], begun: bool) -> None:
    """A series that has `begun` keeps its past occurrences, and the members' calendars get
    the series as it now ends (a REQUEST); anything else is cancelled (a CANCEL)."""
    recurrence = recurrence_of(meeting)
    meeting.sequence += 1
    if recurrence is not None and begun:
        for occurrence in planned:
            recurrence = recurrence.cancel(occurrence.original_start)
        meeting.recurrence = _stored(recurrence)
        message, method = _itip(ics.invitation, _event(meeting)), "REQUEST"
    else:
        meeting.status = "cancelled"
        message, method = _itip(ics.cancellation, _event(meeting, cancelled=True)), "CANCEL"
    for person in (meeting.pair.mentee, meeting.pair.mentor):
        _tell(meeting, person, "meeting_cancelled",
              notices.pair_ended(_about(meeting, person), planned[0].start,
                                 attached=bool(message)),
              calendar=message, method=method if message else None)
    _replan(meeting, planned)


# --- What waits for a member or staff (homes: "What needs you"; read-only) --------------------

CONFIRM_DAYS = 14  # a meeting that ended longer ago is no longer asked about on the home


def awaiting_answer(person: Person, pair_ids: list[int]) -> list[Meeting]:
    """Proposals in these pairs that wait for `person`'s answer (the other member made them)."""
    if not pair_ids:
        return []
    return list(db.session.scalars(sa.select(Meeting).where(
        Meeting.pair_id.in_(pair_ids), Meeting.status == "proposed",
        Meeting.proposed_by_id != person.id).order_by(Meeting.id)))


def unconfirmed(person: Person, pair_ids: list[int],
                now: datetime | None = None) -> list[tuple[Meeting, Occurrence]]:
    """Occurrences in these pairs that ended in the last CONFIRM_DAYS and of which `person`
    has not said whether they happened, in two queries."""
    if not pair_ids:
        return []
    now = now or utcnow()
    meetings = list(db.session.scalars(sa.select(Meeting).where(
        Meeting.pair_id.in_(pair_ids), Meeting.status == "scheduled")))
    said = {(meeting_id, as_utc(start)) for meeting_id, start in db.session.execute(
        sa.select(Attendance.meeting_id, Attendance.occurrence_start).where(
            Attendance.meeting_id.in_([m.id for m in meetings]),
            Attendance.person_id == person.id))}
    since = now - timedelta(days=CONFIRM_DAYS)
    return [(meeting, occurrence) for meeting in meetings for occurrence in occurrences(meeting)
            if since < occurrence.end <= now
            and (meeting.id, occurrence.original_start) not in said]


def disputed_count(program: Program) -> int:
    """How many occurrences the two members described differently (`disagreements`), in one
    query."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(
        _differing(program).subquery())) or 0
