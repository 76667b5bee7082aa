"""Meetings of a pair (one-off or a recurring series), the candidate times of a proposal,
who confirmed that an occurrence was held, private calendar feeds, and program events."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import Model
from lti_tool.i18n import N_
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import utcnow

MODALITY_LABELS = {"video": N_("Video call"), "phone": N_("Phone call"),
                   "chat": N_("Chat or e-mail"), "in_person": N_("In person")}
OUTCOMES = {"held": N_("It happened"), "missed": N_("It did not happen"),
            "cancelled_late": N_("Cancelled at the last minute")}


class Meeting(Model):
    """A meeting or series. Proposed with candidate times until the other member picks one;
    then scheduled, with a stable iCalendar UID and a SEQUENCE raised on every change."""

    __tablename__ = "meetings_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    # proposed | scheduled | declined | cancelled
    status: Mapped[str] = mapped_column(sa.String(16), default="proposed")
    start_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))  # UTC
    minutes: Mapped[int] = mapped_column(default=45)
    timezone: Mapped[str] = mapped_column(sa.String(64))  # the organiser's: a series repeats in it
    modality: Mapped[str] = mapped_column(sa.String(16), default="video")
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    provider: Mapped[str | None] = mapped_column(sa.String(32))
    location: Mapped[str | None] = mapped_column(sa.String(200))
    agenda: Mapped[str] = mapped_column(sa.Text, default="")
    # {"frequency", "count" | "until", "cancelled": [UTC ISO], "moved": {UTC ISO: UTC ISO}}
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    uid: Mapped[str] = mapped_column(sa.String(255), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.Text, default="")  # last reason for a move or a cancel
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    pair: Mapped[Pair] = relationship()
    proposed_by: Mapped[Person] = relationship()
    options: Mapped[list["MeetingOption"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingOption.start_at")
    attendance: Mapped[list["Attendance"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan")


class MeetingOption(Model):
    """A candidate time of a proposed meeting."""

    __tablename__ = "meetings_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings_meeting.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    meeting: Mapped[Meeting] = relationship(back_populates="options")


class Attendance(Model):
    """One member's word on whether one occurrence happened; staff see disagreements."""

    __tablename__ = "meetings_attendance"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "occurrence_start", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings_meeting.id", ondelete="CASCADE"))
    occurrence_start: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))  # original
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")


class CalendarFeed(Model):
    """A person's private iCalendar feed: whoever has the URL reads the feed, so the token
    is long and random, and resetting it revokes the old URL."""

    __tablename__ = "meetings_calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"),
                                           unique=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship()


class ProgramEvent(Model):
    """An optional event for the whole program (a kick-off call, an in-person meetup)."""

    __tablename__ = "meetings_program_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"),
                                            index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    start_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    minutes: Mapped[int] = mapped_column(default=60)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    modality: Mapped[str] = mapped_column(sa.String(16), default="in_person")
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    location: Mapped[str | None] = mapped_column(sa.String(200))
    uid: Mapped[str] = mapped_column(sa.String(255), unique=True)
    cancelled: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    program: Mapped[Program] = relationship()
    rsvps: Mapped[list["EventRsvp"]] = relationship(back_populates="event",
                                                    cascade="all, delete-orphan")


class EventRsvp(Model):
    __tablename__ = "meetings_event_rsvp"
    __table_args__ = (sa.UniqueConstraint("event_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings_program_event.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(sa.String(8))  # yes | no | maybe
    answered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                  onupdate=utcnow)

    event: Mapped[ProgramEvent] = relationship(back_populates="rsvps")
    person: Mapped[Person] = relationship()
