"""The links every e-mail carries about e-mail itself: the one-click unsubscribe (RFC 8058)
and the person's Notifications page.

An unsubscribe link holds a token signed with the app's SECRET_KEY (its own salt, so no other
signed value of the app can stand in for it) that names the person: their id and a digest of
who they are on their platform, so that a token outlives no person whose id is used again. It
lasts NOTIFY_UNSUBSCRIBE_DAYS (a year by default): people unsubscribe from old e-mails too.
The link is absolute: BASE_URL, else the request's own root; a worker outside any request
needs BASE_URL (production requires it).
"""

import hashlib

from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lti_tool.courses.models import Person
from lti_tool.extensions import db

URL_PREFIX = "/notifications"  # the notify blueprint's
PREFERENCES_PATH = f"{URL_PREFIX}/"
SALT = "pairwise.notify.unsubscribe"
DEFAULT_DAYS = 365


class InvalidToken(ValueError):
    """Not a token this app signed for unsubscribing, expired, or its person is gone."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _identity(person: Person) -> str:
    return hashlib.sha256(f"{person.platform_id}\n{person.subject}".encode()).hexdigest()[:16]


def token_for(person: Person) -> str:
    return _serializer().dumps({"p": person.id, "i": _identity(person)})


def person_of(token: str) -> Person:
    """The person a token names; InvalidToken for anything else."""
    days = float(current_app.config.get("NOTIFY_UNSUBSCRIBE_DAYS") or DEFAULT_DAYS)
    try:
        data = _serializer().loads(token, max_age=int(days * 86400))
    except BadSignature as exc:  # a bad signature, a bad payload or an expired one
        raise InvalidToken(str(exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise InvalidToken("The token names nobody.")
    person = db.session.get(Person, data["p"])
    if person is None or data.get("i") != _identity(person):
        raise InvalidToken("The person this token names is no longer here.")
    return person


def base_url() -> str:
    """The tool's absolute root, without the trailing slash."""
    base = current_app.config.get("BASE_URL") or \
        (request.url_root if has_request_context() else "") or "http://localhost"
    return base.rstrip("/")


def url_for_person(person: Person) -> str:
    """The absolute one-click unsubscribe URL of `person` (List-Unsubscribe, footers)."""
    return f"{base_url()}{URL_PREFIX}/unsubscribe/{token_for(person)}"
