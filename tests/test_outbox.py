"""The outbox itself (`lti_tool.outbox`), on both of its queues: notifications, whose rows are
their own units of claim, and grades, whose unit is a person's record. Claims in order and at
most once, a concurrent claim (skipped on PostgreSQL, waited for and refused on SQLite),
stalled claims, runs, the worker loop and the policy."""

import dataclasses
import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool import outbox
from lti_tool.courses.models import Course, Person, Program
from lti_tool.extensions import db
from lti_tool.grades.models import GradeRecord, GradeSync
from lti_tool.grades.sync import GRADES
from lti_tool.notify.models import Notification
from lti_tool.notify.services import NOTIFICATIONS
from lti_tool.timeutil import as_utc, utcnow
from tests.support.rows import platform_row

NOW = utcnow().replace(microsecond=0)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@dataclass
class Builder:
    """Makes units of one queue, each with one row due at `due` (default: a minute ago)."""

    queue: outbox.Queue
    platform_id: int
    program_id: int | None = None
    made: list[int] = field(default_factory=list)

    def person(self) -> Person:
        person = Person(platform_id=self.platform_id, subject=f"user-{len(self.made)}",
                        email=f"user{len(self.made)}@example.edu")
        db.session.add(person)
        db.session.flush()
        return person

    def unit(self, due=None, **row) -> int:
        due = due or NOW - timedelta(minutes=1)
        person = self.person()
        if self.queue is NOTIFICATIONS:
            item = Notification(recipient_id=person.id, kind="test", subject="Hello", body="Hi",
                                dedupe_key=f"test:{len(self.made)}", send_after=due, **row)
            db.session.add(item)
            db.session.flush()
            unit_id = item.id
        else:
            record = GradeRecord(program_id=self.program_id, person_id=person.id)
            db.session.add(record)
            db.session.flush()
            db.session.add(GradeSync(record_id=record.id, program_id=self.program_id,
                                     score_given=10, score_maximum=100,
                                     activity_progress="InProgress", next_attempt_at=due,
                                     timestamp=NOW - timedelta(hours=1), **row))
            unit_id = record.id
        db.session.commit()
        self.made.append(unit_id)
        return unit_id

    def units(self, count: int) -> list[int]:
        return [self.unit() for _ in range(count)]


def _builder(queue: outbox.Queue) -> Builder:
    platform = platform_row("client-1")
    course = Course(platform_id=platform.id, context_id="course-1")
    program = Program(course=course, title="Mentoring")
    db.session.add(program)
    db.session.commit()
    return Builder(queue, platform.id, program.id)


@pytest.fixture(params=["notifications", "grades"])
def build(request, ctx) -> Builder:
    return _builder({"notifications": NOTIFICATIONS, "grades": GRADES}[request.param])


def box_at(queue: outbox.Queue, now, config) -> outbox.Outbox:
    return outbox.Outbox(queue, queue.policy(config), lambda: now)


def unit_of(queue: outbox.Queue, unit_id: int):
    db.session.rollback()
    return db.session.get(queue.units, unit_id, populate_existing=True)


# --- The policy -------------------------------------------------------------------------------

def test_the_policy_reads_its_queues_settings_and_backs_off_exponentially(ctx):
    policy = outbox.Policy.from_config({"X_MAX_ATTEMPTS": "4", "X_RETRY_SECONDS": "30",
                                        "X_CLAIM_TIMEOUT_SECONDS": 120}, "X")
    assert policy == outbox.Policy(max_attempts=4, retry_seconds=30.0,
                                   claim_timeout_seconds=120.0)
    assert [policy.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert policy.stale_before(NOW) == NOW - timedelta(minutes=2)
    assert outbox.Policy.from_config({"X_MAX_ATTEMPTS": 0, "X_RETRY_SECONDS": 1,
                                      "X_CLAIM_TIMEOUT_SECONDS": 1}, "X").max_attempts == 1
    ctx.config.update(NOTIFY_MAX_ATTEMPTS=5, GRADES_MAX_ATTEMPTS=6,
                      NOTIFY_CLAIM_TIMEOUT_SECONDS=900, GRADES_CLAIM_TIMEOUT_SECONDS=300)
    assert NOTIFICATIONS.policy(ctx.config).max_attempts == 5
    assert GRADES.policy(ctx.config).max_attempts == 6
    assert NOTIFICATIONS.policy(ctx.config).claim_timeout_seconds == 900
    assert GRADES.policy(ctx.config).claim_timeout_seconds == 300


def test_a_queue_that_cannot_be_claimed_safely_is_refused():
    with pytest.raises(ValueError, match="one unit at a time"):
        outbox.Queue(name="x", settings="X", rows=Notification, due_at=Notification.send_after,
                     order=(Notification.id,), statuses=(), chunk=5,
                     on_claim={"status": outbox.SENDING})
    with pytest.raises(ValueError, match="unit_key"):
        outbox.Queue(name="x", settings="X", rows=GradeSync, due_at=GradeSync.next_attempt_at,
                     order=(GradeRecord.id,), statuses=(), unit=GradeRecord)


def test_the_features_statuses_are_the_outboxs():
    from lti_tool.grades import models as grades
    from lti_tool.notify import models as notify

    for feature in (grades, notify):
        assert (feature.PENDING, feature.SENDING, feature.FAILED) == (
            outbox.PENDING, outbox.SENDING, outbox.FAILED)


# --- Claiming ---------------------------------------------------------------------------------

def test_due_units_are_claimed_in_order_once_with_a_fresh_token(build, ctx):
    later = build.unit(due=NOW + timedelta(minutes=5))
    first, second = build.units(2)
    box = box_at(build.queue, NOW, ctx.config)
    one = box.claim(1)
    assert one.ids == [first] and len(one.token) == 32
    other = box.claim(5)
    assert other.ids == [second] and other.token != one.token
    assert box.claim(5).ids == []  # both held, the third not due
    assert unit_of(build.queue, first).claim_token == one.token
    assert as_utc(unit_of(build.queue, first).claimed_at) == NOW
    assert unit_of(build.queue, later).claim_token is None
    assert box_at(build.queue, NOW + timedelta(minutes=5), ctx.config).claim(5).ids == [later]


def test_a_notification_claim_is_its_attempt(ctx):
    build = _builder(NOTIFICATIONS)
    row_id = build.unit()
    box_at(NOTIFICATIONS, NOW, ctx.config).claim(1)
    row = unit_of(NOTIFICATIONS, row_id)
    assert (row.status, row.attempts) == ("sending", 1)


def test_a_grade_claim_holds_the_person_not_the_rows(ctx):
    build = _builder(GRADES)
    busy, idle = build.units(2)
    db.session.add(GradeSync(record_id=busy, program_id=build.program_id, score_maximum=100,
                             activity_progress="Completed", next_attempt_at=NOW))
    db.session.commit()
    claim = box_at(GRADES, NOW, ctx.config).claim(50)
    assert claim.ids == [busy, idle]  # one claim per person, however many rows are due
    statuses = db.session.execute(sa.select(GradeSync.status, GradeSync.attempts)).all()
    assert sorted(statuses) == [("pending", 0)] * 3  # the handler starts the attempt


def test_only_the_holder_of_the_claim_records_an_outcome(build, ctx):
    unit_id = build.unit()
    box = box_at(build.queue, NOW, ctx.config)
    token = box.claim(1).token
    assert box.still_held(unit_id, token)
    db.session.commit()
    assert not box.finish(unit_id, "someone-else", claimed_at=None)
    assert not box.still_held(unit_id, "someone-else")
    assert box.finish(unit_id, token, claimed_at=None)
    assert unit_of(build.queue, unit_id).claim_token is None
    assert not box.finish(unit_id, token, claimed_at=None)  # released: not ours any more


# --- Another worker claiming at the same time ---------------------------------------------------

def test_a_unit_another_worker_is_claiming_is_never_taken(build, ctx):
    """Another worker has claimed the first unit and not committed yet. PostgreSQL: the pick
    `FOR UPDATE SKIP LOCKED` passes it by without waiting. SQLite: the claim waits for the
    other writer, then its guarded UPDATE sees the unit taken and leaves it."""
    first, *others = build.units(3)
    engine, unit = db.engine, build.queue.units
    holding, done_here = threading.Event(), threading.Event()
    committed: list[float] = []

    def other_worker():
        with engine.connect() as connection:
            connection.execute(sa.update(unit).where(unit.id == first)
                               .values(claim_token="other-worker", claimed_at=NOW))
            holding.set()
            done_here.wait(timeout=1.5)  # PostgreSQL: until this worker has its claim
            connection.commit()
            committed.append(time.monotonic())

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert holding.wait(timeout=10)
    claim = box_at(build.queue, NOW, ctx.config).claim(10)
    returned = time.monotonic()
    done_here.set()
    thread.join(timeout=10)
    assert claim.ids == others
    assert unit_of(build.queue, first).claim_token == "other-worker"
    if engine.dialect.name == "postgresql":
        assert returned < committed[0]  # skipped, not waited for
    else:
        assert committed[0] < returned  # one writer at a time: waited, then refused


def test_racing_workers_claim_every_unit_exactly_once(build, ctx):
    ids = build.units(24)
    claimed: list[list[int]] = []
    start = threading.Barrier(3)

    def worker():
        mine = []
        with ctx.app_context():
            box = box_at(build.queue, NOW, ctx.config)
            start.wait(timeout=10)
            while taken := box.claim(build.queue.chunk).ids:
                mine.extend(taken)
            db.session.remove()
        claimed.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    everything = [unit_id for mine in claimed for unit_id in mine]
    assert len(claimed) == 3 and sorted(everything) == sorted(ids)


# --- Stalled claims -----------------------------------------------------------------------------

def test_a_stalled_notification_is_reclaimed_counting_the_attempt(ctx):
    build = _builder(NOTIFICATIONS)
    row_id = build.unit()
    timeout = NOTIFICATIONS.policy(ctx.config).claim_timeout_seconds
    dead = box_at(NOTIFICATIONS, NOW, ctx.config).claim(1).token  # then the worker died
    early = box_at(NOTIFICATIONS, NOW + timedelta(seconds=timeout - 1), ctx.config)
    assert early.claim(1).ids == []
    late = box_at(NOTIFICATIONS, NOW + timedelta(seconds=timeout + 1), ctx.config)
    claim = late.claim(1)
    assert claim.ids == [row_id]
    row = unit_of(NOTIFICATIONS, row_id)
    assert (row.status, row.attempts, row.claim_token) == ("sending", 2, claim.token)
    assert not late.finish(row_id, dead, status="sent")  # the dead worker's token is void
    assert unit_of(NOTIFICATIONS, row_id).status == "sending"


def test_a_stalled_notification_with_no_attempts_left_is_failed_not_sent(ctx):
    build = _builder(NOTIFICATIONS)
    row_id = build.unit(attempts=4)
    ctx.config["NOTIFY_MAX_ATTEMPTS"] = 5
    box_at(NOTIFICATIONS, NOW, ctx.config).claim(1)  # the fifth attempt; the worker died
    handled = []
    box = box_at(NOTIFICATIONS, NOW + timedelta(hours=1), ctx.config)
    assert box.drain(10, lambda unit_id, token: handled.append(unit_id)) == 0
    row = unit_of(NOTIFICATIONS, row_id)
    assert handled == [] and row.status == "failed" and row.claim_token is None
    assert "stopped while sending" in row.last_error


def test_a_stalled_grade_post_is_retried_even_after_its_last_attempt(ctx):
    """Repeating a score post is harmless (same timestamp: 409), so unlike a notification a
    stalled one is handed over again, whatever its attempts."""
    build = _builder(GRADES)
    ctx.config["GRADES_MAX_ATTEMPTS"] = 3
    record_id = build.unit(status="sending", attempts=3, claimed_at=NOW, claim_token="dead")
    record = db.session.get(GradeRecord, record_id)
    record.claim_token, record.claimed_at = "dead", NOW
    db.session.commit()
    timeout = GRADES.policy(ctx.config).claim_timeout_seconds
    early = box_at(GRADES, NOW + timedelta(seconds=timeout - 1), ctx.config)
    assert early.drain(10, lambda unit_id, token: None) == 0
    late = box_at(GRADES, NOW + timedelta(seconds=timeout + 1), ctx.config)
    handed = []
    assert late.drain(10, lambda unit_id, token: handed.append((unit_id, token))) == 1
    assert handed[0][0] == record_id and handed[0][1] != "dead"
    row = db.session.scalars(sa.select(GradeSync)).one()
    assert (row.status, row.attempts) == ("sending", 3)  # left for the handler to post


# --- Runs ---------------------------------------------------------------------------------------

def test_a_run_takes_on_what_was_due_when_it_started_each_unit_once(build, ctx):
    ids = build.units(3)
    ticks = itertools.count()
    box = outbox.Outbox(build.queue, build.queue.policy(ctx.config),
                        lambda: NOW + timedelta(seconds=next(ticks)))  # a second per reading
    rows, key = build.queue.rows, build.queue.unit_key or build.queue.rows.id
    handed, added = [], []

    def retry_at_once(unit_id, token):  # a zero backoff: due again at once
        handed.append(unit_id)
        if not added:
            added.append(build.unit(due=box.now()))  # queued while the run goes on
        db.session.execute(sa.update(rows).where(key == unit_id)
                           .values({rows.status: "pending", build.queue.due_at: box.now()}))
        assert box.finish(unit_id, token, claimed_at=None)

    assert box.drain(10, retry_at_once) == 3
    assert sorted(handed) == ids
    assert box.drain(10, lambda unit_id, token: None) == 4  # the next run: all of them
    assert box.drain(10, lambda unit_id, token: None) == 0  # held (no outcome recorded)


def test_an_error_gives_back_the_claims_not_started_on(ctx):
    build = _builder(GRADES)
    first, *rest = build.units(3)

    def fail(unit_id, token):
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        box_at(GRADES, NOW, ctx.config).drain(10, fail)
    assert unit_of(GRADES, first).claim_token is not None  # in hand: kept until the timeout
    assert [unit_of(GRADES, unit_id).claim_token for unit_id in rest] == [None, None]
    assert box_at(GRADES, NOW, ctx.config).claim(10).ids == rest


def test_hold_refreshes_in_one_statement_only_the_units_still_ours(build, ctx):
    first, second, third = build.units(3)
    box = box_at(build.queue, NOW, ctx.config)
    token = box.claim(3).token
    unit = build.queue.units
    db.session.execute(sa.update(unit).where(unit.id == second).values(claim_token="other"))
    db.session.commit()
    assert box.hold([first, second, third], token) == {first, third}
    assert box.hold([], token) == set()


def test_an_error_in_a_chunk_gives_back_the_units_with_nothing_in_flight(ctx):
    """A chunk handler marked one person's change "sending" (posted, perhaps) and died: that
    person stays claimed until the timeout; the others are given back at once."""
    build = _builder(GRADES)
    busy, *idle = build.units(3)
    seen = []

    def fail(claim):
        seen.append(claim.ids)
        db.session.execute(sa.update(GradeSync).where(GradeSync.record_id == busy)
                           .values(status="sending", claim_token=claim.token))
        db.session.commit()
        raise RuntimeError("the worker died")

    with pytest.raises(RuntimeError):
        box_at(GRADES, NOW, ctx.config).drain_chunks(10, fail)
    assert seen == [[busy, *idle]]  # the whole chunk at once
    assert unit_of(GRADES, busy).claim_token is not None
    assert [unit_of(GRADES, unit_id).claim_token for unit_id in idle] == [None, None]
    assert box_at(GRADES, NOW, ctx.config).claim(10).ids == idle


def test_drain_chunks_hands_over_chunks_up_to_the_limit(ctx):
    build = _builder(GRADES)
    build.units(5)
    chunks = []
    box = box_at(dataclasses.replace(GRADES, chunk=2), NOW, ctx.config)
    assert box.drain_chunks(4, lambda claim: chunks.append(claim.ids)) == 4
    assert chunks == [build.made[:2], build.made[2:4]]


# --- The worker loop and the commands' logic ----------------------------------------------------

@dataclass
class Batch:
    claimed: int = 0

    def add(self, other: "Batch") -> None:
        self.claimed += other.claimed


def test_the_worker_sleeps_between_batches_but_not_after_a_full_one(ctx):
    batches, sleeps, seen = iter([Batch(2), Batch(1), Batch(0), Batch(2)]), [], []
    total = outbox.run_worker(lambda: next(batches), Batch(), interval=5, max_loops=4, limit=2,
                              sleep=sleeps.append, on_batch=seen.append)
    assert total.claimed == 5 and len(seen) == 4
    assert sleeps == [5, 5]  # after the 2nd and 3rd; not after the full 1st, nor the last


def test_counts_list_every_status_and_retry_failed_requeues(build, ctx):
    failed = build.unit(status="failed", attempts=5)
    build.unit()
    counts = outbox.counts(build.queue)
    assert list(counts) == list(build.queue.statuses)
    assert (counts["pending"], counts["failed"], counts["sending"]) == (1, 1, 0)
    assert outbox.retry_failed(build.queue) == 1
    db.session.commit()
    row = db.session.scalars(sa.select(build.queue.rows).where(
        build.queue.rows.status == "pending").order_by(build.queue.rows.id)).first()
    assert (row.attempts, row.claim_token) == (0, None)
    assert outbox.counts(build.queue)["pending"] == 2
    assert failed in box_at(build.queue, utcnow() + timedelta(seconds=1), ctx.config).claim(
        10).ids
