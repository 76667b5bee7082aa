"""The one outbox behind the work Pairwise does outside web requests: e-mails
(`lti_tool.notify`) and scores posted to the LMS (`lti_tool.grades.sync`). A feature describes
its queue (`Queue`) and supplies "deliver one and say what the answer means"; this module owns
the rest: the policy read from the queue's settings, backoff, claiming, stalled-claim recovery,
the bounded worker loop, and the `status` and `retry-failed` commands.

Rows and units. An outbox row is one thing to deliver, with a status (pending, then sending,
then a final status or pending again for a retry), attempts, the time it is due, a claim token
and the last error. Workers claim *units*: a notification row is its own unit; for grades the
unit is a graded person (`GradeRecord`), so that one person's scores are never posted by two
workers at once (an older score could overtake a newer one), and the grade handler picks which
of the person's rows to post.

Claiming: one algorithm for both queues (`Outbox.claim`). A unit is claimable when a row of it
is due and the unit is free: no claim token, or a claim older than the claim timeout. A claim
picks candidates in the queue's order and writes a fresh claim token onto them with a guarded
UPDATE whose WHERE repeats "claimable". On PostgreSQL the candidates are first selected
`FOR UPDATE SKIP LOCKED`, so workers never wait on, or take, each other's units; on SQLite
they are a subquery of that UPDATE, and as SQLite runs one writer at a time exactly one
worker's UPDATE changes a unit. The claim is committed before any delivery, and the handler
records an outcome only while it still holds the token (`finish`, or `still_held`/`hold`
before writing several rows), so a worker whose claim expired cannot overwrite its successor's.
A handler may take a whole claimed chunk at once (`drain_chunks`: grades mark the chunk in one
transaction, deliver concurrently, and record every outcome in another).

A claim may write more than the token (notifications: status "sending" and attempts + 1, for
a claim *is* the attempt); such a queue claims one unit at a time, just before delivering it,
so a worker killed mid-run strands at most one. Grades claim 50 people at a time and count the
attempt on the row they post.

Stalled claims. A worker that dies leaves its units claimed and the row it was delivering in
"sending". Once the claim is older than the timeout the unit is claimable again and that row is
due again. Whether it is retried after its last attempt depends on whether a repeat is
harmless: a score post repeats its AGS timestamp, so the LMS answers 409 to one that had
arrived (`idempotent=True`: retried); an e-mail cannot be taken back, so a stalled notification
is reclaimed counting the attempt, and with no attempts left is failed (`give_up_stalled`).

Failures are recorded, not raised: handlers record the error and, while attempts remain, a
retry after `Policy.backoff` (retry seconds x 2^(attempt-1)). A run (`Outbox.drain`) handles at
most `limit` units, those claimable when it started: a retry or a change that falls due during
the run waits for the next one, so a run handles each unit once. On an exception it rolls back
and gives back the claims it has not started on; the unit in hand keeps its claim until the
timeout, as if the worker had been killed there.
"""

import logging
import secrets
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, Self, TypeVar

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lti_tool.dbutil import rowcount
from lti_tool.extensions import db
from lti_tool.timeutil import utcnow

log = logging.getLogger(__name__)

# The row statuses this module reads and writes; each feature's models name the same values.
PENDING = "pending"
SENDING = "sending"
FAILED = "failed"


@dataclass(frozen=True)
class Policy:
    """How many attempts, how long between them, and when a claim is presumed abandoned."""

    max_attempts: int
    retry_seconds: float
    claim_timeout_seconds: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any], prefix: str) -> "Policy":
        """From `<prefix>_MAX_ATTEMPTS`, `_RETRY_SECONDS`, `_CLAIM_TIMEOUT_SECONDS`."""
        return cls(max_attempts=max(1, int(config[f"{prefix}_MAX_ATTEMPTS"])),
                   retry_seconds=float(config[f"{prefix}_RETRY_SECONDS"]),
                   claim_timeout_seconds=float(config[f"{prefix}_CLAIM_TIMEOUT_SECONDS"]))

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait after failed attempt number `attempts` (1, 2, 4... x retry)."""
        return timedelta(seconds=self.retry_seconds * 2 ** max(0, attempts - 1))

    def stale_before(self, now: datetime) -> datetime:
        """Claims taken before this time belong to a worker presumed dead."""
        return now - timedelta(seconds=self.claim_timeout_seconds)


@dataclass(frozen=True)
class Queue:
    """One queue's tables, as the outbox needs them. `rows` has the columns `status`,
    `attempts`, `claim_token`, `claimed_at` and `last_error`; `unit` (default: `rows`) has
    `id`, `claim_token` and `claimed_at`, and `unit_key` is the rows' column naming it."""

    name: str  # what the rows are, plural: in commands' output
    settings: str  # the settings' prefix: NOTIFY -> NOTIFY_MAX_ATTEMPTS...
    rows: Any
    due_at: Any  # the rows' column: when a pending row is due
    order: tuple[Any, ...]  # the order units are claimed in
    statuses: tuple[str, ...]  # listed by `status`, in this order
    unit: Any = None
    unit_key: Any = None
    chunk: int = 1  # units per claim
    on_claim: Mapping[str, Any] = field(default_factory=dict)  # more values a claim writes
    idempotent: bool = False  # a repeated delivery is harmless (see the module docstring)

    def __post_init__(self) -> None:
        if self.unit is not None and self.unit_key is None:
            raise ValueError("a queue whose units are not its rows needs unit_key")
        if self.on_claim and self.chunk != 1:
            raise ValueError("a claim that writes more than its token claims one unit at a time")

    @property
    def units(self) -> Any:
        """The model whose rows are claimed: `unit`, or the outbox rows themselves."""
        return self.rows if self.unit is None else self.unit

    def policy(self, config: Mapping[str, Any]) -> Policy:
        return Policy.from_config(config, self.settings)


@dataclass(frozen=True)
class Claim:
    token: str
    ids: list[int]  # the units claimed, in the queue's order


class Outbox:
    """Claims a queue's units for one run under `policy`, reading the time from `clock`."""

    def __init__(self, queue: Queue, policy: Policy, clock: Callable[[], datetime] = utcnow):
        self.queue = queue
        self.policy = policy
        self.clock = clock

    @classmethod
    def from_config(cls, queue: Queue, config: Mapping[str, Any],
                    now: datetime | None = None) -> "Outbox":
        """`now` fixes the clock (tests)."""
        return cls(queue, queue.policy(config), (lambda: now) if now else utcnow)

    def now(self) -> datetime:
        return self.clock()

    def due_rows(self, now: datetime) -> sa.ColumnElement[bool]:
        """Rows with work due: pending and due, or left in "sending" by a worker whose claim
        has expired (with attempts left, unless a repeat is harmless)."""
        rows = self.queue.rows
        stalled = sa.and_(rows.status == SENDING, rows.claimed_at < self.policy.stale_before(now))
        if not self.queue.idempotent:
            stalled = sa.and_(stalled, rows.attempts < self.policy.max_attempts)
        return sa.or_(sa.and_(rows.status == PENDING, self.queue.due_at <= now), stalled)

    def claimable(self, now: datetime) -> sa.ColumnElement[bool]:
        """Units with a row due and no live claim."""
        queue, unit = self.queue, self.queue.units
        due = self.due_rows(now)
        if queue.unit is not None:
            due = unit.id.in_(sa.select(queue.unit_key).where(due))
        free = sa.or_(unit.claim_token.is_(None), unit.claimed_at < self.policy.stale_before(now))
        return sa.and_(due, free)

    def claim(self, limit: int, as_of: datetime | None = None) -> Claim:
        """Claim up to `limit` units that were claimable at `as_of` (default: now), and commit;
        see the module docstring."""
        db.session.commit()  # start from a fresh transaction
        now, unit = self.now(), self.queue.units
        claimable = self.claimable(as_of or now)
        pick = sa.select(unit.id).where(claimable).order_by(*self.queue.order).limit(limit)
        if db.engine.dialect.name == "postgresql":
            ids = list(db.session.scalars(pick.with_for_update(skip_locked=True, of=unit)))
            if not ids:
                db.session.commit()
                return Claim("", [])
            target = unit.id.in_(ids)
        else:
            target = unit.id.in_(pick.scalar_subquery())
        token = secrets.token_hex(16)
        db.session.execute(sa.update(unit).where(target, claimable)
                           .values(claim_token=token, claimed_at=now, **self.queue.on_claim)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        return Claim(token, list(db.session.scalars(
            sa.select(unit.id).where(unit.claim_token == token).order_by(*self.queue.order))))

    def still_held(self, unit_id: int, token: str) -> bool:
        """Refresh our claim on a unit, if it is still ours. A write: it also takes the write
        lock for what the caller records next, in the same transaction."""
        unit = self.queue.units
        result = db.session.execute(
            sa.update(unit).where(unit.id == unit_id, unit.claim_token == token)
            .values(claimed_at=self.now()).execution_options(synchronize_session=False))
        return rowcount(result) == 1

    def hold(self, ids: Collection[int], token: str) -> set[int]:
        """`still_held` for many units in one statement: the ids still ours, refreshed (and
        write-locked for the rest of the transaction)."""
        if not ids:
            return set()
        unit = self.queue.units
        return set(db.session.scalars(
            sa.update(unit).where(unit.id.in_(list(ids)), unit.claim_token == token)
            .values(claimed_at=self.now()).returning(unit.id)
            .execution_options(synchronize_session=False)))

    def finish(self, unit_id: int, token: str, **values: Any) -> bool:
        """Write an outcome onto a unit and release it, if the claim is still ours; commits.
        False when another worker has reclaimed it meanwhile (nothing is written)."""
        unit = self.queue.units
        result = db.session.execute(
            sa.update(unit).where(unit.id == unit_id, unit.claim_token == token)
            .values(claim_token=None, **values).execution_options(synchronize_session=False))
        db.session.commit()
        return rowcount(result) == 1

    def release(self, token: str, ids: Collection[int]) -> None:
        """Give back claimed units not started on; commits."""
        if not ids:
            return
        unit = self.queue.units
        db.session.execute(sa.update(unit).where(unit.claim_token == token, unit.id.in_(ids))
                           .values(claim_token=None, claimed_at=None)
                           .execution_options(synchronize_session=False))
        db.session.commit()

    def give_up_stalled(self) -> int:
        """Rows left in "sending" by a worker that stopped, with no attempts left: failed."""
        rows = self.queue.rows
        result = db.session.execute(
            sa.update(rows)
            .where(rows.status == SENDING, rows.claimed_at < self.policy.stale_before(self.now()),
                   rows.attempts >= self.policy.max_attempts)
            .values(status=FAILED, claim_token=None,
                    last_error="The worker stopped while sending; no attempts left.")
            .execution_options(synchronize_session=False))
        db.session.commit()
        given_up = rowcount(result)
        if given_up:
            log.warning("Gave up %s %s left in 'sending' by a stopped worker", given_up,
                        self.queue.name)
        return given_up

    def drain(self, limit: int, handle: Callable[[int, str], None]) -> int:
        """Claim up to `limit` units, a chunk at a time, and call `handle(unit_id, token)` for
        each; `handle` commits its outcome. Returns how many units were handed over."""
        handled = 0
        for claim in self._claims(limit):
            for n, unit_id in enumerate(claim.ids):
                try:
                    handle(unit_id, claim.token)
                except BaseException:
                    db.session.rollback()
                    self.release(claim.token, claim.ids[n + 1:])
                    raise
            handled += len(claim.ids)
        return handled

    def drain_chunks(self, limit: int, handle: Callable[[Claim], None]) -> int:
        """Like `drain`, but hands over a whole claimed chunk at a time: `handle(claim)`
        records the outcome of every unit of it (committing as it goes). If it raises, the
        units with no row in flight ("sending" under this claim) are given back; the others
        keep their claim until the timeout, as if the worker had been killed there."""
        handled = 0
        for claim in self._claims(limit):
            try:
                handle(claim)
            except BaseException:
                db.session.rollback()
                self.release(claim.token, self._idle(claim))
                raise
            handled += len(claim.ids)
        return handled

    def _claims(self, limit: int) -> Iterator[Claim]:
        """Claims of up to `limit` units in all, a chunk at a time, each taken once the one
        before is handled."""
        started = self.now()  # the run takes on what is due now, not what falls due meanwhile
        if not self.queue.idempotent:
            self.give_up_stalled()
        claimed = 0
        while claimed < limit:
            claim = self.claim(min(self.queue.chunk, limit - claimed), as_of=started)
            if not claim.ids:
                return
            yield claim
            claimed += len(claim.ids)

    def _idle(self, claim: Claim) -> list[int]:
        """The claim's units with no row in flight under it."""
        rows = self.queue.rows
        key = rows.id if self.queue.unit_key is None else self.queue.unit_key
        busy = set(db.session.scalars(sa.select(key).where(
            key.in_(claim.ids), rows.status == SENDING, rows.claim_token == claim.token)))
        db.session.rollback()
        return [unit_id for unit_id in claim.ids if unit_id not in busy]


# --- The worker loop ----------------------------------------------------------------------

class Report(Protocol):
    claimed: int  # units handed to the handler in the batch

    def add(self, other: Self) -> None: ...


R = TypeVar("R", bound=Report)


def run_worker(batch: Callable[[], R], total: R, *, interval: float, max_loops: int,
               limit: int, sleep: Callable[[float], None] = time.sleep,
               on_batch: Callable[[R], None] | None = None) -> R:
    """Run `batch` up to `max_loops` times, adding each report to `total`, sleeping `interval`
    seconds between batches but not after a full one (`limit` units: more may be due).
    Bounded, so cron or a process manager restarts it."""
    for loop in range(max_loops):
        report = batch()
        total.add(report)
        if on_batch:
            on_batch(report)
        db.session.remove()  # hold no connection while sleeping
        if loop + 1 < max_loops and report.claimed < limit:
            sleep(interval)
    return total


# --- Status and requeueing ----------------------------------------------------------------

def counts(queue: Queue) -> dict[str, int]:
    """How many rows are in each of the queue's statuses (zeros too)."""
    rows = queue.rows
    found: dict[str, int] = dict(db.session.execute(
        sa.select(rows.status, sa.func.count()).group_by(rows.status)).all())
    return {status: found.get(status, 0) for status in queue.statuses}


def retry_failed(queue: Queue, *where: sa.ColumnElement[bool]) -> int:
    """Give failed rows a fresh set of attempts, due now (after fixing what made them fail).
    Flushes, does not commit."""
    rows = queue.rows
    result = db.session.execute(
        sa.update(rows).where(rows.status == FAILED, *where)
        .values({rows.status: PENDING, rows.attempts: 0, queue.due_at: utcnow(),
                 rows.claim_token: None})
        .execution_options(synchronize_session="fetch"))
    return rowcount(result)


def add_commands(group: AppGroup, queue: Queue) -> None:
    """Add `status` and `retry-failed` for `queue` to a feature's command group."""

    @group.command("status", help=f"How many {queue.name} are in each status.")
    def status() -> None:
        for name, count in counts(queue).items():
            click.echo(f"{name:11} {count}")

    @group.command("retry-failed",
                   help=f"Queue the failed {queue.name} again with fresh attempts.")
    def retry() -> None:
        count = retry_failed(queue)
        db.session.commit()
        click.echo(f"Queued {count} failed {queue.name} again.")
