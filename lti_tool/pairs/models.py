"""A matching run (a proposal staff review), its proposed pairs, and published pairs."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import Model
from lti_tool.timeutil import utcnow


class MatchRun(Model):
    """Staff's working proposal for a program: draft until published (or discarded)."""

    __tablename__ = "pairs_match_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"))
    policy: Mapped[str] = mapped_column(sa.String(16), default="optimal")
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")  # draft|published|discarded
    excluded: Mapped[list[int]] = mapped_column(sa.JSON, default=list)  # person ids left out
    unmatched: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)  # person id → why
    report: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    comparison: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    program: Mapped[Program] = relationship()
    proposals: Mapped[list["Proposal"]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="Proposal.id"
    )


class Proposal(Model):
    """A proposed pair with its score, breakdown, explanation and suggested weekly slot."""

    __tablename__ = "pairs_proposal"
    __table_args__ = (sa.UniqueConstraint("run_id", "mentee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_match_run.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(default=0.0)
    breakdown: Mapped[dict[str, float]] = mapped_column(sa.JSON, default=dict)
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    slot: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    locked: Mapped[bool] = mapped_column(default=False)
    manual: Mapped[bool] = mapped_column(default=False)

    run: Mapped[MatchRun] = relationship(back_populates="proposals")
    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])


class Pair(Model):
    """A published mentoring relationship."""

    __tablename__ = "pairs_pair"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pairs_match_run.id"))
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(16), default="active")  # active|completed|ended
    score: Mapped[float] = mapped_column(default=0.0)
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    slot: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    end_reason: Mapped[str] = mapped_column(sa.Text, default="")
    ends_on: Mapped[date | None] = mapped_column(sa.Date)  # when it is due to complete
    # Each extension: {"from": date, "to": date, "at": timestamp, "note": text}, ISO strings.
    extensions: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list,
                                                             server_default="[]")
    # A rematch with the same mentor continues this earlier pair.
    previous_pair_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pairs_pair.id", name="fk_pairs_pair_previous_pair"))

    program: Mapped[Program] = relationship()
    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])


class AvoidedPair(Model):
    """Staff's rule: never propose this mentee with this mentor (a hard constraint)."""

    __tablename__ = "pairs_avoided"
    __table_args__ = (sa.UniqueConstraint("program_id", "mentee_id", "mentor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])


class MentorRequest(Model):
    """In mentee-choice programs: a mentee asks a recommended mentor, who answers by a date."""

    __tablename__ = "pairs_mentor_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    message: Mapped[str] = mapped_column(sa.Text, default="")
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    score: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    respond_by: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])
