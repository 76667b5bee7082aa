"""Fixed-window rate limits per client IP on the endpoints anyone may call and that cost the
most: the OIDC login, the launch, dynamic registration and the admin sign-in.

Counts live in the database (`security_rate_limit`: one row per bucket and window), raised by
one atomic `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` in a transaction of its own, so
that every worker on every machine shares them and a request that then fails still counts.
The client is `request.remote_addr`: behind a reverse proxy set `PROXY_COUNT`, so that
ProxyFix puts the client's address there. Over the limit: 429 with `Retry-After`, as a page
or as JSON, and a log line. `flask --app wsgi security purge` deletes ended windows.

Should the counter's database fail, the request is let through (and logged): the limiter must
not be what takes the tool down.
"""

import functools
import logging
import re
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests

from lti_tool.dbutil import database_unavailable, rowcount
from lti_tool.extensions import db
from lti_tool.security.models import RateLimitWindow
from lti_tool.web.negotiation import wants_json

log = logging.getLogger(__name__)

# endpoint -> (setting, the methods counted; None: all)
LIMITS: dict[str, tuple[str, frozenset[str] | None]] = {
    "lti.login": ("RATE_LIMIT_LOGIN", None),
    "lti.launch": ("RATE_LIMIT_LAUNCH", None),
    "lti.dynamic_registration": ("RATE_LIMIT_REGISTER", None),
    "admin.sign_in": ("RATE_LIMIT_ADMIN_SIGN_IN", frozenset({"POST"})),
}
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_SYNTAX = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d*)\s*(second|minute|hour|day)s?\s*", re.I)
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


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


class RateLimited(TooManyRequests):
    def __init__(self, retry_after: int):
        super().__init__("Too many requests from your network in a short time.",
                         retry_after=retry_after)
        self.retry_after_seconds = retry_after


def init_app(app: Flask) -> None:
    if app.config["RATE_LIMIT_ENABLED"] is None:
        app.config["RATE_LIMIT_ENABLED"] = not app.testing
    for setting, _methods in LIMITS.values():
        Limit.parse(app.config[setting])  # a typo in a limit stops the start, not a launch
    dialect = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0].split("+", 1)[0]
    if app.config["RATE_LIMIT_ENABLED"] and dialect not in _INSERTS:
        raise RuntimeError(f"Rate limits need PostgreSQL or SQLite, not {dialect}.")
    # First of all: a refused request costs one upsert, and requests that other checks (CSRF)
    # would refuse count too.
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
    app.register_error_handler(RateLimited, too_many_requests)


def check_request() -> None:
    config = current_app.config
    entry = LIMITS.get(request.endpoint or "")
    if not config["RATE_LIMIT_ENABLED"] or entry is None:
        return
    setting, methods = entry
    if methods is not None and request.method not in methods:
        return
    limit = Limit.parse(config[setting])
    name = setting.removeprefix("RATE_LIMIT_").lower()
    client = request.remote_addr or "unknown"
    try:
        count, retry_after = hit(f"{name}:{client}", limit)
    except SQLAlchemyError as exc:
        # An outage is answered 503 elsewhere and logged there; a bug gets its traceback.
        log.log(logging.WARNING if database_unavailable(exc) else logging.ERROR,
                "rate limit: counter unavailable; request let through: %s", name,
                exc_info=not database_unavailable(exc))
        return
    if count > limit.count:
        log.warning("rate limited: limit=%s client=%s count=%s allowed=%s per %ss path=%s "
                    "retry_after=%ss", name, client, count, limit.count, limit.seconds,
                    request.path, retry_after)
        raise RateLimited(retry_after)


def hit(bucket: str, limit: Limit, now: float | None = None) -> tuple[int, int]:
    """Count one request in `bucket`'s current window: (requests in it so far, seconds until
    the window ends). Commits on a connection of its own."""
    now = int(time.time() if now is None else now)
    start = now - now % limit.seconds
    end = start + limit.seconds
    table = RateLimitWindow.__table__
    insert = _INSERTS[db.engine.dialect.name]
    statement = (
        insert(table)
        .values(bucket=bucket[:200], window_start=start, count=1, expires_at=end)
        .on_conflict_do_update(index_elements=[table.c.bucket, table.c.window_start],
                               set_={"count": table.c.count + 1})
        .returning(table.c.count)
    )
    with db.engine.begin() as connection:
        count = connection.execute(statement).scalar_one()
    return count, max(1, end - now)


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
