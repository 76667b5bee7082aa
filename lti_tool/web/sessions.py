"""Server-side sessions that survive an LMS iframe without third-party cookies.

The session lives in the database (shared by all workers). A request belongs to one of two
scopes, chosen by its path, each with sessions of its own:

- the tool (`lti`): the browser finds its session by a cookie (`SameSite=None; Secure` over
  https) *or* by a signed, short-lived token that every link and form of a launched session
  carries (`?pw=...`, web/tokens.py), because Safari and Chrome's third-party cookie blocking
  drop the cookie inside the LMS iframe;
- the admin pages (`/admin...`): never framed, so cookie only (`SameSite=Strict`, path
  `/admin`); tokens are ignored there and never made, so an admin session is never in a URL.

A session ends after `SESSION_LIFETIME_SECONDS` without use and, whatever its use, at most
`SESSION_MAX_HOURS` after it started (a leaked token must not keep a session alive forever);
signing out deletes it at once. Flask's `session`, and with it Flask-WTF's CSRF tokens, work
the same in either scope.

Reading a session is one query. Its row is written only when there is something to keep: a
new session, a change to its content, or an expiry to push forward, and that at most every
`REFRESH_AFTER` (not per request), so a stream of page views writes nothing.
"""

import contextlib
import copy
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app, request, session
from flask.sessions import SessionInterface, SessionMixin
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import CallbackDict

from lti_tool.dbutil import commits_keep_loaded, database_unavailable, rowcount
from lti_tool.extensions import Model, db
from lti_tool.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

TOKEN_PARAM = "pw"  # noqa: S105 - a parameter name, not a secret
TOKEN_HEADER = "X-Pairwise-Session"  # noqa: S105
# Writing the row again only to extend its life is skipped when it was extended recently.
REFRESH_AFTER = timedelta(minutes=5)
LTI, ADMIN = "lti", "admin"
ADMIN_PATH = "/admin"  # the admin blueprint's url_prefix

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{20,64}")


class WebSession(Model):
    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    # NULL in rows written before it existed: read as `expires_at` minus the idle lifetime
    # (their last use), so they live at most SESSION_MAX_HOURS more, then it is stored.
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Which cookie may find the row: a session never crosses from the tool to the admin pages.
    scope: Mapped[str] = mapped_column(sa.String(16), default=LTI, server_default=LTI)


# Built once: every request reads its session, every launch inserts one.
_READ = sa.select(WebSession.data, WebSession.expires_at, WebSession.started_at).where(
    WebSession.id == sa.bindparam("sid"), WebSession.scope == sa.bindparam("scope"))
_INSERT = sa.insert(cast(sa.Table, WebSession.__table__))


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid=None, *, scope=LTI, expires_at=None, started_at=None,
                 unavailable=False):
        def on_update(_self):
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.sid = sid
        self.scope = scope
        self.expires_at = expires_at
        self.started_at = started_at
        self.unavailable = unavailable  # the database could not be read: never saved
        self.ended_sid = None
        self.modified = False
        self.stored = sid is not None  # its row exists: written with UPDATE, not INSERT
        # What the row holds: compared at the end, a value set again unchanged (or a nested
        # value changed in place) is seen for what it is.
        self.stored_data = copy.deepcopy(dict(self)) if self.stored else None

    @property
    def changed(self) -> bool:
        return not self.stored or dict(self) != self.stored_data

    def ensure_sid(self) -> str:
        if self.sid is None:
            self.sid = secrets.token_urlsafe(32)
            self.started_at = self.expires_at = None
            self.stored, self.stored_data = False, None
            self.modified = True
        return self.sid

    def regenerate(self) -> None:
        """A new, empty session under a new id: called when a launch signs a person in (no
        session fixation). The previous session is left to expire, not deleted: it may be
        another browser tab's launch, still in use through its token."""
        self.sid = None
        self.clear()
        self.ensure_sid()

    def end(self) -> None:
        """Sign out: the row is deleted and the cookie cleared when the response is saved, so
        the session's cookie and tokens are dead from then on."""
        self.ended_sid = self.sid or self.ended_sid
        self.sid = self.started_at = self.expires_at = None
        self.clear()


def this_session() -> ServerSession:
    """This request's session as what it is (Flask's `session` proxy is typed as any
    session), for what only ours can do: regenerate, ensure_sid, end."""
    return cast(ServerSession, session)


def _serializer() -> URLSafeTimedSerializer:
    # create_app always sets a secret key (it replaces a missing or default one).
    key = cast(str | bytes, current_app.secret_key)
    return URLSafeTimedSerializer(key, salt="pairwise-session-token")


def make_token(sid: str) -> str:
    return _serializer().dumps(sid)


def read_token(token: str) -> str | None:
    try:
        return _serializer().loads(token, max_age=current_app.config["SESSION_TOKEN_MAX_AGE"])
    except BadSignature:
        return None


def token_from_request() -> str | None:
    return (
        request.args.get(TOKEN_PARAM)
        or request.headers.get(TOKEN_HEADER)
        or (request.form.get(TOKEN_PARAM) if request.method == "POST" else None)
    )


def scope_of(path: str) -> str:
    return ADMIN if path == ADMIN_PATH or path.startswith(ADMIN_PATH + "/") else LTI


def idle_lifetime(app) -> timedelta:
    return timedelta(seconds=app.config["SESSION_LIFETIME_SECONDS"])


def max_lifetime(app) -> timedelta:
    return timedelta(hours=app.config["SESSION_MAX_HOURS"])


@dataclass(frozen=True)
class Cookie:
    name: str
    path: str
    secure: bool
    samesite: str
    partitioned: bool


def cookie_for(app, scope: str) -> Cookie:
    secure = request.is_secure or bool(app.config.get("SESSION_COOKIE_SECURE"))
    if scope == ADMIN:
        return Cookie(app.config["ADMIN_SESSION_COOKIE_NAME"], request.script_root + ADMIN_PATH,
                      secure, "Strict", partitioned=False)
    # Cross-site (LMS iframe) cookies need SameSite=None, which browsers only accept with
    # Secure; over plain http (development) Lax is the best available.
    return Cookie(app.config["SESSION_COOKIE_NAME"], "/", secure,
                  "None" if secure else "Lax", partitioned=secure)


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app, request):
        scope = scope_of(request.path)
        sid = self._requested_sid(app, request, scope)
        try:
            row = self._read(sid, scope) if sid else None
        except sa.exc.SQLAlchemyError as exc:
            if not database_unavailable(exc):
                raise
            return self._unavailable(exc, scope)
        if row is None:
            return ServerSession(scope=scope)
        started = self._started_at(app, row)
        expires = as_utc(row.expires_at)
        now = utcnow()
        if expires <= now or started + max_lifetime(app) <= now:
            return ServerSession(scope=scope)
        return ServerSession(dict(row.data), sid=sid, scope=scope, expires_at=expires,
                             started_at=started)

    @staticmethod
    def _read(sid: str, scope: str):
        """The row's columns in one query (no ORM object: nothing to track or flush)."""
        return db.session.execute(_READ, {"sid": sid, "scope": scope}).first()

    @staticmethod
    def _requested_sid(app, request, scope: str) -> str | None:
        if scope == ADMIN:  # tokens are never read here: an admin session is never in a URL
            sid = request.cookies.get(app.config["ADMIN_SESSION_COOKIE_NAME"])
        else:
            token = token_from_request()
            sid = (read_token(token) if token else None) or \
                request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        # Ours are token_urlsafe(32): 43 characters. Anything else never reaches the database.
        return sid if sid and SESSION_ID.fullmatch(sid) else None

    @staticmethod
    def _started_at(app, row) -> datetime:
        if row.started_at is not None:
            return as_utc(row.started_at)
        return as_utc(row.expires_at) - idle_lifetime(app)

    @staticmethod
    def _unavailable(exc: Exception, scope: str) -> ServerSession:
        """The request goes on without a session, marked so that errors.py answers 503 where a
        session was needed and nothing saves it."""
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            db.session.rollback()
        log.warning("session not read, database unavailable: %s", type(exc).__name__)
        return ServerSession(scope=scope, unavailable=True)

    def save_session(self, app, session, response):
        if session.unavailable:
            return
        cookie = cookie_for(app, session.scope)
        gone = [sid for sid in (session.ended_sid, None if session else session.sid) if sid]
        if gone:
            db.session.execute(sa.delete(WebSession).where(WebSession.id.in_(gone)))
        if not session:
            if gone:
                response.delete_cookie(cookie.name, path=cookie.path, secure=cookie.secure,
                                       httponly=True, samesite=cookie.samesite,
                                       partitioned=cookie.partitioned)
            db.session.commit()
            return
        self.write_if_due(app, session)
        self._set_cookie(response, cookie, session.sid, session.expires_at - utcnow())

    def write_if_due(self, app, session: ServerSession) -> None:
        """Write the row (and commit) when the session is new or changed, or its expiry is
        due to be pushed forward: REFRESH_AFTER short of the new one, or past it
        (SESSION_MAX_HOURS lowered), not on every request."""
        now = utcnow()
        started = session.started_at or now
        expires = min(now + idle_lifetime(app), started + max_lifetime(app))
        fresh = session.expires_at is not None and \
            expires - REFRESH_AFTER <= session.expires_at <= expires
        if session.changed or not fresh:
            self._write(session, started, expires)

    @staticmethod
    def _write(session: ServerSession, started: datetime, expires: datetime) -> None:
        """One INSERT or one UPDATE, without reading the row first. A row deleted meanwhile
        (signed out in another tab) stays deleted: an UPDATE finds nothing to change."""
        session.ensure_sid()
        if not session.stored and session.scope == LTI and "launch_id" in session:
            # A launch's session gets its CSRF secret now, so that the page it lands on (a
            # form, most often) needs no second write to add it.
            generate_csrf()
        values: dict[str, object] = {"started_at": started, "expires_at": expires}
        if session.changed:
            values["data"] = dict(session)
        if session.stored:
            db.session.execute(
                sa.update(WebSession).where(WebSession.id == session.sid).values(**values))
        else:
            db.session.execute(_INSERT, {"id": session.sid, "scope": session.scope,
                                         "data": {}, **values})
        db.session.commit()
        session.started_at, session.expires_at = started, expires
        session.stored, session.stored_data = True, copy.deepcopy(dict(session))

    @staticmethod
    def _set_cookie(response, cookie: Cookie, sid: str, remaining: timedelta) -> None:
        response.set_cookie(
            cookie.name,
            sid,
            max_age=max(int(remaining.total_seconds()), 0),
            path=cookie.path,
            httponly=True,
            secure=cookie.secure,
            samesite=cookie.samesite,
            partitioned=cookie.partitioned,
        )


def commit_with_session() -> None:
    """Write this request's session and commit it with the request's other changes now, not
    after the response is made: a launch that answers with a page (launches/views.py) ends
    its transaction before rendering (SQLite lets one writer at a time), and keeps what it
    loaded. The response's save then writes nothing more unless the page changes the
    session."""
    session = this_session()
    with commits_keep_loaded():
        if not session.unavailable:
            cast(DatabaseSessionInterface, current_app.session_interface).write_if_due(
                current_app, session)
        db.session.commit()


def purge_expired() -> int:
    """Rows past their idle expiry; `expires_at` never passes the absolute limit either."""
    result = db.session.execute(sa.delete(WebSession).where(WebSession.expires_at < utcnow()))
    return rowcount(result) or 0
