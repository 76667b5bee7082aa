"""Links that reach a person through their LMS and land on the page an e-mail is about.

A tool inside an LMS cannot be opened directly: its pages need a launch. So an e-mail's link
points at the tool (`/go/<token>`, lti_tool/launches/landing.py):

1. `link_for` signs who the link is for, the program and the tool's page (a local path) into
   the token; it lasts LANDING_LINK_DAYS, since e-mails are read late.
2. Following it, `arrive` records that page for that person (`PendingLanding`, replacing an
   older one) and finds the activity in their LMS: the program's link they launched last,
   else the program's newest. Its address is built only from what the platform signed at
   launch (issuer, resource link id, a return_url on the issuer's origin), per LMS:
   Moodle `<wwwroot>/mod/lti/view.php?l=<resource link id>`, the sandbox LMS its activity
   page; other LMSs give no way to build one, and the person is told where to look.
3. Their next launch of that program (or, for a link without one, of that course) within
   LANDING_SECONDS opens the page instead of the home page, once (`arrival`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import current_app, has_request_context, request, url_for
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from lti_tool.courses.models import (
    Course,
    LaunchedLink,
    PendingLanding,
    Person,
    Program,
    ResourceLink,
)
from lti_tool.dbutil import rowcount, upsert
from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from lti_tool.timeutil import as_utc, utcnow
from lti_tool.web.sessions import LTI, TOKEN_PARAM, scope_of

SALT = "pairwise-landing-link"
MAX_DESTINATION = 1024  # PendingLanding.destination
MOODLE, SANDBOX = "moodle", "sandbox"  # tool_platform.product_family_code
# Where each LMS's launch_presentation.return_url lies under its web root.
RETURN_PATHS = {MOODLE: "/mod/lti/return.php", SANDBOX: "/return"}
DEFAULT_PORTS = {"http": 80, "https": 443}


class LinkRefused(Exception):
    """A `/go` link that leads nowhere: "invalid" (not one of ours, or altered), "expired",
    or "gone" (its person or program no longer exists)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkData:
    """What a `/go` link carries."""

    person_id: int
    program_id: int | None
    destination: str


@dataclass(frozen=True)
class Activity:
    """Where a person finds the program's activity in their LMS."""

    url: str | None  # the activity's own page, when this LMS's addresses are known
    lms_name: str
    lms_url: str | None  # the LMS's address, when a launch showed it on the issuer's origin
    course_title: str
    activity_title: str
    locale: str = ""  # the person's launch locale: the language to tell them in


# --- The link in the e-mail ------------------------------------------------------------------

def local_path(destination: str) -> str:
    """`destination` as a path of this tool, without any session token in it. ValueError for
    anything else: another site, a scheme-relative "//host", a backslash (which browsers read
    as "/"), control characters or spaces, the admin pages (never reached from a launch)."""
    if not isinstance(destination, str) or not destination.startswith("/") \
            or destination.startswith("//") or "\\" in destination \
            or len(destination) > MAX_DESTINATION \
            or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in destination):
        raise ValueError(f"Not a local path of the tool: {destination!r}")
    parts = urlsplit(destination)
    if parts.scheme or parts.netloc or scope_of(parts.path) != LTI:
        raise ValueError(f"Not a local path of the tool: {destination!r}")
    return urlunsplit(("", "", parts.path, _query_without_token(parts.query), parts.fragment))


def link_for(person: Person, program: Program | None, destination: str) -> str:
    """The absolute link for an e-mail to `person` about the tool's page `destination` (a
    local path, else ValueError): `<BASE_URL>/go/<signed token>`."""
    path = local_path(destination)
    if person.id is None or (program is not None and program.id is None):
        raise ValueError("link_for needs a person and program that are stored (flushed)")
    return _go_url(_serializer().dumps([person.id, program.id if program else None, path]))


def read_link(token: str) -> LinkData:
    """What a `/go` token says; LinkRefused("expired" or "invalid") otherwise."""
    max_age = int(current_app.config["LANDING_LINK_DAYS"]) * 86400
    try:
        person_id, program_id, destination = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkRefused("expired") from exc
    except (BadData, TypeError, ValueError) as exc:
        raise LinkRefused("invalid") from exc
    if not isinstance(person_id, int) or not isinstance(program_id, int | None):
        raise LinkRefused("invalid")
    try:
        return LinkData(person_id, program_id, local_path(destination))
    except ValueError as exc:
        raise LinkRefused("invalid") from exc


# --- Following it: record the page, find the activity ----------------------------------------

def arrive(data: LinkData, now: datetime | None = None) -> Activity:
    """Record `data.destination` for its person's next launch and say where the activity is
    in their LMS; LinkRefused("gone") when the person or program was deleted. Flushes."""
    person = db.session.get(Person, data.person_id)
    program = db.session.get(Program, data.program_id) if data.program_id is not None else None
    if person is None or (data.program_id is not None and program is None):
        raise LinkRefused("gone")
    link = activity_link(person, program)
    course = program.course if program is not None else (link.course if link else None)
    if course is not None and course.platform_id == person.platform_id:
        _remember(person, course, program, data.destination, now or utcnow())
    return activity_of(person, program, course, link)


def activity_link(person: Person, program: Program | None) -> ResourceLink | None:
    """The program's link `person` launched last, else the program's newest link. Without a
    program: the link they launched last, anywhere on their platform."""
    launched = (sa.select(ResourceLink).join(LaunchedLink)
                .where(LaunchedLink.person_id == person.id)
                .order_by(LaunchedLink.launched_at.desc(), LaunchedLink.id.desc()).limit(1))
    if program is None:
        return db.session.scalars(launched).first()
    found = db.session.scalars(launched.where(ResourceLink.program_id == program.id)).first()
    return found or db.session.scalars(
        sa.select(ResourceLink).filter_by(program_id=program.id)
        .order_by(ResourceLink.id.desc()).limit(1)).first()


def activity_of(person: Person, program: Program | None, course: Course | None,
                link: ResourceLink | None) -> Activity:
    """Where `person` finds `link` (of `program`, in `course`) in their LMS."""
    platform = db.session.get(Platform, person.platform_id)
    # Only a link of the person's own platform leads anywhere for them.
    link = link if platform is not None and link is not None \
        and link.course.platform_id == platform.id else None
    url = activity_url(platform.product_family, platform.issuer, link.lms_web_root,
                       link.link_id, person.subject) if platform and link else None
    return Activity(
        url=url,
        lms_name=platform.name if platform else "",
        lms_url=link.lms_web_root if link else None,
        course_title=(course.title or course.label) if course else "",
        activity_title=(link.title if link and link.title else
                        program.title if program else ""),
        locale=person.locale,
    )


def _remember(person: Person, course: Course, program: Program | None, destination: str,
              now: datetime) -> None:
    """One pending page per person: this one replaces any older (an upsert, so that two
    links followed at once do not collide)."""
    upsert(PendingLanding, ["person_id"], {
        "person_id": person.id, "course_id": course.id,
        "program_id": program.id if program is not None else None,
        "destination": destination, "created_at": now})


# --- The recipes: an activity's address in each LMS (pure) -----------------------------------

def web_root(issuer: str, return_url: str, product_family: str) -> str | None:
    """The LMS's web root as a launch's `return_url` shows it, trusted only when that URL is
    on the issuer's origin (a platform signs the claim, but only its issuer is registered).
    For an LMS whose return path is not known: the issuer itself, if people browse its origin.
    None when the launch does not tell."""
    origin = _origin(return_url)
    if origin is None or origin != _origin(issuer):
        return None
    suffix = RETURN_PATHS.get(product_family)
    if suffix is None:
        return issuer.rstrip("/")
    path = urlsplit(return_url).path
    if not path.endswith(suffix):
        return None
    scheme, host, port = origin
    netloc = host if DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    return f"{scheme}://{netloc}{path.removesuffix(suffix)}"


def activity_url(product_family: str, issuer: str, lms_web_root: str | None, link_id: str,
                 subject: str) -> str | None:
    """The activity's page in the LMS, or None where the LMS gives no way to build it.
    Moodle: `<wwwroot>/mod/lti/view.php?l=<instance>` (its resource link id is the instance
    id); the sandbox LMS: its activity page, launching as the person (it has no sign-in)."""
    root = (lms_web_root or issuer).rstrip("/")
    if _origin(root) is None:
        return None
    if product_family == MOODLE and link_id.isascii() and link_id.isdigit():
        return f"{root}/mod/lti/view.php?{urlencode({'l': link_id})}"
    if product_family == SANDBOX:
        return f"{root}/activity/{quote(link_id, safe='')}?{urlencode({'user': subject})}"
    return None


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL without credentials; None otherwise."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


# --- At launch ---------------------------------------------------------------------------------

# A new person's first launch of a link: a plain INSERT, built once. Not an ORM object: the
# launch has flushed its records already, and a second flush for this one row cost a new
# person's launch more than the INSERT itself.
_FIRST_LAUNCH = sa.insert(cast(sa.Table, LaunchedLink.__table__))


def note_launch(person: Person, link: ResourceLink, now: datetime | None = None,
                new: bool = False) -> None:
    """`person` launched `link` (the activity their e-mails' links go back to). A person
    `new` in this transaction has no row another launch could be writing: theirs is
    inserted, not upserted."""
    values = {"person_id": person.id, "resource_link_id": link.id,
              "launched_at": now or utcnow()}
    if new:
        db.session.execute(_FIRST_LAUNCH, values)
    else:
        upsert(LaunchedLink, ["person_id", "resource_link_id"], values)


_UNREAD = object()


def arrival(person: Person, link: ResourceLink | None, now: datetime | None = None,
            pending: "PendingLanding | None | object" = _UNREAD) -> str | None:
    """The page this launch of `link` by `person` opens instead of the home page: the one
    they asked for by a `/go` link within LANDING_SECONDS, for this link's program (or,
    asked without a program, its course). Used once; an expired one is dropped; one for
    another program waits for that program's launch. `pending`: the person's pending
    landing (or None) when the launch already loaded it (courses/services.py)."""
    if pending is _UNREAD:
        pending = db.session.scalars(sa.select(PendingLanding).filter_by(person_id=person.id)
                                     ).first()
    if not isinstance(pending, PendingLanding) or link is None:
        return None
    now = now or utcnow()
    if as_utc(pending.created_at) + _landing_window() < now:
        db.session.delete(pending)
        return None
    same = pending.program_id == link.program_id if pending.program_id is not None \
        else pending.course_id == link.course_id
    if not same:
        return None
    db.session.delete(pending)
    try:
        return local_path(pending.destination)
    except ValueError:  # written by `arrive` from a checked link: never, but never followed
        return None


# --- Privacy: the person's data download and erasure (lti_tool/privacy) ----------------------

def export_of(person_id: int) -> dict:
    """Which activities the person launched, when, and the page a link of theirs waits on."""
    launched = db.session.execute(
        sa.select(ResourceLink.title, Course.title, LaunchedLink.launched_at)
        .join(LaunchedLink, LaunchedLink.resource_link_id == ResourceLink.id)
        .join(Course, Course.id == ResourceLink.course_id)
        .where(LaunchedLink.person_id == person_id).order_by(LaunchedLink.id))
    pending = db.session.scalars(sa.select(PendingLanding).filter_by(person_id=person_id)
                                 ).first()
    return {
        "activities_opened": [{"activity": activity, "course": course, "last_opened_at": when}
                              for activity, course, when in launched],
        "pending_page": {"page": pending.destination, "asked_at": pending.created_at}
        if pending else None,
    }


def erase(person_id: int, course_id: int) -> int:
    """Delete the person's launches of the course's activities and their page waiting there."""
    links = sa.select(ResourceLink.id).filter_by(course_id=course_id).scalar_subquery()
    options = {"synchronize_session": False}
    return sum(rowcount(db.session.execute(statement, execution_options=options)) or 0
               for statement in (
                   sa.delete(LaunchedLink).where(LaunchedLink.person_id == person_id,
                                                 LaunchedLink.resource_link_id.in_(links)),
                   sa.delete(PendingLanding).filter_by(person_id=person_id,
                                                       course_id=course_id)))


# --- Helpers -----------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    # create_app always sets a secret key (it replaces a missing or default one).
    return URLSafeTimedSerializer(cast(str | bytes, current_app.secret_key), salt=SALT)


def _go_url(token: str) -> str:
    """The absolute `/go` URL, on BASE_URL (else this request's host). Never with the session
    token of the request that sends the e-mail (`pw=None` keeps url_defaults from adding it)."""
    base = current_app.config.get("BASE_URL") or ""
    if not has_request_context():
        return f"{base.rstrip('/')}/go/{token}"
    path = url_for("landing.go", token=token, **{TOKEN_PARAM: None})
    return f"{(base or request.host_url).rstrip('/')}{path}"


def _landing_window() -> timedelta:
    return timedelta(seconds=int(current_app.config["LANDING_SECONDS"]))


def _query_without_token(query: str) -> str:
    """A URL's query without the session token (`pw`): a link in an e-mail must never carry
    the session of whoever's action sent it."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, v) for k, v in pairs if k != TOKEN_PARAM]) if pairs else query
