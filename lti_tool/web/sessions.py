"""Server-side sessions that survive an LMS iframe without third-party cookies.

The session lives in the database (shared by all workers). The browser finds it by a cookie
(`SameSite=None; Secure` over https) *or* by a signed, short-lived token that every link and
form of the tool carries (`?pw=...`), because Safari and Chrome's third-party cookie blocking
drop the cookie inside the LMS iframe. Flask's `session`, and with it Flask-WTF's CSRF tokens,
work the same either way.
"""

import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, request
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import CallbackDict

from lti_tool.extensions import db
from lti_tool.timeutil import as_utc, utcnow

TOKEN_PARAM = "pw"  # noqa: S105 - a parameter name, not a secret
TOKEN_HEADER = "X-Pairwise-Session"  # noqa: S105
# Writing the row again only to extend its life is skipped when it was extended recently.
REFRESH_AFTER = timedelta(minutes=5)


SESSION_ID = re.compile(r"[A-Za-z0-9_-]{20,64}")


class WebSession(db.Model):
    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid=None, expires_at=None):
        def on_update(_self):
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.sid = sid
        self.expires_at = expires_at
        self.modified = False

    def ensure_sid(self) -> str:
        if self.sid is None:
            self.sid = secrets.token_urlsafe(32)
            self.modified = True
        return self.sid

    def regenerate(self) -> None:
        """A new, empty session under a new id: called when a launch signs a person in (no
        session fixation). The previous session is left to expire, not deleted: it may be
        another browser tab's launch, still in use through its token."""
        self.sid = None
        self.clear()
        self.ensure_sid()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="pairwise-session-token")


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


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app, request):
        token = token_from_request()
        sid = read_token(token) if token else None
        sid = sid or request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if sid and not SESSION_ID.fullmatch(sid):  # ours are token_urlsafe(32): 43 characters
            sid = None
        row = db.session.get(WebSession, sid) if sid else None
        if row is None or as_utc(row.expires_at) <= utcnow():
            return ServerSession()
        return ServerSession(dict(row.data), sid=row.id, expires_at=as_utc(row.expires_at))

    def save_session(self, app, session, response):
        name = app.config["SESSION_COOKIE_NAME"]
        if not session:
            if session.sid:
                db.session.execute(sa.delete(WebSession).where(WebSession.id == session.sid))
                response.delete_cookie(name, path="/")
            db.session.commit()
            return
        now = utcnow()
        lifetime = self._lifetime(app)
        stale = session.expires_at is None or session.expires_at - now < lifetime - REFRESH_AFTER
        if session.modified or stale:
            session.ensure_sid()
            row = db.session.get(WebSession, session.sid) or WebSession(id=session.sid)
            row.data = dict(session)
            row.expires_at = now + lifetime
            db.session.add(row)
            db.session.commit()
        self._set_cookie(app, response, name, session.sid)

    @staticmethod
    def _lifetime(app) -> timedelta:
        return timedelta(seconds=app.config["SESSION_LIFETIME_SECONDS"])

    def _set_cookie(self, app, response, name, sid):
        secure = request.is_secure or bool(app.config.get("SESSION_COOKIE_SECURE"))
        response.set_cookie(
            name,
            sid,
            max_age=int(self._lifetime(app).total_seconds()),
            path="/",
            httponly=True,
            secure=secure,
            # Cross-site (LMS iframe) cookies need SameSite=None, which browsers only accept
            # with Secure; over plain http (development) Lax is the best available.
            samesite="None" if secure else "Lax",
            partitioned=secure,
        )


def purge_expired() -> int:
    result = db.session.execute(sa.delete(WebSession).where(WebSession.expires_at < utcnow()))
    return result.rowcount or 0
