"""Who is asking: the enrolment a launch signed in, loaded onto `g` for every request, and
decorators that guard views by role. Every guarded view works on `g.enrolment.course`, so a
person never reaches another course or platform through a URL."""

import functools

from flask import Flask, abort, g, has_request_context, request, session
from flask_babel import gettext as _

from lti_tool.courses.models import Enrolment, Program, ResourceLink, Role
from lti_tool.extensions import db
from lti_tool.web.sessions import LTI, TOKEN_PARAM, make_token

# Endpoints whose URLs never carry the session token: public, another site's, or the admin
# pages (cookie only: web/sessions.py).
NO_TOKEN_ENDPOINT_PREFIXES = ("static", "sandbox.", "health.", "lti.jwks", "lti.login",
                              "lti.launch", "meetings.feed", "admin.")


def init_app(app: Flask) -> None:
    app.before_request(load_enrolment)
    app.url_defaults(add_session_token)
    # Security headers (CSP, HSTS, Referrer-Policy...) are set by lti_tool/security/headers.py.
    app.context_processor(lambda: {"current": g.get("enrolment")})


def load_enrolment() -> None:
    g.enrolment = None
    enrolment_id = session.get("enrolment_id")
    if enrolment_id is not None:
        enrolment = db.session.get(Enrolment, enrolment_id)
        if enrolment is not None and enrolment.active:
            g.enrolment = enrolment


def sign_in(enrolment: Enrolment, launch_id: str, resource_link_id: int | None,
            deep_linking: bool = False, embedded: bool = False, locale: str = "") -> None:
    """A fresh session for this launch; its token keeps each browser tab on its own launch.
    `locale` is the launch's own claim: the pages' language (lti_tool/i18n.py)."""
    session.regenerate()
    session["enrolment_id"] = enrolment.id
    session["launch_id"] = launch_id
    session["resource_link_id"] = resource_link_id
    session["deep_linking"] = deep_linking
    session["embedded"] = embedded
    session["locale"] = locale
    g.enrolment = enrolment
    g.pop("session_token", None)


def session_token() -> str | None:
    """The token for this request's session, only for a session a launch created (a token in
    a URL may leak: the less it opens, the better; an anonymous visitor's CSRF token needs no
    token, nor do the admin pages). The session gets its id now, so that the links and forms
    of the page that filled it already carry it."""
    if not has_request_context() or getattr(session, "scope", None) != LTI \
            or "launch_id" not in session:
        return None
    if "session_token" not in g:
        g.session_token = make_token(session.ensure_sid())
    return g.session_token


def add_session_token(endpoint: str, values: dict) -> None:
    if endpoint.startswith(NO_TOKEN_ENDPOINT_PREFIXES) or TOKEN_PARAM in values:
        return
    token = session_token()
    if token:
        values[TOKEN_PARAM] = token


def end_session() -> None:
    """Sign out of this request's session (web/sessions.py deletes it with the response)."""
    session.end()
    g.enrolment = None
    g.pop("session_token", None)


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("enrolment") is None:
            abort(401)
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: Role):
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if g.enrolment.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.roles = frozenset(roles)  # who may open the page (tests/test_scoping.py)
        return wrapped

    return decorator


def current_link() -> ResourceLink | None:
    """The activity this session was launched from, if it belongs to the session's course."""
    link_id = session.get("resource_link_id")
    link = db.session.get(ResourceLink, link_id) if link_id else None
    return link if link is not None and link.course_id == g.enrolment.course_id else None


def current_program() -> Program:
    """The program of the launched activity; 400 when the launch was not from an activity."""
    link = current_link()
    if link is None or link.program is None:
        abort(400, _("Open Pairwise from the program's activity in your course."))
    return link.program


def wants_json() -> bool:
    accept = request.accept_mimetypes
    best = accept.best_match(["application/json", "text/html"])
    return best == "application/json" and accept[best] > accept["text/html"]
