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

What a claimed notification becomes is `delivery`'s rules (the person's choices, one e-mail per
hour, the daily digest): sent, "skipped" (its topic is off), or pending again until its time
(the claim then does not count as an attempt). An e-mail that goes carries the person's other
due notifications with it: they are claimed with the lead's token in the transaction that
reserves the person's hour, committed before sending, and finished with the lead (a failed
e-mail gives them back, due as they were).
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
from lti_tool.notify import bundles, delivery, mail, unsubscribe
from lti_tool.notify.models import (
    CANCELLED,
    FAILED,
    HELD_DIGEST,
    NO_ADDRESS,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
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
            html: str | None = None, manage_link: str = "") -> Notification | None:
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
    if len(link) > MAX_LINK_LENGTH or len(manage_link) > MAX_LINK_LENGTH:
        raise ValueError(f"links must have at most {MAX_LINK_LENGTH} characters")
    existing = _by_key(key)
    if existing is not None:
        return existing
    if recipient.id is None:
        db.session.flush()
    values = {
        "recipient_id": recipient.id, "kind": kind, "subject": mail.clean_header(subject),
        "body": body, "html": html or None, "link": link.strip(),
        "manage_link": manage_link.strip(), "calendar": calendar or None,
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


def outbox_row(notification_id: int) -> Notification | None:
    return db.session.get(Notification, notification_id)


def sender() -> str:
    """The From of every e-mail: MAIL_FROM, else the tool's name at no-reply@localhost."""
    config = current_app.config
    return str(config.get("MAIL_FROM") or "").strip() or \
        f"{config['TOOL_NAME']} <no-reply@localhost>"


def email_of(row: Notification) -> tuple[bundles.Email, list[Notification]]:
    """The e-mail `row` went in (or goes in, on its own, while it waits) as its recipient
    reads it, and the notifications it carries, the one that led it first."""
    rows = [row]
    if row.bundle_id is not None:
        rows = sorted(db.session.scalars(sa.select(Notification).filter_by(
            bundle_id=row.bundle_id)), key=lambda r: (r.id != row.bundle_id, r.id))
    lead = rows[0]
    return bundles.email_of(rows, lead.recipient, digest=lead.held == HELD_DIGEST,
                            unsubscribe_url=unsubscribe.url_for_person(lead.recipient)), rows


# --- Sending (outside any web request) ------------------------------------------------------

WAITING = "waiting"  # an outcome, not a status: pending again until the hour or the digest


@dataclass
class SendReport:
    delivery: str = ""
    sent: int = 0  # notifications sent (one e-mail may carry several)
    emails: int = 0  # e-mails sent
    retrying: int = 0  # failed this time, due again after the backoff
    failed: int = 0  # gave up (last attempt, or a message no retry can send)
    no_address: int = 0
    skipped: int = 0  # their topic is off
    waiting: int = 0  # wait for the person's hour or digest
    lost: int = 0  # reclaimed by another worker before the outcome was recorded
    claimed: int = 0  # rows claimed in the batch (those that went in another's e-mail aside)
    outcomes: list[tuple[int, str]] = field(default_factory=list)  # (id, status or WAITING)

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed + self.no_address

    def add(self, other: "SendReport") -> None:
        self.delivery = other.delivery or self.delivery
        for name in ("sent", "emails", "retrying", "failed", "no_address", "skipped", "waiting",
                     "lost", "claimed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.outcomes.extend(other.outcomes)

    def summary(self) -> str:
        text = (f"Sent {self.sent} ({self.delivery or 'none'}), retrying {self.retrying}, "
                f"failed {self.failed}, no address {self.no_address}")
        if self.emails != self.sent:
            text += f", in {self.emails} e-mails"
        if self.skipped:
            text += f", skipped {self.skipped} (turned off)"
        if self.waiting:
            text += f", waiting {self.waiting} (hourly limit or digest)"
        return text


def send_due(limit: int = 100, *, now: datetime | None = None,
             mailer: mail.Mailer | None = None) -> SendReport:
    """Send up to `limit` due notifications (and those that go in their e-mails), one claim at
    a time. It commits as it goes, so it runs in a session of its own (a CLI command), never
    inside a request's transaction. `now` fixes the clock (tests); MailConfigError if the
    MAIL_* settings cannot work."""
    config = current_app.config
    box = outbox.Outbox.from_config(NOTIFICATIONS, config, now=now)
    settings = mail.MailSettings.from_config(config)
    mailer = mailer or mail.mailer_for(settings)
    run = _Run(box, mailer, settings.sender or sender(), SendReport(delivery=mailer.delivery))
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


_COUNTERS = {SENT: "sent", PENDING: "retrying", FAILED: "failed", NO_ADDRESS: "no_address",
             SKIPPED: "skipped", WAITING: "waiting"}


def _send(run: _Run, row_id: int, token: str) -> None:
    outcomes = _deliver(run, row_id, token)
    if outcomes is None:
        run.report.lost += 1
        return
    run.report.outcomes.extend(outcomes)
    for _, status in outcomes:
        if status in _COUNTERS:
            name = _COUNTERS[status]
            setattr(run.report, name, getattr(run.report, name) + 1)
    if any(status == SENT for _, status in outcomes):
        run.report.emails += 1


Outcomes = list[tuple[int, str]] | None  # None: another worker reclaimed the row meanwhile


def _deliver(run: _Run, row_id: int, token: str) -> Outcomes:
    """Apply the delivery rules to one claimed row: skip it, put it back to wait, or send it
    with the person's other due notifications; record the outcome of each."""
    row = db.session.get(Notification, row_id, populate_existing=True)
    if row is None:  # its recipient was deleted since the claim (ON DELETE CASCADE)
        return [(row_id, CANCELLED)]
    person = row.recipient
    address = (person.email or "").strip()
    if not address:
        log.info("Notification %s (%s): person %s has no e-mail address", row.id, row.kind,
                 person.id)
        return _finished(run, row, token, NO_ADDRESS)
    now = run.box.now()
    plan, modes = delivery.plan_for(row, now)
    if plan.action == delivery.SKIP:
        log.info("Notification %s (%s) skipped: person %s turned its topic off", row.id,
                 row.kind, person.id)
        return _finished(run, row, token, SKIPPED, attempts=Notification.attempts - 1)
    if not run.box.still_held(row.id, token):  # before writing several rows (outbox)
        return None
    reservation = None
    if plan.action == delivery.SEND:
        reservation = delivery.reserve(person.id, now, limited=plan.limited)
        if reservation is None:
            plan = delivery.hold_for_the_hour(person.id, now)
    if reservation is None:
        return _wait(run, row, token, plan)
    ids = [row.id, *delivery.claim_bundle(row, token, now, modes, digest=plan.digest)]
    db.session.commit()  # the hour and the bundle are ours before anything is sent
    return _send_email(run, row, token, ids, digest=plan.digest, reservation=reservation)


def _wait(run: _Run, row: Notification, token: str, plan: delivery.Plan) -> Outcomes:
    """Back to pending until the plan's time; the claim was not an attempt."""
    log.info("Notification %s (%s) to person %s waits until %s (%s)", row.id, row.kind,
             row.recipient_id, plan.until.isoformat(timespec="seconds") if plan.until else "now",
             plan.held)
    status = _finish(run, row, token, PENDING, attempts=Notification.attempts - 1,
                     send_after=plan.until or run.box.now(), held=plan.held)
    return None if status is None else [(row.id, WAITING)]


def _send_email(run: _Run, lead: Notification, token: str, ids: list[int], *, digest: bool,
                reservation: delivery.Reservation) -> Outcomes:
    rows = _in_order(ids)
    person = lead.recipient
    address = (person.email or "").strip()
    url = unsubscribe.url_for_person(person)
    email = bundles.email_of(rows, person, digest=digest, unsubscribe_url=url)
    try:
        run.mailer.send(mail.build_message(mail.Mail(
            sender=run.sender, to_address=address, to_name=person.display_name,
            subject=email.subject, body=email.text, html=email.html,
            message_id=_message_id(lead, run.sender), calendar=lead.calendar,
            calendar_method=lead.calendar_method, unsubscribe_url=url)))
    except mail.PermanentMailError as exc:
        log.warning("Notification %s (%s) to person %s cannot be sent: %s", lead.id,
                    lead.kind, person.id, exc)
        _give_back(token, ids[1:], reservation)  # each of them is tried on its own
        return _finished(run, lead, token, FAILED, last_error=str(exc))
    except Exception as exc:  # recorded and retried, never raised: the batch goes on
        return _failed(run, lead, token, exc, others=ids[1:], reservation=reservation)
    marked = delivery.finish_sent(
        token, ids, lead.id if len(ids) > 1 else None, status=SENT,
        delivery=run.mailer.delivery, to_address=address, sent_at=run.box.now(), last_error="")
    db.session.commit()
    log.info("Notification %s (%s) sent to person %s via %s (attempt %s)%s", lead.id,
             lead.kind, person.id, run.mailer.delivery, lead.attempts,
             f" with {len(ids) - 1} more in one e-mail" if len(ids) > 1 else "")
    if len(marked) < len(ids):
        log.warning("Notifications %s were reclaimed by another worker before they were "
                    "marked sent", sorted(set(ids) - set(marked)))
    return [(row_id, SENT) for row_id in marked] or None


def _in_order(ids: list[int]) -> list[Notification]:
    found = {row.id: row for row in db.session.scalars(
        sa.select(Notification).where(Notification.id.in_(ids))
        .execution_options(populate_existing=True))}
    return [found[row_id] for row_id in ids if row_id in found]


def _give_back(token: str, others: list[int], reservation: delivery.Reservation | None,
               until: datetime | None = None) -> None:
    """An e-mail that did not go: the others it carried wait (as they were, or until the
    lead's retry), and the person's hour is as it was (committed with the lead's outcome)."""
    delivery.release(token, others, until)
    if reservation is not None:
        delivery.give_back(reservation)


def _failed(run: _Run, row: Notification, token: str, exc: Exception, *,
            others: list[int] | None = None,
            reservation: delivery.Reservation | None = None) -> Outcomes:
    """A failed attempt: retried after the backoff, with the others its e-mail carried (a
    failure of the server is theirs too), or failed for good (they go on their own)."""
    error = mail.describe_error(exc)
    policy = run.box.policy
    if row.attempts >= policy.max_attempts:
        log.warning("Notification %s (%s) failed for good after %s attempts: %s", row.id,
                    row.kind, row.attempts, error)
        _give_back(token, others or [], reservation)
        return _finished(run, row, token, FAILED, last_error=error)
    retry_at = run.box.now() + policy.backoff(row.attempts)
    log.warning("Notification %s (%s) attempt %s failed, retrying after %s: %s", row.id,
                row.kind, row.attempts, retry_at.isoformat(timespec="seconds"), error)
    _give_back(token, others or [], reservation, until=retry_at)
    return _finished(run, row, token, PENDING, last_error=error, send_after=retry_at)


def _finished(run: _Run, row: Notification, token: str, status: str, **values) -> Outcomes:
    found = _finish(run, row, token, status, **values)
    return None if found is None else [(row.id, found)]


def _finish(run: _Run, row: Notification, token: str, status: str, **values) -> str | None:
    """Move a claimed row on, while the claim is ours (a reclaimed row is not)."""
    row_id = row.id
    if run.box.finish(row_id, token, status=status, **values):
        return status
    log.warning("Notification %s was reclaimed by another worker before it was marked %s",
                row_id, status)
    return None


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
