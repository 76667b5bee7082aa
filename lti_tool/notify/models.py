"""A notification waiting in (or sent from) the outbox: one e-mail to one person."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.courses.models import Person
from lti_tool.extensions import Model
from lti_tool.timeutil import utcnow

PENDING = "pending"  # waiting for its send_after time (or for a retry)
SENDING = "sending"  # claimed by a worker; reclaimed if it stays here too long
SENT = "sent"  # handed to the SMTP server, or kept in the outbox only (see `delivery`)
FAILED = "failed"  # gave up after the last attempt
CANCELLED = "cancelled"  # cancelled before it was sent (e.g. the meeting was cancelled)
NO_ADDRESS = "no_address"  # the recipient has no e-mail address: kept, never sent
STATUSES = (PENDING, SENDING, SENT, FAILED, CANCELLED, NO_ADDRESS)

DELIVERY_SMTP = "smtp"
DELIVERY_OUTBOX = "outbox"  # no MAIL_SERVER configured: shown in the sandbox outbox only


class Notification(Model):
    """One message to one person. `dedupe_key` makes enqueueing idempotent; `status` only moves
    forward through guarded UPDATEs, so no two workers ever send the same row."""

    __tablename__ = "notify_notification"
    __table_args__ = (sa.Index("ix_notify_notification_due", "status", "send_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(64))  # e.g. "meeting_proposed", "reminder_24h"
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text)  # plain text
    html: Mapped[str | None] = mapped_column(sa.Text)  # the same message as HTML
    link: Mapped[str] = mapped_column(sa.String(2048), default="")
    calendar: Mapped[str | None] = mapped_column(sa.Text)  # an iCalendar object (iTIP)
    calendar_method: Mapped[str | None] = mapped_column(sa.String(16))  # REQUEST, CANCEL, ...
    dedupe_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    delivery: Mapped[str | None] = mapped_column(sa.String(16))  # smtp|outbox, once sent
    to_address: Mapped[str] = mapped_column(sa.String(255), default="")  # as sent
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    send_after: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # A fresh random token per claim: only the worker holding it may finish the row.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))

    recipient: Mapped[Person] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} {self.status} key={self.dedupe_key}>"
