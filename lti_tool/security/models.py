"""The security tables: rate-limit counters shared by every worker, and the audit log."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import Model
from lti_tool.timeutil import utcnow


class RateLimitWindow(Model):
    """Requests counted in one fixed window for one bucket (a limit name and a client IP).
    Incremented by an atomic upsert, so processes on several machines share the count."""

    __tablename__ = "security_rate_limit"

    bucket: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    # Unix seconds: the window's start, and when the row may be purged (the window's end).
    window_start: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True,
                                              autoincrement=False)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
    expires_at: Mapped[int] = mapped_column(sa.BigInteger, index=True)


class AuditEvent(Model):
    """A staff or administrator action worth answering "who did this, and when?" for.

    The ids are plain columns, not foreign keys: the record must outlive what it names (a
    removed platform, an ended course) and an audit write must never fail on a constraint."""

    __tablename__ = "security_audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)  # a Person id
    platform_id: Mapped[int | None] = mapped_column(sa.Integer)
    course_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    program_id: Mapped[int | None] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target: Mapped[str] = mapped_column(sa.String(255), default="")
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(64))

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.target!r} at {self.at}>"
