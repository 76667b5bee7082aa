"""Fixed-window rate limits on the endpoints anyone may call and that cost the most: the OIDC
login and the launch per client address, dynamic registration and the admin sign-in per client
address, and a launch per person (issuer and subject, once its signature is verified).

Counts live in the database (`security_rate_limit`: one row per bucket and window), raised by
one atomic `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, so that every worker on every
machine shares them and a request that then fails still counts. A process does not write that
row per request: it claims a *slice* of the window's budget at once (limit / 20, at most 50,
at least 1) and admits requests from it in memory; when the budget is all claimed it refuses
without asking the database again until the window ends. Across all workers no more than the
limit is ever admitted in a window; a refusal may come early by the slices other processes
claimed and have not used, at most (processes - 1) x (slice - 1) requests (5 % of the limit
per other process). Limits of 20 or less (the admin sign-in, registration) have a slice of one:
exact, one write per attempt.

The client is `request.remote_addr`: behind a reverse proxy set `PROXY_COUNT`, so that
ProxyFix puts the client's address there. Over the limit: 429 with `Retry-After`, as a page
or as JSON, and a log line. `flask --app wsgi security purge` deletes ended windows.

Should the counter's database fail, the request is let through (and logged): the limiter must
not be what takes the tool down.
"""

import functools
import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests

from lti_tool.dbutil import DIALECTS, database_unavailable, dialect_insert, rowcount
from lti_tool.extensions import db
from lti_tool.security.models import RateLimitWindow
from lti_tool.web.negotiation import wants_json

log = logging.getLogger(__name__)

# endpoint -> (setting, the methods counted; None: all), counted per client address
LIMITS: dict[str, tuple[str, frozenset[str] | None]] = {
    "lti.login": ("RATE_LIMIT_LOGIN", None),
    "lti.launch": ("RATE_LIMIT_LAUNCH", None),
    "lti.dynamic_registration": ("RATE_LIMIT_REGISTER", None),
    "admin.sign_in": ("RATE_LIMIT_ADMIN_SIGN_IN", frozenset({"POST"})),
}
# Counted per person by the launch itself, once the id_token is verified (`limit_launcher`).
PERSON_LIMIT = "RATE_LIMIT_LAUNCH_PERSON"
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_SYNTAX = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d*)\s*(second|minute|hour|day)s?\s*", re.I)
SLICE_DIVISOR, SLICE_MAX = 20, 50
PRUNE_ABOVE = 4096  # buckets held in memory before ended windows are dropped
EXTENSION = "pairwise.ratelimit"
clock = time.time  # the tests' seam: windows that do not turn over in the middle of a test


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def parse(text: str) -> "Limit":
        """`"120/minute"`, `"10 per hour"`, `"30/5 minutes"`."""
        match = _SYNTAX.fullmatch(str(text))
        if match is None:
            raise ValueError(f"A rate limit reads like '120/minute', not {text!r}.")
        count, multiple, unit = match.groups()
        seconds = int(multiple or 1) * UNITS[unit.lower()]
        if seconds <= 0:
            raise ValueError(f"A rate limit's window must be longer than 0 s: {text!r}.")
        return Limit(int(count), seconds)

    @property
    def slice(self) -> int:
        """How much of a window's budget a process claims at once."""
        return max(1, min(self.count // SLICE_DIVISOR, SLICE_MAX))


class RateLimited(TooManyRequests):
    def __init__(self, retry_after: int):
        super().__init__("Too many requests from your network in a short time.",
                         retry_after=retry_after)
        self.retry_after_seconds = retry_after


@dataclass
class _Lease:
    """This process's share of one bucket's current window."""
    window_start: int
    window_end: int
    tokens: int = 0  # admissions claimed and not used yet
    claimed: int = 0  # the window's shared count after this process's last claim
    exhausted: bool = False  # the whole budget is claimed: refuse until the window ends
    refused: int = 0  # refused here since then (for the log's count)


@dataclass(frozen=True)
class Verdict:
    admitted: bool
    count: int  # the window's count as far as this process knows (for the log)
    retry_after: int


class Leases:
    """The slices one app (one worker process) holds; shared by its threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._buckets: dict[str, _Lease] = {}

    def take(self, bucket: str, limit: Limit, now: float | None = None,
             connection: sa.Connection | None = None) -> Verdict:
        now = int(clock() if now is None else now)
        start = now - now % limit.seconds
        retry_after = max(1, start + limit.seconds - now)
        verdict = self._take_local(bucket, start, retry_after)
        if verdict is not None:
            return verdict
        count, _retry = hit(bucket, limit, now=now, amount=limit.slice, connection=connection)
        granted = max(0, min(limit.slice, limit.count - (count - limit.slice)))
        with self._lock:
            lease = self._lease(bucket, start, start + limit.seconds, now)
            lease.exhausted = lease.exhausted or count >= limit.count
            if granted:
                lease.claimed = max(lease.claimed, count)
                lease.tokens += granted - 1
                return Verdict(True, count - limit.slice + 1, retry_after)
            # The log counts requests, not the slices claimed in vain.
            lease.claimed = max(lease.claimed, count - limit.slice)
            lease.refused += 1
            return Verdict(False, lease.claimed + lease.refused, retry_after)

    def _take_local(self, bucket: str, start: int, retry_after: int) -> Verdict | None:
        with self._lock:
            lease = self._buckets.get(bucket)
            if lease is None or lease.window_start != start:
                return None
            if lease.tokens > 0:
                lease.tokens -= 1
                return Verdict(True, lease.claimed, retry_after)
            if lease.exhausted:
                lease.refused += 1
                return Verdict(False, lease.claimed + lease.refused, retry_after)
            return None

    def _lease(self, bucket: str, start: int, end: int, now: int) -> _Lease:
        lease = self._buckets.get(bucket)
        if lease is None or lease.window_start != start:
            if len(self._buckets) > PRUNE_ABOVE:
                self._prune(now)
            lease = self._buckets[bucket] = _Lease(start, end)
        return lease

    def _prune(self, now: int) -> None:
        """Drop the leases of ended windows; should a flood of addresses still leave too many,
        forget them all: that costs claims and unused slices (refusals come earlier), never
        admissions beyond the limit."""
        self._buckets = {name: lease for name, lease in self._buckets.items()
                         if lease.window_end > now}
        if len(self._buckets) > PRUNE_ABOVE * 16:
            self._buckets = {}


def init_app(app: Flask) -> None:
    if app.config["RATE_LIMIT_ENABLED"] is None:
        app.config["RATE_LIMIT_ENABLED"] = not app.testing
    for setting in [setting for setting, _methods in LIMITS.values()] + [PERSON_LIMIT]:
        Limit.parse(app.config[setting])  # a typo in a limit stops the start, not a launch
    dialect = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0].split("+", 1)[0]
    if app.config["RATE_LIMIT_ENABLED"] and dialect not in DIALECTS:
        raise RuntimeError(f"Rate limits need PostgreSQL or SQLite, not {dialect}.")
    app.extensions[EXTENSION] = Leases()
    # First of all: requests that other checks (CSRF) would refuse count too, and a refusal
    # costs next to nothing.
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
    app.register_error_handler(RateLimited, too_many_requests)


def check_request() -> None:
    entry = LIMITS.get(request.endpoint or "")
    if not current_app.config["RATE_LIMIT_ENABLED"] or entry is None:
        return
    setting, methods = entry
    if methods is not None and request.method not in methods:
        return
    _check(setting, request.remote_addr or "unknown")


def limit_launcher(issuer: str, subject: str) -> None:
    """Count a launch whose id_token is verified against its person: one account launching
    in a loop (each launch opens a session and writes its records) is refused, however many
    addresses it comes from, while a lecture hall behind one address is not."""
    if current_app.config["RATE_LIMIT_ENABLED"]:
        person = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:32]
        # Counted in the launch's own transaction, committed with it: the launch has written
        # already (its state is used), and SQLite lets one writer at a time, so a count on
        # a connection of its own would wait for the launch, which waits for it.
        _check(PERSON_LIMIT, person, connection=db.session.connection())


def _check(setting: str, client: str, connection: sa.Connection | None = None) -> None:
    limit = Limit.parse(current_app.config[setting])
    name = setting.removeprefix("RATE_LIMIT_").lower()
    try:
        verdict = current_app.extensions[EXTENSION].take(f"{name}:{client}", limit,
                                                         connection=connection)
    except SQLAlchemyError as exc:
        # An outage is answered 503 elsewhere and logged there; a bug gets its traceback.
        log.log(logging.WARNING if database_unavailable(exc) else logging.ERROR,
                "rate limit: counter unavailable; request let through: %s", name,
                exc_info=not database_unavailable(exc))
        return
    if not verdict.admitted:
        log.warning("rate limited: limit=%s client=%s count=%s allowed=%s per %ss path=%s "
                    "retry_after=%ss", name, client, verdict.count, limit.count, limit.seconds,
                    request.path, verdict.retry_after)
        raise RateLimited(verdict.retry_after)


def hit(bucket: str, limit: Limit, now: float | None = None, amount: int = 1,
        connection: sa.Connection | None = None) -> tuple[int, int]:
    """Add `amount` to `bucket`'s current window: (its count now, seconds until the window
    ends). Commits on a connection of its own, unless given the caller's (which commits)."""
    now = int(clock() if now is None else now)
    start = now - now % limit.seconds
    end = start + limit.seconds
    statement = _hit_statement(db.engine.dialect.name)
    values = {"bucket": bucket[:200], "window_start": start, "amount": amount,
              "expires_at": end}
    if connection is not None:
        return connection.execute(statement, values).scalar_one(), max(1, end - now)
    with db.engine.begin() as own:
        count = own.execute(statement, values).scalar_one()
    return count, max(1, end - now)


@functools.cache
def _hit_statement(dialect: str) -> sa.Insert:
    """The count's upsert, built once per dialect (a launch runs it)."""
    table = RateLimitWindow.__table__
    amount = sa.bindparam("amount", type_=sa.Integer)
    return (dialect_insert(dialect)(table)
            .values(bucket=sa.bindparam("bucket"), window_start=sa.bindparam("window_start"),
                    count=amount, expires_at=sa.bindparam("expires_at"))
            .on_conflict_do_update(index_elements=[table.c.bucket, table.c.window_start],
                                   set_={"count": table.c.count + amount})
            .returning(table.c.count))


def too_many_requests(error: RateLimited):
    db.session.rollback()
    retry = error.retry_after_seconds
    title = gettext("Too many requests")
    text = gettext("Pairwise received too many requests from your network in a short time. "
                   "Please wait %(seconds)s seconds, then try again.", seconds=retry)
    if wants_json():
        response = jsonify(error="rate_limited", message=text, retry_after=retry)
    else:
        response = current_app.make_response(
            render_template("errors/page.html", status=429, title=title, text=text))
    response.status_code = 429
    response.headers["Retry-After"] = str(retry)
    return response


def purge_expired(now: float | None = None) -> int:
    """Delete the windows that have ended; the caller commits."""
    now = int(time.time() if now is None else now)
    result = db.session.execute(
        sa.delete(RateLimitWindow).where(RateLimitWindow.expires_at <= now))
    return rowcount(result) or 0
