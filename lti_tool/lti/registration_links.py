"""Registration links: dynamic registration starts only from a link an administrator made.

LTI Dynamic Registration has an LMS admin paste a tool's URL into the platform, which then
opens it with `openid_configuration` and `registration_token` added. Left open, that URL would
let anyone make the tool fetch addresses and register platforms of their choosing. So the
tool's administrator first makes a link on `/admin/` or with `flask --app wsgi lti
registration-link`: single use, expiring, optionally bound to the issuer it is meant for. The
secret travels in the link's path (Moodle keeps a pasted URL's path and query when it adds its
parameters); only its hash is stored, so the link is shown once, when it is made.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from lti_tool.dbutil import rowcount
from lti_tool.extensions import db
from lti_tool.lti import issuers
from lti_tool.lti.models import Platform, RegistrationLink
from lti_tool.lti.registrations import base_url
from lti_tool.timeutil import as_utc, utcnow

SECRET = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
MAX_HOURS = 24 * 30


class LinkRefused(Exception):
    """A registration attempt without a usable link; `message` says why, for the LMS admin."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class IssuedLink:
    link: RegistrationLink
    url: str  # shown once: only its hash is kept


def issue(*, label: str = "", expected_issuer: str | None = None, hours: int | None = None,
          created_by: str = "admin") -> IssuedLink:
    """A new link; the caller commits (and records who made it in the audit log). ValueError
    for an issuer no platform could have, or a lifetime out of bounds."""
    hours = current_app.config["REGISTRATION_LINK_HOURS"] if hours is None else hours
    if not 1 <= hours <= MAX_HOURS:
        raise ValueError(_("A link lasts from 1 hour to %(days)d days.", days=MAX_HOURS // 24))
    expected_issuer = (expected_issuer or "").strip().rstrip("/") or None
    if expected_issuer:
        issuers.normalise(expected_issuer,
                          https_only=issuers.https_required())
    secret = secrets.token_urlsafe(32)
    link = RegistrationLink(secret_hash=_hash(secret), label=label.strip()[:255],
                            expected_issuer=expected_issuer, created_by=created_by[:64],
                            expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(link)
    db.session.flush()
    return IssuedLink(link, base_url() + url_for("lti.dynamic_registration", secret=secret))


def usable(secret: str | None) -> RegistrationLink:
    """The unused, unexpired link behind `secret`; LinkRefused otherwise."""
    link = None
    if secret and SECRET.fullmatch(secret):
        link = db.session.scalars(
            sa.select(RegistrationLink).where(RegistrationLink.secret_hash == _hash(secret))
        ).first()
    if link is None:
        raise LinkRefused(403, _(
            "Registering this tool needs a registration link from the tool's administrator, "
            "and this address is not one."))
    state = status(link)
    if state != "unused":
        raise LinkRefused(410, {
            "used": _("This registration link was already used. Ask the tool's administrator "
                      "for a new one."),
            "withdrawn": _("This registration link was withdrawn by the tool's administrator."),
            "expired": _("This registration link has expired. Ask the tool's administrator for "
                         "a new one."),
        }[state])
    return link


def claim(link: RegistrationLink, platform: Platform) -> None:
    """Mark the link used by the registration it made: of two uses at the same moment, one
    wins and the other is refused (its transaction rolls back)."""
    claimed = rowcount(db.session.execute(
        sa.update(RegistrationLink)
        .where(RegistrationLink.id == link.id, RegistrationLink.used_at.is_(None),
               RegistrationLink.revoked_at.is_(None), RegistrationLink.expires_at > utcnow())
        .values(used_at=utcnow(), platform_id=platform.id)
        .execution_options(synchronize_session=False)
    ))
    if claimed != 1:
        raise LinkRefused(410, _("This registration link was already used. Ask the tool's "
                                 "administrator for a new one."))
    db.session.expire(link)


def withdraw(link_id: int) -> RegistrationLink | None:
    """Withdraw an unused link; None when there is no such link. The caller commits."""
    link = db.session.get(RegistrationLink, link_id)
    if link is not None and link.used_at is None and link.revoked_at is None:
        link.revoked_at = utcnow()
    return link


def status(link: RegistrationLink) -> str:
    """unused, used, withdrawn or expired."""
    if link.used_at is not None:
        return "used"
    if link.revoked_at is not None:
        return "withdrawn"
    if as_utc(link.expires_at) <= utcnow():
        return "expired"
    return "unused"


def recent(limit: int = 20) -> list[RegistrationLink]:
    query = sa.select(RegistrationLink).order_by(RegistrationLink.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def linked_platform_ids() -> set[int]:
    """Platforms a registration link registered (dynamic registrations older than links
    came through an open endpoint: the admin page asks the administrator to check them)."""
    query = sa.select(RegistrationLink.platform_id).where(RegistrationLink.platform_id.isnot(None))
    return set(db.session.scalars(query))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
