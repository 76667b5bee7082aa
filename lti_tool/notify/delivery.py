"""When a due notification goes, and with what: the delivery rules the sender applies to each
notification it has claimed (`services.send_due`).

- Off: a notification of a topic the person turned off, unless its kind is essential, is kept
  as "skipped" and never sent.
- Urgent kinds (`kinds.Kind.urgent`: a deadline is close) go at once.
- Digest: a topic in the daily digest waits until the person's next 08:00 (their LMS
  profile's zone), then goes with everything else due in one e-mail.
- One e-mail per hour: any other notification goes only if the person's last e-mail left an
  hour ago or more; otherwise it waits until the hour is over.
- Bundles: an e-mail that goes carries every other due, non-urgent notification of that person
  waiting to go (each with its link), except calendar invitations, which are always e-mails of
  their own (one iTIP part per message) but count as e-mails.

A waiting notification goes back to "pending" with `send_after` moved on and `held` saying why;
its claim did not count as an attempt. A changed preference makes held ones due again
(`preferences.release_held`).

Concurrency. The hour is reserved on the person's `Mailbox` row with a guarded UPDATE ("last
e-mail an hour ago or more") in the transaction that claims the bundle, committed before
sending: of two workers sending to one person, exactly one gets the hour, and as every send
writes that row first, the claims of one person's bundles never interleave (PostgreSQL queues
the second UPDATE behind the first; SQLite has one writer). The other notifications of the
bundle are claimed with the lead's token, status "sending" and attempts + 1, in one UPDATE
whose WHERE repeats "pending, due and unclaimed", so a row another worker claimed is never
taken: each row is in exactly one e-mail, sent once.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from lti_tool.dbutil import insert_unless_present, rowcount
from lti_tool.extensions import db
from lti_tool.notify import kinds, preferences
from lti_tool.notify.kinds import Kind
from lti_tool.notify.models import (
    DIGEST,
    EACH,
    HELD_DIGEST,
    HELD_HOUR,
    OFF,
    PENDING,
    SENDING,
    Mailbox,
    Notification,
)
from lti_tool.notify.readers import zone_info
from lti_tool.timeutil import as_utc

HOUR = timedelta(hours=1)
DIGEST_AT = time(8, 0)

# A kind not in kinds.KINDS (only direct `services.enqueue` calls make one) goes as it comes.
_UNLISTED = Kind(name="", topic="", essential=True, urgent=True)


def kind_of(name: str) -> Kind:
    return kinds.KINDS.get(name) or replace(_UNLISTED, name=name)


@dataclass(frozen=True)
class Plan:
    """What to do with one claimed notification now."""

    action: str  # SEND, SKIP or HOLD
    until: datetime | None = None  # HOLD: when it is due again
    held: str | None = None  # HOLD: HELD_HOUR or HELD_DIGEST
    limited: bool = False  # SEND: only if the hour is free (one e-mail per hour)
    digest: bool = False  # SEND: the daily digest


SEND, SKIP, HOLD = "send", "skip", "hold"


def plan(kind: Kind, mode: str, held: str | None, now: datetime, zone: str) -> Plan:
    """The rules for one notification of `kind`, whose topic the person reads in `mode`
    (`preferences.mode_for`), held before for `held`, at `now`, for a person in `zone`."""
    if mode == OFF:
        return Plan(SKIP)
    if kind.urgent:
        return Plan(SEND)
    if held == HELD_DIGEST:
        return Plan(SEND, digest=True)
    if mode == DIGEST:
        return Plan(HOLD, until=next_digest(now, zone), held=HELD_DIGEST)
    return Plan(SEND, limited=True)


def next_digest(now: datetime, zone: str) -> datetime:
    """The first 08:00 in `zone` after `now`, in UTC (DST-correct: 08:00 is never skipped or
    repeated by a change of clocks)."""
    tz = zone_info(zone)
    local = as_utc(now).astimezone(tz)
    candidate = datetime.combine(local.date(), DIGEST_AT, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), DIGEST_AT, tzinfo=tz)
    return as_utc(candidate.astimezone(as_utc(now).tzinfo))


def plan_for(row: Notification, now: datetime) -> tuple[Plan, dict[str, str]]:
    """The plan for a claimed row, and its recipient's modes (for the bundle)."""
    person = row.recipient
    modes = preferences.modes_of(person.id)
    kind = kind_of(row.kind)
    return plan(kind, preferences.mode_for(kind, modes), row.held, now, person.timezone), modes


# --- The hour, on the person's mailbox -------------------------------------------------------

@dataclass(frozen=True)
class Reservation:
    person_id: int
    at: datetime  # the last_sent_at written
    previous: datetime | None  # what it was, written back if the e-mail fails


def reserve(person_id: int, now: datetime, *, limited: bool) -> Reservation | None:
    """Write `now` as the person's last e-mail: only if their last e-mail left an hour ago or
    more when `limited` (None: the hour is taken). Flushes, does not commit."""
    insert_unless_present(Mailbox, ["person_id"], {"person_id": person_id,
                                                   "last_sent_at": None})
    previous = db.session.scalar(sa.select(Mailbox.last_sent_at).filter_by(person_id=person_id))
    statement = sa.update(Mailbox).where(Mailbox.person_id == person_id)
    if limited:
        statement = statement.where(sa.or_(Mailbox.last_sent_at.is_(None),
                                           Mailbox.last_sent_at <= now - HOUR))
    result = db.session.execute(statement.values(last_sent_at=now)
                                .execution_options(synchronize_session=False))
    return Reservation(person_id, now, previous) if rowcount(result) == 1 else None


def hour_free_at(person_id: int) -> datetime | None:
    """When the person may get their next non-urgent e-mail."""
    last = db.session.scalar(sa.select(Mailbox.last_sent_at).filter_by(person_id=person_id))
    return as_utc(last) + HOUR if last else None


def hold_for_the_hour(person_id: int, now: datetime) -> Plan:
    """The plan for a notification whose e-mail must wait for the person's hour."""
    free_at = hour_free_at(person_id) or now
    return Plan(HOLD, until=max(free_at, now), held=HELD_HOUR)


def give_back(reservation: Reservation) -> None:
    """An e-mail that did not go leaves the hour as it was (unless another one went since)."""
    db.session.execute(
        sa.update(Mailbox)
        .where(Mailbox.person_id == reservation.person_id,
               Mailbox.last_sent_at == reservation.at)
        .values(last_sent_at=reservation.previous).execution_options(synchronize_session=False))


# --- Bundles ----------------------------------------------------------------------------------

def claim_bundle(lead: Notification, token: str, now: datetime, modes: Mapping[str, str], *,
                 digest: bool) -> list[int]:
    """Claim, with the lead's token, the recipient's other notifications that go in the lead's
    e-mail; their ids in the order they were queued. Flushes, does not commit."""
    if lead.calendar:
        return []
    joins = _joining(modes, digest=digest)
    if joins is None:
        return []
    n = Notification
    db.session.execute(
        sa.update(n)
        .where(n.recipient_id == lead.recipient_id, n.id != lead.id, n.status == PENDING,
               n.send_after <= now, n.calendar.is_(None), n.claim_token.is_(None), joins)
        .values(claim_token=token, claimed_at=now, status=SENDING, attempts=n.attempts + 1)
        .execution_options(synchronize_session=False))
    return list(db.session.scalars(
        sa.select(n.id).where(n.claim_token == token, n.id != lead.id)
        .order_by(n.send_after, n.id)))


def _joining(modes: Mapping[str, str], *, digest: bool) -> sa.ColumnElement[bool] | None:
    """Which due notifications join an e-mail: non-urgent ones whose topic goes by e-mail (and,
    in the digest, those in the digest), and held ones whose topic is not off."""
    joining, not_off = [], []
    for kind in kinds.KINDS.values():
        mode = preferences.mode_for(kind, modes)
        if kind.urgent or mode == OFF:
            continue
        not_off.append(kind.name)
        if mode == EACH or digest:
            joining.append(kind.name)
    if not not_off:
        return None
    n = Notification
    return sa.or_(n.kind.in_(joining), sa.and_(n.held.is_not(None), n.kind.in_(not_off)))


def release(token: str, ids: list[int], until: datetime | None = None) -> None:
    """Notifications claimed for a bundle that did not go: pending again, due as they were
    or at `until` (the lead's retry, to go with it again), their claim not counted as an
    attempt. Flushes, does not commit."""
    if not ids:
        return
    n = Notification
    values: dict[str, Any] = {"status": PENDING, "claim_token": None,
                              "attempts": n.attempts - 1}
    if until is not None:
        values["send_after"] = until
    db.session.execute(
        sa.update(n).where(n.id.in_(ids), n.claim_token == token).values(values)
        .execution_options(synchronize_session=False))


def finish_sent(token: str, ids: list[int], bundle_id: int | None, **values) -> list[int]:
    """Mark the e-mail's notifications sent, those still claimed with `token`; the ids marked.
    Flushes, does not commit."""
    n = Notification
    marked = db.session.scalars(
        sa.update(n).where(n.id.in_(ids), n.claim_token == token)
        .values(claim_token=None, bundle_id=bundle_id, **values).returning(n.id)
        .execution_options(synchronize_session=False))
    return sorted(marked)
