"""One-time submission keys: a form that creates something, sent twice (the back button, a
double click, a retry after a lost answer), creates it once, and the repeat is shown what the
first sending made.

Every form renders a fresh random key beside its CSRF token (`key_input`, from
`lti_tool/web/forms.py`). A view marked `@idempotent` looks the key up first: a key this
person already used answers with a 303 to where the first sending led, without calling the
service. Otherwise `web.forms.change()` stores the key (`claim`) in the transaction that
creates the row, before the service runs, and the decorator commits both once the view has
chosen its answer, with that answer's address. A second sending racing the first waits on the
unique index and then fails with IntegrityError (PostgreSQL and SQLite alike), which is
answered the same way. A sending that was invalid or refused is rolled back with its key, so
the corrected form can be sent with the same key. Without a key (an old page, an API client)
nothing changes. Keys live a day (`purge_expired`, from `flask lti purge-expired`).
"""

import functools
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import abort, current_app, flash, g, make_response, redirect, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import HTTPException

from lti_tool.dbutil import rowcount
from lti_tool.extensions import Model, db
from lti_tool.timeutil import utcnow
from lti_tool.web.sessions import TOKEN_PARAM

FIELD = "submission_key"
KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")  # ours are token_urlsafe(24): 32 characters
KEPT_FOR = timedelta(days=1)
MAX_PATH, MAX_RESULT = 255, 2048


class Submission(Model):
    """A form sent with a key: whose, which key, where it was sent and where its answer led
    (the first result, shown to every repeat). Not personal content: addresses of pages."""

    __tablename__ = "web_submission"
    __table_args__ = (sa.UniqueConstraint("person_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(64))
    path: Mapped[str] = mapped_column(sa.String(MAX_PATH))  # the POST's path
    result: Mapped[str] = mapped_column(sa.String(MAX_RESULT), default="")  # "" : no redirect
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 index=True)


class Repeated(Exception):
    """The key was stored by a concurrent sending of the same form while this one ran."""


@dataclass
class _Pending:
    key: str
    row: Submission | None = None  # set once claimed in the current transaction


# --- The key in the page -----------------------------------------------------------------


def new_key() -> str:
    return secrets.token_urlsafe(24)


def posted_key() -> str | None:
    """The key the request was sent with; None without one (or an empty one); a 400 for one
    no page of ours makes."""
    value = request.form.get(FIELD, "") if request.method == "POST" else ""
    if not value:
        return None
    if not KEY.fullmatch(value):
        abort(400, _("The form was damaged on its way; reload the page and try again."))
    return value


def key_input(keep: bool) -> Markup:
    """The hidden field with a fresh key; `keep`: a form shown again after its view refused
    it keeps the key it was sent with, so that a repeat of either sending is recognised."""
    value = request.form.get(FIELD, "") if keep and request.method == "POST" else ""
    key = value if KEY.fullmatch(value) else new_key()
    return Markup('<input name="{}" type="hidden" value="{}">').format(FIELD, key)


# --- The view's side ---------------------------------------------------------------------


def idempotent(view):
    """A POST that creates something: a repeat of its key shows the first result instead.
    Goes inside `login_required`/`role_required` (the key belongs to the signed-in person)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        key = posted_key()
        if key is None or g.get("enrolment") is None:
            return view(*args, **kwargs)
        if (first := _find(key)) is not None:
            return _replay(first)
        pending = g.submission = _Pending(key)
        try:
            response = view(*args, **kwargs)
        except Repeated as repeated:
            db.session.rollback()
            first = _find(key)
            if first is None:  # the IntegrityError was about another row: a real error
                raise repeated.__cause__ from None
            return _replay(first)
        finally:
            g.pop("submission", None)
        return _settle(pending, response)

    return wrapped


def claim() -> None:
    """Store the pending key in the current transaction, before the service creates anything;
    a concurrent sending of the same key makes this wait, then raise `Repeated`."""
    pending = g.get("submission")
    if pending is None or pending.row is not None:
        return
    row = Submission(person_id=g.enrolment.person_id, key=pending.key,
                     path=request.path[:MAX_PATH])
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise Repeated(pending.key) from exc
    pending.row = row


def release() -> None:
    """The transaction holding the claim was rolled back (the service refused)."""
    pending = g.get("submission")
    if pending is not None:
        pending.row = None


def claimed() -> bool:
    """Whether this transaction holds a key: `idempotent` then commits it with the answer."""
    pending = g.get("submission")
    return pending is not None and pending.row is not None


def _settle(pending: _Pending, response):
    if pending.row is None:  # refused, invalid, or nothing was changed: nothing stored
        return response
    response = make_response(response)
    pending.row.result = _result_of(response)
    db.session.commit()
    return response


def _find(key: str) -> Submission | None:
    return db.session.scalar(sa.select(Submission).filter_by(
        person_id=g.enrolment.person_id, key=key))


def _replay(first: Submission):
    if first.path != request.path[:MAX_PATH]:
        abort(400, _("This form was already sent elsewhere; reload the page and try again."))
    flash(_("Already sent — here it is."), "info")
    return redirect(_address(first.result) if first.result else url_for("homes.home"),
                    code=303)


# --- Addresses: stored without the session token, replayed with this request's ------------


def _result_of(response) -> str:
    """Where a redirect leads, as a path on this site without the session token; "" when the
    answer was not a redirect or leads elsewhere."""
    if not 300 <= response.status_code < 400:
        return ""
    url = urlsplit(response.headers.get("Location", ""))
    if (url.netloc and url.netloc != request.host) or not url.path.startswith("/"):
        return ""
    query = urlencode([(k, v) for k, v in parse_qsl(url.query) if k != TOKEN_PARAM])
    result = urlunsplit(("", "", url.path, query, url.fragment))
    return result if len(result) <= MAX_RESULT else ""


def _address(result: str) -> str:
    """A stored result as a URL for this request: through `url_for`, so that it carries this
    session's token as every link does; the home page if it is no page of the app (any more)."""
    url = urlsplit(result)
    try:
        endpoint, values = current_app.url_map.bind_to_environ(request.environ).match(
            url.path, method="GET")
    except HTTPException:
        return url_for("homes.home")
    query = {k: v for k, v in parse_qsl(url.query) if not k.startswith("_")}
    return url_for(endpoint, **{**query, **values}, _anchor=url.fragment or None)


# --- Housekeeping: purge, export, erasure ---------------------------------------------------


def purge_expired(now: datetime | None = None) -> int:
    """Delete keys older than `KEPT_FOR`: a repeat comes within minutes, not days."""
    cutoff = (now or utcnow()) - KEPT_FOR
    result = db.session.execute(sa.delete(Submission).where(Submission.created_at < cutoff))
    return rowcount(result) or 0


def export_of(person_id: int) -> list[dict]:
    """The person's recent sendings, for their data download: when, and which page."""
    rows = db.session.scalars(sa.select(Submission).filter_by(person_id=person_id)
                              .order_by(Submission.id))
    return [{"sent_at": row.created_at, "page": row.path} for row in rows]


def erase(person_id: int) -> int:
    """Delete the person's keys (all of them: they expire within a day anyway)."""
    result = db.session.execute(sa.delete(Submission).filter_by(person_id=person_id),
                                execution_options={"synchronize_session": False})
    return rowcount(result) or 0
