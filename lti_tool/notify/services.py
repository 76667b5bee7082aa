"""The notification outbox: other features `enqueue` a message inside their own transaction;
`send_due` (run by `flask notify send` or the `notify worker`, never by a web request) sends
the ones that are due. Claiming, retries and the worker loop are `lti_tool.outbox`'s; this
module says how to send one message and what an SMTP failure means.

Never twice: each notification is its own unit of claim, claimed one at a time just before it
is sent. The claim (`outbox.Outbox.claim`: `FOR UPDATE SKIP LOCKED` on PostgreSQL, a guarded
UPDATE on SQLite) writes a fresh claim token, status "sending" and attempts + 1, and is
committed before sending; exactly one worker wins a row, and only the holder of the token may
then mark it sent or failed. A worker that dies between claim and finish leaves the row in
"sending"; after NOTIFY_CLAIM_TIMEOUT_SECONDS another worker reclaims it, counting the attempt
(the stable Message-ID lets mail systems drop the rare duplicate if the first worker died after
the server had accepted the message); with no attempts left it is "failed" instead.

Failures are recorded, not raised: last_error, and a retry after an exponential backoff
(NOTIFY_RETRY_SECONDS x 2^(attempt-1)); after NOTIFY_MAX_ATTEMPTS the row is "failed". A
permanent failure (an address no server can take) is "failed" at once.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import sqlalchemy as sa
from flask import current_app
from icalendar import Calendar
from sqlalchemy.orm import joinedload

from lti_tool import outbox
from lti_tool.courses.models import Person
from lti_tool.dbutil import insert_unless_present, rowcount
from lti_tool.extensions import db
from lti_tool.notify import mail
from lti_tool.notify.models import (
    CANCELLED,
    FAILED,
    NO_ADDRESS,
    PENDING,
    SENDING,
    SENT,
    STATUSES,
    Notification,
)
from lti_tool.timeutil import utcnow

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
MAX_KIND_LENGTH = 64
MAX_LINK_LENGTH = 2048

NOTIFICATIONS = outbox.Queue(
    name="notifications", settings="NOTIFY", rows=Notification, due_at=Notification.send_after,
    order=(Notification.send_after, Notification.id), statuses=STATUSES,
    # A claim is the attempt: the row is "sending" from the moment it is claimed.
    on_claim={"status": SENDING, "attempts": Notification.attempts + 1})


# --- Enqueueing (inside the caller's transaction: flush, never commit) ------------------------

def enqueue(recipient: Person, kind: str, subject: str, body: str, *, dedupe_key: str,
            send_after: datetime | None = None, calendar: str | None = None,
            calendar_method: str | None = None, link: str = "",
            html: str | None = None) -> Notification | None:
    """Queue a message to `recipient`, sent once `send_after` (default: now) has passed.

    Idempotent on `dedupe_key`: a key already queued (whatever its status, cancelled too)
    returns the existing row unchanged, so a key should name the event and its version, e.g.
    "meeting:42:reminder:24h:20240510T1400Z" for a reminder that must follow a moved meeting.
    `calendar` is an iCalendar object sent as an iTIP message; its method is `calendar_method`
    or the calendar's own METHOD (they must agree). A recipient without an e-mail address gets
    a row with status "no_address". Returns None only when there is no recipient.
    """
    if recipient is None:
        return None
    key = dedupe_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"dedupe_key must have 1 to {MAX_KEY_LENGTH} characters")
    if not kind or len(kind) > MAX_KIND_LENGTH:
        raise ValueError(f"kind must have 1 to {MAX_KIND_LENGTH} characters")
    if len(link) > MAX_LINK_LENGTH:
        raise ValueError(f"link must have at most {MAX_LINK_LENGTH} characters")
    existing = _by_key(key)
    if existing is not None:
        return existing
    if recipient.id is None:
        db.session.flush()
    values = {
        "recipient_id": recipient.id, "kind": kind, "subject": mail.clean_header(subject),
        "body": body, "html": html or None, "link": link.strip(), "calendar": calendar or None,
        "calendar_method": _calendar_method(calendar, calendar_method), "dedupe_key": key,
        "status": PENDING if (recipient.email or "").strip() else NO_ADDRESS,
        "send_after": _utc(send_after) if send_after else utcnow(),
    }
    # ON CONFLICT DO NOTHING: a concurrent enqueue of the same key neither fails nor makes a
    # second row, and the caller's transaction stays usable.
    insert_unless_present(Notification, ["dedupe_key"], values)
    # This insert's row, or the concurrent one that made it do nothing: there is one.
    row = db.session.scalars(_with_key(key)).one()
    if row.status == NO_ADDRESS:
        log.info("Notification %s (%s) kept unsent: person %s has no e-mail address",
                 row.id, kind, recipient.id)
    return row


def _with_key(key: str) -> sa.Select[Notification]:
    return sa.select(Notification).where(Notification.dedupe_key == key)


def _by_key(key: str) -> Notification | None:
    return db.session.scalar(_with_key(key))


def _calendar_method(calendar: str | None, method: str | None) -> str | None:
    if not calendar:
        if method:
            raise ValueError("calendar_method given without a calendar")
        return None
    try:
        own = Calendar.from_ical(calendar).get("METHOD")
    except Exception as exc:
        raise ValueError(f"calendar is not an iCalendar object: {exc}") from exc
    own = str(own).upper() if own else None
    method = method.upper() if method else None
    if own and method and own != method:
        raise ValueError(f"calendar_method {method} differs from the calendar's METHOD {own}")
    chosen = method or own or "PUBLISH"
    if not mail.METHOD.fullmatch(chosen):
        raise ValueError(f"Not an iTIP method: {chosen!r}")
    return chosen


def _utc(value: datetime) -> datetime:
    """Aware times are converted; naive ones are taken as UTC (as `timeutil.as_utc` does)."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def cancel(dedupe_key_prefix: str) -> int:
    """Cancel the pending notifications whose key starts with the prefix (e.g. a cancelled
    meeting's reminders, "meeting:42:reminder:"). One already claimed by a worker is in
    flight and is not recalled. Returns how many were cancelled. Flushes, does not commit."""
    if not dedupe_key_prefix:
        raise ValueError("cancel needs a non-empty dedupe_key prefix")
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.dedupe_key.startswith(dedupe_key_prefix, autoescape=True),
               Notification.status == PENDING)
        .values(status=CANCELLED)
        .execution_options(synchronize_session="fetch"))
    cancelled = rowcount(result)
    if cancelled:
        log.info("Cancelled %s notifications under %r", cancelled, dedupe_key_prefix)
    return cancelled


# --- Reading (the sandbox outbox, `flask notify status`) -----------------------------------

def recent(limit: int = 200) -> list[Notification]:
    """The newest notifications first, with their recipients."""
    query = (sa.select(Notification).options(joinedload(Notification.recipient))
             .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def utc_text(value: datetime | None) -> str:
    """A stored time as "2024-05-10 14:00:00" in UTC (SQLite gives naive UTC times,
    PostgreSQL aware ones in the connection's zone)."""
    return _utc(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def counts() -> dict[str, int]:
    """How many notifications are in each status (every status listed, zeros too)."""
    return outbox.counts(NOTIFICATIONS)


# --- Sending (outside any web request) ------------------------------------------------------

@dataclass
class SendReport:
    delivery: str = ""
    sent: int = 0
    retrying: int = 0  # failed this time, due again after the backoff
    failed: int = 0  # gave up (last attempt, or a message no retry can send)
    no_address: int = 0
    lost: int = 0  # reclaimed by another worker before the outcome was recorded
    claimed: int = 0  # rows claimed in the batch
    outcomes: list[tuple[int, str]] = field(default_factory=list)  # (id, status)

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed + self.no_address

    def add(self, other: "SendReport") -> None:
        self.delivery = other.delivery or self.delivery
        for name in ("sent", "retrying", "failed", "no_address", "lost", "claimed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.outcomes.extend(other.outcomes)

    def summary(self) -> str:
        return (f"Sent {self.sent} ({self.delivery or 'none'}), retrying {self.retrying}, "
                f"failed {self.failed}, no address {self.no_address}")


def send_due(limit: int = 100, *, now: datetime | None = None,
             mailer: mail.Mailer | None = None) -> SendReport:
    """Send up to `limit` due notifications, one claim at a time. It commits as it goes, so
    it runs in a session of its own (a CLI command), never inside a request's transaction.
    `now` fixes the clock (tests); MailConfigError if the MAIL_* settings cannot work."""
    config = current_app.config
    box = outbox.Outbox.from_config(NOTIFICATIONS, config, now=now)
    settings = mail.MailSettings.from_config(config)
    mailer = mailer or mail.mailer_for(settings)
    sender = settings.sender or f"{config['TOOL_NAME']} <no-reply@localhost>"
    run = _Run(box, mailer, sender, SendReport(delivery=mailer.delivery))
    try:
        run.report.claimed = box.drain(limit, partial(_send, run))
    finally:
        mailer.close()
    return run.report


@dataclass
class _Run:
    box: outbox.Outbox
    mailer: mail.Mailer
    sender: str
    report: SendReport


def _send(run: _Run, row_id: int, token: str) -> None:
    status = _deliver(run, row_id, token)
    if status is None:
        run.report.lost += 1
        return
    run.report.outcomes.append((row_id, status))
    name = {SENT: "sent", PENDING: "retrying", FAILED: "failed", NO_ADDRESS: "no_address"}
    if status in name:
        setattr(run.report, name[status], getattr(run.report, name[status]) + 1)


def _deliver(run: _Run, row_id: int, token: str) -> str | None:
    """Build and send one claimed row, then record the outcome: the new status, or None if
    another worker reclaimed the row meanwhile."""
    row = db.session.get(Notification, row_id, populate_existing=True)
    if row is None:  # its recipient was deleted since the claim (ON DELETE CASCADE)
        return CANCELLED
    person = row.recipient
    address = (person.email or "").strip()
    if not address:
        log.info("Notification %s (%s): person %s has no e-mail address", row.id, row.kind,
                 person.id)
        return _finish(run, row, token, NO_ADDRESS)
    try:
        run.mailer.send(mail.build_message(mail.Mail(
            sender=run.sender, to_address=address, to_name=person.display_name,
            subject=row.subject, body=_body(row), message_id=_message_id(row, run.sender),
            calendar=row.calendar, calendar_method=row.calendar_method)))
    except mail.PermanentMailError as exc:
        log.warning("Notification %s (%s) to person %s cannot be sent: %s", row.id, row.kind,
                    person.id, exc)
        return _finish(run, row, token, FAILED, last_error=str(exc))
    except Exception as exc:  # recorded and retried, never raised: the batch goes on
        return _failed(run, row, token, exc)
    log.info("Notification %s (%s) sent to person %s via %s (attempt %s)", row.id, row.kind,
             person.id, run.mailer.delivery, row.attempts)
    return _finish(run, row, token, SENT, delivery=run.mailer.delivery, to_address=address,
                   sent_at=run.box.now(), last_error="")


def _failed(run: _Run, row: Notification, token: str, exc: Exception) -> str | None:
    error = mail.describe_error(exc)
    policy = run.box.policy
    if row.attempts >= policy.max_attempts:
        log.warning("Notification %s (%s) failed for good after %s attempts: %s", row.id,
                    row.kind, row.attempts, error)
        return _finish(run, row, token, FAILED, last_error=error)
    retry_at = run.box.now() + policy.backoff(row.attempts)
    log.warning("Notification %s (%s) attempt %s failed, retrying after %s: %s", row.id,
                row.kind, row.attempts, retry_at.isoformat(timespec="seconds"), error)
    return _finish(run, row, token, PENDING, last_error=error, send_after=retry_at)


def _finish(run: _Run, row: Notification, token: str, status: str, **values) -> str | None:
    """Move a claimed row on, while the claim is ours (a reclaimed row is not)."""
    row_id = row.id
    if run.box.finish(row_id, token, status=status, **values):
        return status
    log.warning("Notification %s was reclaimed by another worker before it was marked %s",
                row_id, status)
    return None


def _body(row: Notification) -> str:
    body = row.body.rstrip()
    if row.link and row.link not in body:
        body += f"\n\n{row.link}"
    return body + "\n"


def _message_id(row: Notification, sender: str) -> str:
    """Stable per notification, so a resend after a crashed worker is recognised as such."""
    domain = mail.sender_address(sender).rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:12]
    return f"<pairwise.{row.id}.{digest}@{domain}>"


def run_worker(*, interval: float, max_loops: int, limit: int = 100,
               sleep: Callable[[float], None] = time.sleep,
               on_batch: Callable[[SendReport], None] | None = None) -> SendReport:
    """`send_due` up to `max_loops` times, sleeping `interval` seconds between batches (not
    after a full batch: more may be due). Bounded so cron or a process manager restarts it."""
    return outbox.run_worker(lambda: send_due(limit), SendReport(), interval=interval,
                             max_loops=max_loops, limit=limit, sleep=sleep, on_batch=on_batch)
