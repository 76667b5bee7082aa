"""Posting queued scores to the LMS through Assignment and Grade Services, outside any web
request: `flask grades sync` (cron) or `flask grades worker`.

Claims. The unit of claim is a graded person (`GradeRecord`), so that one person's scores are
never posted by two workers at once (an older one could overtake a newer one). Claiming is
`lti_tool.outbox`'s, the same algorithm as for notifications: a worker claims up to 50 people
with due outbox rows by writing a fresh claim token onto their records, the candidates picked
`FOR UPDATE SKIP LOCKED` on PostgreSQL (workers never wait on, or take, each other's people),
a guarded UPDATE on SQLite (unclaimed, or claimed longer ago than GRADES_CLAIM_TIMEOUT_SECONDS)
letting exactly one writer win each record. The claim is committed before any HTTP call, and
each outcome is recorded only while the worker still holds it. This module says how to post
one person's newest score and what the LMS's answer means.

Coalescing. Of a person's pending changes only the newest is posted; older ones become
"superseded". A change older than one already sent is never posted. Each post carries an AGS
timestamp at least a second after the last one attempted for that person (Moodle keeps whole
seconds and answers 409 to a timestamp that is not later than its own); a retry repeats its
timestamp, so a post that reached the LMS before its answer was lost comes back 409 — done.

Outcomes. 200: sent. 409: the LMS already has a newer score — done, never retried. 400/422
(Moodle: "Incorrect score received"): rejected. 403: forbidden. 404: the line item is gone.
No service or scope: no_service. Timeouts, connection errors, 401 after a fresh token, 429
and 5xx: retried after GRADES_RETRY_SECONDS x 2^(attempt-1), each failure recorded on the row,
"failed" after GRADES_MAX_ATTEMPTS. People who left the course are flagged "left", not graded;
held scores stay in the tool. Errors that concern the whole line item (403, 404, no service,
a refused token) are not repeated for each learner in the same run, and a line item whose LMS
failed three times in a row is left until the next run.

Network speed. The bookkeeping is per claimed chunk of people, not per score: one transaction
marks the chunk (older changes superseded, the rest concluded or marked "sending" with their
attempt counted and their AGS timestamp fixed), the posts go out, and one more transaction
records every outcome (a bulk UPDATE of the changes and one of the people, releasing them).
The posts of a chunk go concurrently, up to `posting.POOL` at a time, from threads sharing one
connection pool (kept alive); a chunk holds each person once, so one person's posts are never
in flight together. A line item is asked one post at a time until it answers (so a 403 or a
failing LMS is met once, as when posting one by one), then concurrently. One AGS client per
resource link serves a whole run: its line item, and its access token held in memory
(cached in the database by the connector, so it also serves the next runs), fetched again
once when it is about to expire or the LMS answers 401. Threads see plain data only; the
database stays in the worker's thread (`posting`).

A worker killed mid-chunk leaves the chunk claimed and its posts "sending": after
GRADES_CLAIM_TIMEOUT_SECONDS another worker takes the people over and posts again with the
same timestamps, and the LMS answers 409 to those that had arrived.
"""

import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import requests
import sqlalchemy as sa
from flask import current_app
from pylti1p3.exception import LtiException, LtiServiceException
from sqlalchemy.orm import joinedload

from lti_tool import outbox
from lti_tool.courses.models import Enrolment, Program, ResourceLink
from lti_tool.extensions import db
from lti_tool.grades import posting, services
from lti_tool.grades.models import (
    CONFLICT,
    FAILED,
    FORBIDDEN,
    HELD,
    LEFT,
    NO_SERVICE,
    NOT_FOUND,
    PENDING,
    REJECTED,
    SENDING,
    SENT,
    SUPERSEDED,
    GradeRecord,
    GradeSync,
)
from lti_tool.lti.advantage import Score, ServiceUnavailable
from lti_tool.timeutil import as_utc

log = logging.getLogger(__name__)
CHUNK = 50  # people claimed at a time
PAUSE_AFTER = 3  # transient failures in a row on one line item before it waits for next run
MAX_FAILURES_KEPT = 20
ERROR_TEXT = 500


# --- The queue and its reports ---------------------------------------------------------------

GRADES = outbox.Queue(
    name="changes", settings="GRADES", rows=GradeSync, due_at=GradeSync.next_attempt_at,
    unit=GradeRecord, unit_key=GradeSync.record_id, order=(GradeRecord.id,),
    statuses=tuple(name for name in services.STATUS_TEXT if name), chunk=CHUNK,
    # A post that arrived before its answer was lost is repeated with the same timestamp, and
    # the LMS answers 409: a stalled post is retried even after its last attempt.
    idempotent=True)


@dataclass
class SyncReport:
    posts: int = 0  # score POSTs made
    sent: int = 0
    conflict: int = 0
    superseded: int = 0
    retrying: int = 0
    failed: int = 0
    refused: int = 0  # rejected, forbidden, not_found, no_service: staff can act on them
    left: int = 0
    held: int = 0
    lost: int = 0  # reclaimed by another worker before the outcome was recorded
    people: int = 0  # people whose changes were handled
    claimed: int = 0  # people claimed in the batch
    outcomes: list[tuple[int, str]] = field(default_factory=list)  # (GradeSync id, status)

    COUNTERS = ("posts", "sent", "conflict", "superseded", "retrying", "failed", "refused",
                "left", "held", "lost", "people", "claimed")

    def add(self, other: "SyncReport") -> None:
        for name in self.COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.outcomes.extend(other.outcomes)

    def count(self, row_id: int, status: str) -> None:
        self.outcomes.append((row_id, status))
        name = {SENT: "sent", CONFLICT: "conflict", SUPERSEDED: "superseded",
                PENDING: "retrying", FAILED: "failed", LEFT: "left", HELD: "held"}
        attr = name.get(status, "refused")
        setattr(self, attr, getattr(self, attr) + 1)

    def summary(self) -> str:
        return (f"Sent {self.sent} ({self.conflict} already newer in the LMS), superseded "
                f"{self.superseded}, retrying {self.retrying}, failed {self.failed}, refused "
                f"{self.refused}, left {self.left}, held {self.held}")


# --- What an AGS error means ----------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    status: str
    error: str = ""
    http_status: int | None = None
    retry: bool = False
    link_wide: bool = False  # true of every score of the line item, not just this one


def classify(exc: Exception) -> Outcome:
    """The outcome of a failed post (or line-item lookup), in words staff can act on."""
    if isinstance(exc, ServiceUnavailable):
        return Outcome(NO_SERVICE, str(exc), link_wide=True)
    if isinstance(exc, LtiServiceException):
        return _http_outcome(exc)
    if isinstance(exc, requests.Timeout):
        return Outcome(PENDING, f"The LMS did not answer in time ({exc.__class__.__name__}).",
                       retry=True)
    if isinstance(exc, requests.RequestException):
        return Outcome(PENDING, f"Could not reach the LMS: {_short(exc)}", retry=True)
    if isinstance(exc, LtiException):  # pylti1p3's own checks, e.g. a missing scope
        return Outcome(NO_SERVICE, f"The activity's grade service cannot take scores: "
                                   f"{_short(exc)}", link_wide=True)
    log.exception("grades: unexpected error posting a score")
    return Outcome(PENDING, f"Unexpected error: {_short(exc)}", retry=True)


def _http_outcome(exc: LtiServiceException) -> Outcome:
    response = exc.response
    code = getattr(response, "status_code", None)
    body = _short(getattr(response, "text", "") or "")
    if "access token" in str(exc):
        if code is not None and 400 <= code < 500 and code != 429:
            return Outcome(FORBIDDEN, f"The LMS refused the tool an access token (HTTP {code}): "
                                      f"{body} — check the tool's registration and that grade "
                                      "sync is enabled for it.", code, link_wide=True)
        return Outcome(PENDING, f"The LMS's token endpoint failed (HTTP {code}): {body}", code,
                       retry=True)
    if code == 409:
        return Outcome(CONFLICT, "The LMS already has a newer score for this person.", code)
    if code in (400, 422):
        incorrect = "incorrect score" in body.lower()
        words = "refused the score as incorrect" if incorrect else "refused the score"
        return Outcome(REJECTED, f"The LMS {words} (HTTP {code}): {body} — the person may not "
                                 "be gradable in the course (e.g. a teacher).", code)
    if code == 403:
        return Outcome(FORBIDDEN, f"The LMS refused access to the grade item (HTTP 403): {body} "
                                  "— check that the tool may send grades for this activity.",
                       code, link_wide=True)
    if code == 404:
        return Outcome(NOT_FOUND, f"The grade item was not found (HTTP 404): {body} — it may "
                                  "have been deleted with its activity.", code, link_wide=True)
    if code in (401, 408, 425, 429) or code is None or code >= 500:
        return Outcome(PENDING, f"The LMS failed (HTTP {code}): {body}", code, retry=True)
    return Outcome(REJECTED, f"The LMS refused the score (HTTP {code}): {body}", code)


def _short(value) -> str:
    text = " ".join(str(value).split())
    return text[:ERROR_TEXT]


# --- One AGS client per line item for a run -------------------------------------------------

class Sender:
    """Posts scores: one `LinkClient` (line item, access token in memory) per resource link,
    one bounded pool of threads sharing one connection pool, and what this run learnt about
    each line item: failed for everyone (`broken`), failing repeatedly (`paused`), or
    answering (`open`: its posts go concurrently; until then, one at a time, so a line item
    that refuses everyone is asked once, and one that fails is not flooded)."""

    def __init__(self, pool: int = posting.POOL):
        self.pool = posting.Pool(pool)
        self._clients: dict[int, posting.LinkClient] = {}
        self._broken: dict[int, Outcome] = {}
        self._transient: dict[int, int] = {}
        self._open: set[int] = set()
        self.posts = 0

    def new_run(self) -> None:
        """Forget this run's failures: the next run tries every line item again."""
        self._broken.clear()
        self._transient.clear()
        self._open.clear()

    def close(self) -> None:
        self.pool.close()

    def broken(self, link_id: int) -> Outcome | None:
        return self._broken.get(link_id)

    def paused(self, link_id: int) -> bool:
        return self._transient.get(link_id, 0) >= PAUSE_AFTER

    def is_open(self, link_id: int) -> bool:
        return link_id in self._open

    def client(self, link_id: int) -> posting.LinkClient:
        """The link's client, made on first use (caller's thread: reads the database)."""
        client = self._clients.get(link_id)
        if client is None:
            link = db.session.get(ResourceLink, link_id)
            if link is None:  # its platform was removed since this run chose it: `classify`
                # has the post retried, and the next run chooses the program's link afresh
                raise LookupError(f"Resource link {link_id} no longer exists.")
            client = self._clients[link_id] = posting.LinkClient(link)
        return client

    def note(self, link_id: int, outcome: Outcome) -> None:
        if outcome.link_wide:
            self._broken[link_id] = outcome
            self._clients.pop(link_id, None)
        if outcome.retry:
            self._transient[link_id] = self._transient.get(link_id, 0) + 1
        else:
            self._transient[link_id] = 0
        if outcome.retry or outcome.link_wide:
            self._open.discard(link_id)
        else:
            self._open.add(link_id)


# A post not made because its line item failed meanwhile (`_post_chunk`): why, and whether
# it is left for the next run (paused) rather than concluded (broken).
@dataclass(frozen=True)
class NotTried:
    outcome: Outcome
    paused: bool


PAUSED = NotTried(Outcome(PENDING, "Not tried in this run: the LMS failed several times in a "
                                   "row.", retry=True), paused=True)


@dataclass
class _InFlight:
    post: posting.Post
    token: str
    resent: bool  # already sent again after a 401


def _post_chunk(sender: Sender, posts: list[posting.Post]) -> dict[int, Outcome | NotTried]:
    """Post a chunk's scores, up to the pool's size at a time (one person per post, so never
    two of one person's at once); the outcome of each by row id. Runs in the caller's thread
    but for the HTTP itself."""
    results: dict[int, Outcome | NotTried] = {}
    waiting = deque(posts)
    flying: dict[Future, _InFlight] = {}
    while waiting or flying:
        while waiting and len(flying) < sender.pool.size:
            post = waiting[0]
            if not sender.is_open(post.link_id) and \
                    any(f.post.link_id == post.link_id for f in flying.values()):
                break  # a line item not yet answering is asked one post at a time
            waiting.popleft()
            _start(sender, post, results, flying)
        if flying:
            done, _ = wait(flying, return_when=FIRST_COMPLETED)
            for future in done:
                _land(sender, flying.pop(future), future, results, flying)
    return results


def _start(sender: Sender, post: posting.Post, results: dict, flying: dict,
           resent: bool = False, token: str | None = None) -> None:
    broken = sender.broken(post.link_id)
    if broken is not None or sender.paused(post.link_id):
        results[post.row_id] = NotTried(broken, paused=False) if broken else PAUSED
        return
    try:
        client = sender.client(post.link_id)
        token = token or client.current_token()
    except Exception as exc:  # no line item or token: this post's outcome, as before any HTTP
        _settle()
        outcome = classify(exc)
        sender.note(post.link_id, outcome)
        results[post.row_id] = outcome
        return
    if not resent:
        sender.posts += 1
    flying[sender.pool.submit(client.url, token, post.body)] = _InFlight(post, token, resent)


def _land(sender: Sender, sent: _InFlight, future: Future, results: dict,
          flying: dict) -> None:
    """A post came back: its outcome, or (first 401) a fresh token and the post sent again."""
    post = sent.post
    try:
        response = future.result()
    except Exception as exc:  # timeouts, refused connections...: recorded, never raised
        outcome = classify(exc)
    else:
        if response.status_code == 401 and not sent.resent:
            log.info("grades: the LMS refused the access token; fetching a new one")
            try:
                token = sender.client(post.link_id).refused(sent.token)
            except Exception as exc:
                _settle()
                outcome = classify(exc)
            else:
                _start(sender, post, results, flying, resent=True, token=token)
                return
        elif response.ok:
            outcome = Outcome(SENT, http_status=response.status_code)
        else:
            outcome = classify(LtiServiceException(
                "There was an error making a service request.", response))
    sender.note(post.link_id, outcome)
    results[post.row_id] = outcome


# --- The run --------------------------------------------------------------------------------

@dataclass
class _Run:
    box: outbox.Outbox
    sender: Sender
    report: SyncReport
    links: dict[int, int | None] = field(default_factory=dict)  # program id -> link id


def sync_due(limit: int = 500, *, now: datetime | None = None,
             sender: Sender | None = None) -> SyncReport:
    """Post the due score changes of up to `limit` people. Commits as it goes, so it runs in a
    session of its own (a CLI command or a test), never inside a request's transaction."""
    own = sender is None
    run = _Run(box=outbox.Outbox.from_config(GRADES, current_app.config, now=now),
               sender=sender or Sender(), report=SyncReport())
    run.sender.new_run()
    posts_before = run.sender.posts
    try:
        run.report.claimed = run.box.drain_chunks(limit, partial(_chunk, run))
    finally:
        if own:
            run.sender.close()
    run.report.posts = run.sender.posts - posts_before
    return run.report


def _chunk(run: _Run, claim: outbox.Claim) -> None:
    """A claimed chunk of people: mark it in one transaction, post, record the outcomes in
    another."""
    posts = _prepare(run, claim)
    if posts:
        _record(run, claim.token, posts, _post_chunk(run.sender, posts))


def _prepare(run: _Run, claim: outbox.Claim) -> list[posting.Post]:
    """One transaction: supersede older changes, conclude what is not posted, and put the
    attempt of each newest change on record before the LMS hears of it."""
    now = run.box.now()
    held = run.box.hold(claim.ids, claim.token)
    run.report.lost += len(claim.ids) - len(held)
    if not held:
        db.session.commit()
        return []
    people = {r.id: r for r in db.session.scalars(
        sa.select(GradeRecord).where(GradeRecord.id.in_(held))
        .options(joinedload(GradeRecord.person), joinedload(GradeRecord.program))
        .execution_options(populate_existing=True))}
    changes: dict[int, list[GradeSync]] = {record_id: [] for record_id in people}
    for row in db.session.scalars(
            sa.select(GradeSync).where(GradeSync.record_id.in_(held),
                                       sa.or_(GradeSync.status == PENDING, run.box.due_rows(now)))
            .order_by(GradeSync.timestamp.desc(), GradeSync.id.desc())
            .execution_options(populate_existing=True)):
        changes[row.record_id].append(row)
    enrolled = _enrolled(people.values())
    posts = []
    for record_id in claim.ids:
        if record_id in people:
            post = _decide(run, people[record_id], changes[record_id], enrolled, now,
                           claim.token)
            if post is not None:
                posts.append(post)
    db.session.commit()
    return posts


def _enrolled(records) -> set[tuple[int, int]]:
    """(course id, person id) of the records' people who are active in their course."""
    records = list(records)
    return {(course_id, person_id) for course_id, person_id in db.session.execute(
        sa.select(Enrolment.course_id, Enrolment.person_id).where(
            Enrolment.person_id.in_({r.person_id for r in records}),
            Enrolment.course_id.in_({r.program.course_id for r in records}),
            Enrolment.active))}


def _release(record: GradeRecord) -> None:
    record.claim_token, record.claimed_at = None, None


def _decide(run: _Run, record: GradeRecord, rows: list[GradeSync],
            enrolled: set[tuple[int, int]], now: datetime, token: str) -> posting.Post | None:
    """A person's due changes: the newest to post (marked "sending"), or why not (recorded,
    released)."""
    run.report.people += 1
    for older in rows[1:]:
        _close(run, older, SUPERSEDED, "A newer change was sent instead.")
    newest = rows[0] if rows else None
    if newest is None or (newest.status == PENDING and as_utc(newest.next_attempt_at) > now):
        _release(record)  # nothing due (another worker was first, or a retry is waiting)
        return None
    link_id = _link(run, record.program_id)
    reason = _not_posted(record, newest, enrolled)
    if reason is None and link_id is not None:
        reason = run.sender.broken(link_id)
    if reason is not None or link_id is None:
        _conclude(run, record, newest, reason or NO_LINK)
        return None
    if run.sender.paused(link_id):
        _pause(run, record, newest, now)
        return None
    return _mark_sending(record, newest, link_id, now, token)


def _pause(run: _Run, record: GradeRecord, row: GradeSync, now: datetime) -> None:
    row.status, row.claim_token = PENDING, None
    row.next_attempt_at = now + run.box.policy.backoff(1)
    row.last_error = PAUSED.outcome.error
    run.report.count(row.id, PENDING)
    _release(record)


def _mark_sending(record: GradeRecord, row: GradeSync, link_id: int, now: datetime,
                  token: str) -> posting.Post:
    if row.ags_timestamp is None:
        row.ags_timestamp = next_timestamp(row.timestamp, record.last_ags_timestamp)
    if record.last_ags_timestamp is None or \
            as_utc(record.last_ags_timestamp) < as_utc(row.ags_timestamp):
        record.last_ags_timestamp = row.ags_timestamp
    row.status, row.claim_token, row.claimed_at = SENDING, token, now
    row.attempts += 1
    row.resource_link_id = link_id
    score = Score(user_id=record.person.subject, score_given=row.score_given,
                  score_maximum=row.score_maximum, activity_progress=row.activity_progress,
                  grading_progress=row.grading_progress, comment=row.comment,
                  timestamp=as_utc(row.ags_timestamp))
    return posting.Post(row_id=row.id, record_id=record.id, link_id=link_id,
                        body=score.as_grade().get_value())


def _settle() -> None:
    """After a failed token or line-item request: keep what the connector cached, unless the
    failure left the session unusable."""
    try:
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()


def _not_posted(record: GradeRecord, row: GradeSync,
                enrolled: set[tuple[int, int]]) -> Outcome | None:
    """Why this change is not posted at all, whatever its line item, or None."""
    if record.last_sent_change_at and as_utc(row.timestamp) < as_utc(record.last_sent_change_at):
        return Outcome(SUPERSEDED, "A newer change was already sent.")
    if (record.program.course_id, record.person_id) not in enrolled:
        return Outcome(LEFT, "Not enrolled in the course (left or inactive): not graded.")
    if record.held or row.grading_progress != services.FULLY_GRADED:
        return Outcome(HELD, "Held by staff for review: not sent.")
    return None


# A program with no resource link whose line item can take its grades.
NO_LINK = Outcome(NO_SERVICE, "The activity has no grade service: the platform did not enable "
                              "Assignment and Grade Services for it.")


def _link(run: _Run, program_id: int) -> int | None:
    """The id of the resource link whose line item gets the program's grades."""
    if program_id not in run.links:
        link = services.target_link(program_id)
        run.links[program_id] = link.id if link else None
    return run.links[program_id]


def next_timestamp(changed_at: datetime, last_attempted: datetime | None) -> datetime:
    """The change's own time, unless that is not a whole second after the last timestamp
    attempted for the person (Moodle compares whole seconds)."""
    changed_at = as_utc(changed_at)
    if last_attempted is None:
        return changed_at
    floor = as_utc(last_attempted).replace(microsecond=0) + timedelta(seconds=1)
    return changed_at if changed_at.replace(microsecond=0) >= floor else floor


def _close(run: _Run, row: GradeSync, status: str, error: str) -> None:
    row.status, row.last_error, row.claim_token = status, error, None
    run.report.count(row.id, status)


def _conclude(run: _Run, record: GradeRecord, row: GradeSync, outcome: Outcome) -> None:
    """A change that is not posted (left, held, no service...): record why, release."""
    _close(run, row, outcome.status, outcome.error)
    if outcome.status != SUPERSEDED:
        record.sync_status, record.sync_error = outcome.status, outcome.error
    _release(record)


# --- Recording a chunk's outcomes -------------------------------------------------------------

def _record(run: _Run, token: str, posts: list[posting.Post],
            results: dict[int, Outcome | NotTried]) -> None:
    """One transaction: the outcome of every post, for the people this run still holds, in
    one bulk UPDATE of the changes and one of the people (which releases them)."""
    now = run.box.now()
    held = run.box.hold({p.record_id for p in posts}, token)
    mine = [p for p in posts if p.record_id in held]
    for post in posts:
        if post.record_id not in held:
            log.warning("grades: person record %s was reclaimed before the outcome of change "
                        "%s was recorded", post.record_id, post.row_id)
            run.report.lost += 1
    if not mine:
        db.session.commit()
        return
    rows = {r.id: r for r in db.session.execute(
        sa.select(GradeSync.id, GradeSync.attempts, GradeSync.failures, GradeSync.timestamp,
                  GradeSync.score_given).where(GradeSync.id.in_([p.row_id for p in mine])))}
    row_values, record_values = [], []
    for post in mine:
        row, record = _outcome_values(run, rows[post.row_id], results[post.row_id], now)
        row_values.append({"id": post.row_id, **row})
        record_values.append({"id": post.record_id, "claim_token": None, "claimed_at": None,
                              **record})
    for model, values in ((GradeSync, row_values), (GradeRecord, record_values)):
        for batch in _same_keys(values):
            db.session.execute(sa.update(model), batch)
    db.session.commit()


def _same_keys(values: list[dict]) -> list[list[dict]]:
    """Bulk updates grouped by the columns they write (each group is one executemany)."""
    groups: dict[tuple, list[dict]] = {}
    for value in values:
        groups.setdefault(tuple(sorted(value)), []).append(value)
    return list(groups.values())


def _outcome_values(run: _Run, row, result: Outcome | NotTried,
                    now: datetime) -> tuple[dict, dict]:
    """(the change's new columns, the person's) for one post's outcome."""
    if isinstance(result, NotTried):  # not posted after all: the attempt is taken back
        return _not_tried_values(run, row, result, now)
    outcome, attempts = result, row.attempts
    values: dict = {"claim_token": None, "http_status": outcome.http_status}
    if outcome.status in (SENT, CONFLICT):
        values.update(status=outcome.status, sent_at=now, last_error=outcome.error)
        record = {"sync_status": outcome.status, "sync_error": "", "last_sent_at": now,
                  "last_sent_score": row.score_given, "last_sent_change_at": row.timestamp}
    else:
        values["failures"] = [*(row.failures or []), {
            "at": now.isoformat(timespec="seconds"), "status": outcome.http_status,
            "error": outcome.error}][-MAX_FAILURES_KEPT:]
        values["last_error"] = outcome.error
        if outcome.retry and attempts < run.box.policy.max_attempts:
            values.update(status=PENDING, next_attempt_at=now + run.box.policy.backoff(attempts))
            record = {"sync_status": PENDING, "sync_error": (
                f"Attempt {attempts} failed: {outcome.error} Retrying after "
                f"{values['next_attempt_at']:%Y-%m-%d %H:%M} UTC.")}
        else:
            values["status"] = FAILED if outcome.retry else outcome.status
            record = {"sync_status": values["status"], "sync_error": (
                f"Gave up after {attempts} attempts: {outcome.error}" if outcome.retry
                else outcome.error)}
    run.report.count(row.id, values["status"])
    level = logging.INFO if values["status"] in (SENT, CONFLICT) else logging.WARNING
    log.log(level, "grades: change %s: %s %s", row.id, values["status"], outcome.error)
    return values, record


def _not_tried_values(run: _Run, row, result: NotTried, now: datetime) -> tuple[dict, dict]:
    values = {"claim_token": None, "attempts": row.attempts - 1,
              "last_error": result.outcome.error}
    if result.paused:
        values.update(status=PENDING, next_attempt_at=now + run.box.policy.backoff(1))
        record: dict = {}
    else:
        values["status"] = result.outcome.status
        record = {"sync_status": result.outcome.status, "sync_error": result.outcome.error}
    run.report.count(row.id, values["status"])
    return values, record


# --- Requeueing and the worker loop ----------------------------------------------------------

def retry_failed(program: Program | None = None) -> int:
    """Give changes that failed (timeouts, 5xx) a fresh set of attempts. Flushes."""
    where = [GradeSync.program_id == program.id] if program is not None else []
    return outbox.retry_failed(GRADES, *where)


def recompute_all(trigger: str = "cron") -> int:
    """Recompute every program with pairs (catches changes no feature signalled); commits
    after each program. Returns the changes queued."""
    queued = 0
    for program_id in [p.id for p in services.programs_with_pairs()]:
        program = db.session.get(Program, program_id)
        if program is None:  # its platform was removed since the list was read
            continue
        queued += services.recompute(program, trigger=trigger)
        db.session.commit()
    return queued


def run_worker(*, interval: float, max_loops: int, limit: int = 500,
               recompute_seconds: float | None = None,
               sleep: Callable[[float], None] = time.sleep,
               on_batch: Callable[[SyncReport], None] | None = None) -> SyncReport:
    """`sync_due` up to `max_loops` times, sleeping `interval` seconds between batches (not
    after a full one); every `recompute_seconds` it recomputes every program first. Bounded,
    so cron or a process manager restarts it."""
    sender = Sender()  # one token and connection per line item across batches
    last_recompute: float | None = None

    def batch() -> SyncReport:
        nonlocal last_recompute
        if recompute_seconds and (last_recompute is None or
                                  time.monotonic() - last_recompute >= recompute_seconds):
            recompute_all()
            last_recompute = time.monotonic()
        return sync_due(limit, sender=sender)

    try:
        return outbox.run_worker(batch, SyncReport(), interval=interval, max_loops=max_loops,
                                 limit=limit, sleep=sleep, on_batch=on_batch)
    finally:
        sender.close()
