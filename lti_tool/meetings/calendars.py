"""Program events (optional meetups and calls staff post for everyone, with RSVPs) and each
person's private iCalendar feed of their meetings and the events they said they attend."""

import secrets
from datetime import date, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext

from lti_tool.courses.models import Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.meetings import ics, links, notices
from lti_tool.meetings.localtime import LocalTimeError, TimeZoneError, to_utc
from lti_tool.meetings.models import CalendarFeed, EventRsvp, ProgramEvent
from lti_tool.meetings.services import MeetingError, calendar_event, meetings_of, zone_of
from lti_tool.notify.compose import page, tell
from lti_tool.timeutil import as_utc, utcnow

RSVP_ANSWERS = ("yes", "maybe", "no")


def upcoming_events(program: Program) -> list[ProgramEvent]:
    since = utcnow() - timedelta(days=1)
    return list(db.session.scalars(sa.select(ProgramEvent).where(
        ProgramEvent.program_id == program.id, ProgramEvent.start_at >= since)
        .order_by(ProgramEvent.start_at)))


def create_event(program: Program, by: Person, *, title: str, description: str, day: date,
                 at: time, timezone: str, minutes: int, modality: str, location: str = "",
                 link: str = "", jitsi_base: str = links.JITSI_BASE) -> ProgramEvent:
    """Post an event and tell every active participant of the course; the caller commits."""
    try:
        start = to_utc(day, at, timezone)
        venue = links.venue(modality, link=link.strip() or None,
                            location=location.strip() or None, jitsi_base=jitsi_base)
    except (LocalTimeError, TimeZoneError, links.LinkError) as exc:
        raise MeetingError(gettext(str(exc))) from exc
    if start <= utcnow():
        raise MeetingError(gettext("Choose a time in the future."))
    event = ProgramEvent(program=program, title=title.strip(), description=description.strip(),
                         start_at=start, minutes=minutes, timezone=timezone,
                         modality=venue.modality, url=venue.url, location=venue.location,
                         uid=ics.new_uid(), created_by_id=by.id)
    db.session.add(event)
    db.session.flush()
    compose = notices.event_posted(event.title, event.description, start, url=event.url,
                                   location=event.location)
    for enrolment in db.session.scalars(sa.select(Enrolment).filter_by(
            course_id=program.course_id, active=True)):
        if enrolment.person_id != by.id:
            _tell(event, enrolment.person, "program_event", compose,
                  dedupe_key=f"event:{event.id}:new:{enrolment.person_id}")
    return event


def rsvp(event: ProgramEvent, person: Person, answer: str) -> EventRsvp:
    if answer not in RSVP_ANSWERS:
        raise MeetingError(gettext("Answer yes, maybe or no."))
    if event.cancelled:
        raise MeetingError(gettext("This event was cancelled."))
    if as_utc(event.start_at) <= utcnow():
        raise MeetingError(gettext("This event has already started."))
    row = db.session.scalars(sa.select(EventRsvp).filter_by(event_id=event.id,
                                                             person_id=person.id)).first()
    if row is None:
        row = EventRsvp(event=event, person=person, answer=answer)
        db.session.add(row)
    row.answer = answer
    db.session.flush()
    return row


def cancel_event(event: ProgramEvent) -> None:
    if event.cancelled:
        raise MeetingError(gettext("This event was already cancelled."))
    event.cancelled = True
    compose = notices.event_cancelled(event.title, as_utc(event.start_at))
    for answer in event.rsvps:
        if answer.answer != "no":
            _tell(event, answer.person, "program_event_cancelled", compose,
                  dedupe_key=f"event:{event.id}:cancelled:{answer.person_id}")


def _tell(event: ProgramEvent, person: Person, kind: str, compose: notices.Compose, *,
          dedupe_key: str) -> None:
    """One participant told about an event, in their language and zone, with a link to the
    program's events (where they say whether they come)."""
    tell(person, kind, compose, dedupe_key=dedupe_key, program=event.program,
         destination=page("meetings.events"), zone=zone_of(person, event.program))


def _event_entry(event: ProgramEvent) -> ics.MeetingEvent:
    start = as_utc(event.start_at)
    return ics.MeetingEvent(uid=event.uid, sequence=1 if event.cancelled else 0,
                            start_utc=start, end_utc=start + timedelta(minutes=event.minutes),
                            timezone=event.timezone, title=event.title,
                            description=event.description, url=event.url,
                            location=event.location, cancelled=event.cancelled)


# --- Private feeds -------------------------------------------------------------------------

def existing_feed(person: Person) -> CalendarFeed | None:
    return db.session.scalars(sa.select(CalendarFeed).filter_by(person_id=person.id)).first()


def feed_of(person: Person, reset: bool = False) -> CalendarFeed:
    """The person's feed, created on first use; `reset` gives it a new URL (the old one stops
    working at once). The caller commits."""
    feed = existing_feed(person)
    if feed is None:
        feed = CalendarFeed(person=person, token=secrets.token_urlsafe(32))
        db.session.add(feed)
    elif reset:
        feed.token, feed.created_at = secrets.token_urlsafe(32), utcnow()
    db.session.flush()
    return feed


def feed_calendar(token: str) -> bytes | None:
    """The feed behind a token, or None for an unknown (or reset) token."""
    feed = db.session.scalars(sa.select(CalendarFeed).filter_by(token=token)).first()
    if feed is None:
        return None
    person = feed.person
    entries = [calendar_event(m) for m in meetings_of(person, ("scheduled", "cancelled"))
               if m.start_at is not None]
    going = db.session.scalars(sa.select(ProgramEvent).join(EventRsvp).where(
        EventRsvp.person_id == person.id, EventRsvp.answer.in_(("yes", "maybe"))))
    entries += [_event_entry(event) for event in going]
    return ics.feed(entries, name=f"Pairwise: {person.display_name}")
