"""Per program: the health thresholds and whether long-inactive pairs are closed; per pair:
when it was warned about inactivity. And success stories participants share."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import Model
from lti_tool.timeutil import utcnow


class HealthSettings(Model):
    __tablename__ = "relationships_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"),
                                            unique=True)
    thresholds: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)  # overrides
    auto_close: Mapped[bool] = mapped_column(default=False)
    close_after_warning_days: Mapped[int] = mapped_column(default=14)


class InactivityWarning(Model):
    """A pair told that it will be closed unless something happens."""

    __tablename__ = "relationships_inactivity_warning"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         unique=True)
    warned_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class PairHealth(Model):
    """A pair's health as last assessed, so the dashboard need not rebuild every pair's
    history on every view. It holds for the day it was assessed on, under the thresholds it
    was assessed with, until `fresh_until` (the end of the pair's next meeting, when an
    outcome changes), and while not `stale`: any change to the pair's activity marks it stale
    in the same transaction (hooks.py) and raises `stamp`, so an assessment read before the
    change is never stored after it."""

    __tablename__ = "relationships_pair_health"

    pair_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pairs_pair.id", ondelete="CASCADE", name="fk_pair_health_pair"),
        primary_key=True)
    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("program.id", ondelete="CASCADE", name="fk_pair_health_program"),
        index=True)
    stale: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    stamp: Mapped[int] = mapped_column(default=0, server_default="0")
    assessed_for: Mapped[date | None]
    fresh_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    limits_key: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    weight: Mapped[int] = mapped_column(default=0, server_default="0")  # of all reasons
    summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # in words
    reasons: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)  # [code, words, weight]
    last_activity: Mapped[date | None]
    last_met: Mapped[date | None]
    held_days: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)  # ISO dates


class Story(Model):
    """A success story a participant offers to share; shown once staff approve it."""

    __tablename__ = "relationships_story"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"),
                                            index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    show_name: Mapped[bool] = mapped_column(default=False)  # else "a mentee" / "a mentor"
    role: Mapped[str] = mapped_column(sa.String(8))  # mentee | mentor
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")  # |approved|declined
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    program: Mapped[Program] = relationship()
    author: Mapped[Person] = relationship()
