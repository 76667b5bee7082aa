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

One AGS client per resource link serves a whole run: one access token (cached in the database
by the connector, so it also serves the next runs) and one HTTP connection for every post.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import requests
import sqlalchemy as sa
from flask import current_app
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.lineitem import LineItem
from sqlalchemy.orm import joinedload

from lti_tool import outbox
from lti_tool.courses.models import Enrolment, Program, ResourceLink
from lti_tool.extensions import db
from lti_tool.grades import services
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
from lti_tool.lti.advantage import Score, ServiceUnavailable, grades_service, participation_lineitem
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
    """Posts scores, keeping one grades service (token, HTTP connection) and one line item per
    resource link, and remembering line items that failed for everyone in this run."""

    def __init__(self):
        self._clients: dict[int, tuple] = {}
        self._broken: dict[int, Outcome] = {}
        self._transient: dict[int, int] = {}
        self.posts = 0

    def new_run(self) -> None:
        """Forget this run's failures: the next run tries every line item again."""
        self._broken.clear()
        self._transient.clear()

    def broken(self, link_id: int) -> Outcome | None:
        return self._broken.get(link_id)

    def paused(self, link_id: int) -> bool:
        return self._transient.get(link_id, 0) >= PAUSE_AFTER

    def post(self, link_id: int, score: Score) -> None:
        client = self._clients.get(link_id)
        if client is None:
            link = db.session.get(ResourceLink, link_id)
            if link is None:  # its platform was removed since this run chose it: `classify`
                # has the post retried, and the next run chooses the program's link afresh
                raise LookupError(f"Resource link {link_id} no longer exists.")
            client = self._clients[link_id] = (grades_service(link), self._lineitem(link))
        service, lineitem = client
        self.posts += 1
        service.put_grade(score.as_grade(), lineitem)

    def note(self, link_id: int, outcome: Outcome) -> None:
        if outcome.link_wide:
            self._broken[link_id] = outcome
            self._clients.pop(link_id, None)
        if outcome.retry:
            self._transient[link_id] = self._transient.get(link_id, 0) + 1
        else:
            self._transient[link_id] = 0

    @staticmethod
    def _lineitem(link: ResourceLink) -> LineItem:
        """The link's line item; found or created once (see `participation_lineitem`). On
        PostgreSQL the link's row is locked meanwhile, so two workers never create two."""
        if link.ags_lineitem_url:
            return LineItem({"id": link.ags_lineitem_url})
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.select(ResourceLink.id).where(ResourceLink.id == link.id)
                               .with_for_update())
            db.session.refresh(link)
            if link.ags_lineitem_url:
                db.session.commit()
                return LineItem({"id": link.ags_lineitem_url})
        item = participation_lineitem(link)
        db.session.commit()
        log.info("grades: line item for resource link %s is %s", link.id, item.get_id())
        return item


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
    run = _Run(box=outbox.Outbox.from_config(GRADES, current_app.config, now=now),
               sender=sender or Sender(), report=SyncReport())
    run.sender.new_run()
    posts_before = run.sender.posts
    run.report.claimed = run.box.drain(limit, partial(_process, run))
    run.report.posts = run.sender.posts - posts_before
    return run.report


def _release(record: GradeRecord) -> None:
    record.claim_token, record.claimed_at = None, None


def _process(run: _Run, record_id: int, token: str) -> None:
    """Handle one claimed person's due changes: post the newest, or say why not."""
    now = run.box.now()
    if not run.box.still_held(record_id, token):
        db.session.commit()
        run.report.lost += 1
        return
    # still_held has just locked the record in this transaction: it is there.
    record = db.session.get_one(GradeRecord, record_id, populate_existing=True,
                                options=[joinedload(GradeRecord.person),
                                         joinedload(GradeRecord.program)])
    rows = list(db.session.scalars(
        sa.select(GradeSync).where(GradeSync.record_id == record_id,
                                   sa.or_(GradeSync.status == PENDING, run.box.due_rows(now)))
        .order_by(GradeSync.timestamp.desc(), GradeSync.id.desc())))
    run.report.people += 1
    for older in rows[1:]:
        _close(run, older, SUPERSEDED, "A newer change was sent instead.")
    newest = rows[0] if rows else None
    if newest is None or (newest.status == PENDING and as_utc(newest.next_attempt_at) > now):
        _release(record)  # nothing due (another worker was first, or a retry is waiting)
        db.session.commit()
        return
    _handle(run, record, newest, now, token)


def _handle(run: _Run, record: GradeRecord, row: GradeSync, now: datetime, token: str) -> None:
    link_id = _link(run, record.program_id)
    reason = _not_posted(record, row)
    if reason is None and link_id is not None:
        reason = run.sender.broken(link_id)
    if reason is not None or link_id is None:
        _conclude(run, record, row, reason or NO_LINK, now)
        return
    if run.sender.paused(link_id):
        row.status, row.claim_token = PENDING, None
        row.next_attempt_at = now + run.box.policy.backoff(1)
        row.last_error = "Not tried in this run: the LMS failed several times in a row."
        run.report.count(row.id, PENDING)
        _release(record)
        db.session.commit()
        return
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
    row_id, record_id = row.id, record.id
    db.session.commit()  # the attempt is on record before the LMS hears of it
    try:
        run.sender.post(link_id, score)
        outcome = Outcome(SENT, http_status=200)
    except Exception as exc:  # recorded and retried, never raised: the batch goes on
        _settle()
        outcome = classify(exc)
    run.sender.note(link_id, outcome)
    _finish(run, record_id, row_id, outcome, token)


def _settle() -> None:
    """After a failed post: keep what the connector cached (a fresh token), unless the
    failure left the session unusable."""
    try:
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()


def _not_posted(record: GradeRecord, row: GradeSync) -> Outcome | None:
    """Why this change is not posted at all, whatever its line item, or None."""
    if record.last_sent_change_at and as_utc(row.timestamp) < as_utc(record.last_sent_change_at):
        return Outcome(SUPERSEDED, "A newer change was already sent.")
    active = db.session.scalar(sa.select(Enrolment.active).where(
        Enrolment.course_id == record.program.course_id,
        Enrolment.person_id == record.person_id))
    if not active:
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


def _conclude(run: _Run, record: GradeRecord, row: GradeSync, outcome: Outcome,
              now: datetime) -> None:
    """A change that is not posted (left, held, no service...): record why, release."""
    _close(run, row, outcome.status, outcome.error)
    if outcome.status != SUPERSEDED:
        record.sync_status, record.sync_error = outcome.status, outcome.error
    _release(record)
    db.session.commit()


def _finish(run: _Run, record_id: int, row_id: int, outcome: Outcome, token: str) -> None:
    """Record the outcome of a post, while this run still holds the person's claim."""
    now = run.box.now()
    if not run.box.still_held(record_id, token):
        db.session.commit()
        log.warning("grades: person record %s was reclaimed before the outcome (%s) of change "
                    "%s was recorded", record_id, outcome.status, row_id)
        run.report.lost += 1
        return
    # still_held has just locked the record in this transaction, and the row is deleted only
    # with its record (or its program, whose deletion waits for the record): both are there.
    record = db.session.get_one(GradeRecord, record_id, populate_existing=True)
    row = db.session.get_one(GradeSync, row_id, populate_existing=True)
    row.claim_token, row.http_status = None, outcome.http_status
    if outcome.status in (SENT, CONFLICT):
        row.status, row.sent_at, row.last_error = outcome.status, now, outcome.error
        record.sync_status, record.sync_error = outcome.status, ""
        record.last_sent_at, record.last_sent_score = now, row.score_given
        record.last_sent_change_at = row.timestamp
    else:
        row.failures = [*(row.failures or []),
                        {"at": now.isoformat(timespec="seconds"), "status": outcome.http_status,
                         "error": outcome.error}][-MAX_FAILURES_KEPT:]
        row.last_error = outcome.error
        if outcome.retry and row.attempts < run.box.policy.max_attempts:
            row.status = PENDING
            row.next_attempt_at = now + run.box.policy.backoff(row.attempts)
            record.sync_status = PENDING
            record.sync_error = (f"Attempt {row.attempts} failed: {outcome.error} Retrying after "
                                 f"{row.next_attempt_at:%Y-%m-%d %H:%M} UTC.")
        else:
            row.status = FAILED if outcome.retry else outcome.status
            record.sync_status = row.status
            record.sync_error = (f"Gave up after {row.attempts} attempts: {outcome.error}"
                                 if outcome.retry else outcome.error)
    run.report.count(row.id, row.status)
    level = logging.INFO if row.status in (SENT, CONFLICT) else logging.WARNING
    log.log(level, "grades: change %s of person record %s: %s %s", row.id, record_id,
            row.status, outcome.error)
    _release(record)
    db.session.commit()


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

    return outbox.run_worker(batch, SyncReport(), interval=interval, max_loops=max_loops,
                             limit=limit, sleep=sleep, on_batch=on_batch)
