"""Who is asking: the enrolment a launch signed in, loaded onto `g` for every request, and
decorators that guard views by role. Every guarded view works on `g.enrolment.course`, so a
person never reaches another course or platform through a URL."""

import functools

import sqlalchemy as sa
from flask import Flask, abort, g, request, session
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lti_tool.courses.models import Enrolment, Program, ResourceLink, Role
from lti_tool.extensions import db
from lti_tool.web.sessions import this_session


def init_app(app: Flask) -> None:
    app.before_request(load_enrolment)
    # Security headers (CSP, HSTS, Referrer-Policy...) are set by lti_tool/security/headers.py.
    app.context_processor(lambda: {"current": g.get("enrolment")})


# With the person and course every page shows, and the launched activity with its program
# that most pages ask for (current_link): one query, not two; built once, as every page runs it.
_SIGNED_IN = (
    sa.select(Enrolment, ResourceLink, Program)
    .options(joinedload(Enrolment.person), joinedload(Enrolment.course))
    .outerjoin(ResourceLink, sa.and_(ResourceLink.id == sa.bindparam("link_id"),
                                     ResourceLink.course_id == Enrolment.course_id))
    .outerjoin(Program, Program.id == ResourceLink.program_id)
    .where(Enrolment.id == sa.bindparam("enrolment_id")))


def load_enrolment() -> None:
    g.enrolment = None
    if request.blueprint == "lti":
        return  # login, launch, JWKS, registration: a launch signs in afresh, the rest need none
    enrolment_id = session.get("enrolment_id")
    if enrolment_id is None:
        return
    row = db.session.execute(_SIGNED_IN, {"enrolment_id": enrolment_id,
                                          "link_id": session.get("resource_link_id")}).first()
    if row is None or not row[0].active:
        return
    enrolment, link, program = row
    if link is not None:
        set_committed_value(link, "program", program)  # loaded: no lazy load to query again
    g.enrolment, g.resource_link = enrolment, link


def sign_in(enrolment: Enrolment, launch_id: str, link: ResourceLink | None,
            deep_linking: bool = False, embedded: bool = False, locale: str = "") -> None:
    """A fresh session for this launch; its token keeps each browser tab on its own launch.
    `locale` is the launch's own claim: the pages' language (lti_tool/i18n.py)."""
    this_session().regenerate()
    session["enrolment_id"] = enrolment.id
    session["launch_id"] = launch_id
    session["resource_link_id"] = link.id if link is not None else None
    session["deep_linking"] = deep_linking
    session["embedded"] = embedded
    session["locale"] = locale
    g.enrolment, g.resource_link = enrolment, link  # for a page the launch answers with
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

        wrapped.roles = frozenset(roles)  # who may open the page (tests/web/test_scoping.py)
        return wrapped

    return decorator


def current_link() -> ResourceLink | None:
    """The activity this session was launched from, if it belongs to the session's course."""
    if "resource_link" in g:  # load_enrolment's, for this session
        link = g.resource_link
    else:
        link_id = session.get("resource_link_id")
        link = db.session.get(ResourceLink, link_id,
                              options=[joinedload(ResourceLink.program)]) if link_id else None
    return link if link is not None and link.course_id == g.enrolment.course_id else None


def current_program() -> Program:
    """The program of the launched activity; 400 when the launch was not from an activity."""
    link = current_link()
    if link is None or link.program is None:
        abort(400, _("Open Pairwise from the program's activity in your course."))
    return link.program
