"""Intake answers, program questions, and mentors with their capacity."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import Model
from lti_tool.i18n import N_
from lti_tool.timeutil import utcnow

MODALITIES = {
    "video": N_("Video call"),
    "phone": N_("Phone call"),
    "chat": N_("Chat or e-mail"),
    "in_person": N_("In person"),
}


class Profile(Model):
    """One participant's intake for one program (mentee, mentor, or both for peer mentors)."""

    __tablename__ = "intake_profile"
    __table_args__ = (sa.UniqueConstraint("program_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    topics: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # goals / interests
    goals_text: Mapped[str] = mapped_column(sa.Text, default="")
    expertise: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # as a mentor
    bio: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # as a mentor
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # Weekly slots in the person's own time zone: [weekday 0=Monday, start minute], 30 minutes.
    availability: Mapped[list[list[int]]] = mapped_column(sa.JSON, default=list)
    modality: Mapped[str] = mapped_column(sa.String(16), default="video")
    preferences: Mapped[str] = mapped_column(sa.Text, default="")
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    volunteers_to_mentor: Mapped[bool] = mapped_column(default=False)
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    program: Mapped[Program] = relationship()
    person: Mapped[Person] = relationship()

    @property
    def weekly_hours(self) -> float:
        return len(self.availability) / 2


class Question(Model):
    """A program-specific single or multiple choice question that takes part in scoring."""

    __tablename__ = "intake_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"))
    prompt: Mapped[str] = mapped_column(sa.String(300))
    multiple: Mapped[bool] = mapped_column(default=False)
    options: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)


class Mentor(Model):
    """A person serving as a mentor in a program, how they came to be one, and their capacity
    in this program. Staff approve volunteers before they are matched."""

    __tablename__ = "intake_mentor"
    __table_args__ = (sa.UniqueConstraint("program_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(sa.String(16))  # designated | lms_role | volunteer
    approved: Mapped[bool] = mapped_column(default=True)
    capacity: Mapped[int] = mapped_column(default=2)

    program: Mapped[Program] = relationship()
    person: Mapped[Person] = relationship()


class MentorPool(Model):
    """A mentor's capacity across every course of one platform: two programs together may not
    give a person more mentees than this."""

    __tablename__ = "intake_mentor_pool"

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    capacity: Mapped[int] = mapped_column(default=3)
