"""The notification outbox and what a person chose about it.

- `Notification`: one e-mail to one person, waiting in (or sent from) the outbox.
- `Preference`: a person's choice for one topic of `kinds.TOPICS` (each e-mail, daily digest,
  off); a topic without a row is "each e-mail".
- `Mailbox`: when the person last got an e-mail from Pairwise, the row the one-e-mail-per-hour
  limit is reserved on (`delivery.reserve_hour`).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.courses.models import Person
from lti_tool.extensions import Model
from lti_tool.timeutil import utcnow

PENDING = "pending"  # waiting for its send_after time (or for a retry, the hour, the digest)
SENDING = "sending"  # claimed by a worker; reclaimed if it stays here too long
SENT = "sent"  # handed to the SMTP server, or kept in the outbox only (see `delivery`)
FAILED = "failed"  # gave up after the last attempt
CANCELLED = "cancelled"  # cancelled before it was sent (e.g. the meeting was cancelled)
NO_ADDRESS = "no_address"  # the recipient has no e-mail address: kept, never sent
SKIPPED = "skipped"  # the recipient turned its topic off (and it is not essential): kept, not sent
STATUSES = (PENDING, SENDING, SENT, FAILED, CANCELLED, NO_ADDRESS, SKIPPED)

DELIVERY_SMTP = "smtp"
DELIVERY_OUTBOX = "outbox"  # no MAIL_SERVER configured: shown in the sandbox outbox only

# Why a due notification was put back to wait (`Notification.held`).
HELD_HOUR = "hour"  # the person had an e-mail less than an hour ago
HELD_DIGEST = "digest"  # its topic goes in the person's daily digest

# A person's choice for a topic.
EACH = "email"
DIGEST = "digest"
OFF = "off"
MODES = (EACH, DIGEST, OFF)


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
    # The person's Notifications page, through their LMS (the footer of a bundled e-mail).
    manage_link: Mapped[str] = mapped_column(sa.String(2048), default="", server_default="")
    calendar: Mapped[str | None] = mapped_column(sa.Text)  # an iCalendar object (iTIP)
    calendar_method: Mapped[str | None] = mapped_column(sa.String(16))  # REQUEST, CANCEL, ...
    dedupe_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    delivery: Mapped[str | None] = mapped_column(sa.String(16))  # smtp|outbox, once sent
    to_address: Mapped[str] = mapped_column(sa.String(255), default="")  # as sent
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    send_after: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # Set when the delivery rules moved send_after on: HELD_HOUR or HELD_DIGEST.
    held: Mapped[str | None] = mapped_column(sa.String(16))
    # The notification whose e-mail carried this one, when one e-mail carried several (the
    # first of them carries its own id); None for an e-mail of its own.
    bundle_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # A fresh random token per claim: only the worker holding it may finish the row.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))

    recipient: Mapped[Person] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} {self.status} key={self.dedupe_key}>"


class Preference(Model):
    """How `person` wants the notifications of one topic: EACH, DIGEST or OFF."""

    __tablename__ = "notify_preference"

    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"),
                                           primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(16))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class Mailbox(Model):
    """When `person` last got an e-mail (any kind, bundles and digests too)."""

    __tablename__ = "notify_mailbox"

    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"),
                                           primary_key=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
