"""The LTI endpoints a platform calls: OIDC login initiation, launch, the tool's JWKS, and
dynamic registration. Each view parses the request and hands it to one service."""

import logging
from urllib.parse import urlsplit

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pylti1p3.contrib.flask import FlaskRequest
from sqlalchemy.exc import IntegrityError

from lti_tool.courses import landing
from lti_tool.courses.access import sign_in
from lti_tool.courses.models import Role
from lti_tool.courses.services import RecordedLaunch, existing_records, record_launch
from lti_tool.extensions import csrf, db
from lti_tool.intake import services as intake
from lti_tool.intake import views as intake_views
from lti_tool.launches.landing import landing_redirect
from lti_tool.lti import dynamic_registration as registering
from lti_tool.lti import keys, rejections
from lti_tool.lti.context import LaunchContext
from lti_tool.lti.protocol import ToolMessageLaunch, ToolOIDCLogin
from lti_tool.lti.registrations import Registered, base_url, tool_urls
from lti_tool.lti.tool_conf import DatabaseToolConf
from lti_tool.security import audit, ratelimit
from lti_tool.web.sessions import commit_with_session

log = logging.getLogger(__name__)
blueprint = Blueprint("lti", __name__, url_prefix="/lti")


@blueprint.route("/login", methods=["GET", "POST"])
@csrf.exempt  # the platform's cross-site POST carries no CSRF token (it is the OIDC request)
def login():
    """OIDC login initiation: a redirect to the platform with a signed state (it stores
    nothing: lti/protocol.py)."""
    _check_target_link_uri(request.values.get("target_link_uri", ""))
    oidc = ToolOIDCLogin(FlaskRequest(), DatabaseToolConf())
    try:
        response = oidc.redirect(tool_urls()["launch_url"])
    except Exception as exc:  # pylti1p3 raises several unrelated classes
        raise rejections.classify(exc) from exc
    log.info("lti login: iss=%s client_id=%s", request.values.get("iss"),
             request.values.get("client_id"))
    return response


@blueprint.post("/launch")
@csrf.exempt  # the id_token is the proof; it is validated below
def launch():
    """Validate the id_token, record the launch and sign the person in, then answer with the
    page they need, or send them to it (no detour through the home page's redirects).

    What the launch reads is read before its first write, and its writes (the state's used
    mark, the records, the new session) are committed together, once, before its page is
    rendered: SQLite lets one writer at a time, and a lecture hall's launches queue for it.
    A launch whose session cannot be saved leaves nothing behind (web/sessions.py)."""
    conf = DatabaseToolConf()
    message = ToolMessageLaunch(FlaskRequest(), conf)
    try:
        claims = message.get_launch_data()
        ctx = LaunchContext.from_claims(claims)
    except Exception as exc:
        raise rejections.classify(exc) from exc
    if ctx.role is None:
        raise rejections.LaunchRejected(
            403, "no_role", _("Pairwise is for the course's staff, mentors and learners."),
            _("Your role in this course (for example Observer) has no place in a mentoring "
              "program. Ask your instructor if you think this is wrong."))
    recorded = _record(message, ctx, conf.registered(ctx.issuer, ctx.client_id))
    sign_in(recorded.enrolment, message.get_launch_id(), recorded.resource_link,
            deep_linking=ctx.is_deep_linking, embedded=ctx.embedded, locale=ctx.locale)
    # The page an e-mail's link asked for a few minutes ago (courses/landing.py), used once.
    destination = None if ctx.is_deep_linking else \
        landing.arrival(recorded.enrolment.person, recorded.resource_link,
                        pending=recorded.pending)
    db.session.flush()
    log.info("lti launch: iss=%s client_id=%s deployment=%s context=%s sub=%s role=%s type=%s",
             ctx.issuer, ctx.client_id, ctx.deployment_id, ctx.context_id, ctx.subject,
             ctx.role, ctx.message_type)
    if ctx.is_deep_linking:
        return redirect(url_for("courses.deep_link"), code=303)
    if destination:
        log.info("lti launch lands on an e-mail's page: %s", destination)
        return landing_redirect(destination)
    return _first_page(recorded)


def _record(message: ToolMessageLaunch, ctx: LaunchContext, platform: Registered | None
            ) -> RecordedLaunch:
    """Two first launches of one course, activity or person at the same moment both find it
    missing and create it: the one whose insert then collides starts again, once, and
    brings the other's rows up to date."""
    try:
        return _read_then_write(message, ctx, platform)
    except IntegrityError:
        db.session.rollback()
        log.info("lti launch: records created by another launch at the same moment; again")
        return _read_then_write(message, ctx, platform)


def _read_then_write(message: ToolMessageLaunch, ctx: LaunchContext,
                     platform: Registered | None) -> RecordedLaunch:
    found = existing_records(ctx, platform)
    message.spend()  # writes start here: the id_token is accepted once
    try:
        ratelimit.limit_launcher(ctx.issuer, ctx.subject)  # one account in a loop, not a hall
    except ratelimit.RateLimited:
        # The id_token is spent all the same: its nonce's used mark (and the count) are kept,
        # or it could be posted again once the person's window has passed.
        db.session.commit()
        raise
    return record_launch(ctx, platform, found)


def _first_page(recorded: RecordedLaunch):
    """Where the home page (homes/views.py `home`) would send this person: a learner or
    mentor of a program without an intake answers it first, in this launch's own answer (a
    lecture hall's first launches make one request fewer each); everyone else is sent home."""
    enrolment, link = recorded.enrolment, recorded.resource_link
    program = link.program if link else None
    if enrolment.role != Role.STAFF and program is not None and \
            (recorded.new_person or intake.profile_for(program, enrolment.person) is None):
        page = intake_views.first_page(program, new_person=recorded.new_person)
        commit_with_session()  # not held while the page renders: SQLite has one writer
        return page()
    return redirect(url_for("homes.home"), code=303)


@blueprint.get("/jwks")
def jwks():
    keys.current_signing_key()  # from this process's cache; made on first use, committed here
    db.session.commit()
    response = jsonify(keys.jwks())
    response.cache_control.max_age = 300
    response.cache_control.public = True
    return response


@blueprint.route("/register", methods=["GET", "POST"], defaults={"secret": None})
@blueprint.route("/register/<secret>", methods=["GET", "POST"])
@csrf.exempt  # the link's secret, in the URL only the platform's frame has, is the proof
def dynamic_registration(secret: str | None):
    """LTI Dynamic Registration from an administrator's link: the platform's frame opens it
    (GET: what will be registered), the LMS admin confirms (POST: register)."""
    openid_configuration = request.values.get("openid_configuration", "")
    # The platform frames this page (or its refusal, which has nothing to click) before it is
    # registered: its origin may frame this endpoint's answers, no other page.
    g.frame_ancestor = openid_configuration
    started = registering.start(secret, openid_configuration,
                                request.values.get("registration_token"))
    if request.method == "GET":
        return render_template("lti/register_confirm.html", urls=tool_urls(), link=started.link,
                               openid_configuration=started.openid_configuration,
                               registration_token=started.registration_token or "")
    platform = registering.register(started)
    audit.record("platform.registered", platform=platform,
                 target=f"{platform.issuer} client {platform.client_id}", via="dynamic",
                 link=started.link.id, link_label=started.link.label,
                 link_created_by=started.link.created_by,
                 deployment_ids=platform.deployment_ids)
    db.session.commit()
    log.info("dynamic registration: iss=%s client_id=%s link=%s", platform.issuer,
             platform.client_id, started.link.id)
    return render_template("lti/register_done.html", platform=platform)


def _check_target_link_uri(target: str) -> None:
    """Only our own pages may be launch targets (no redirects through us elsewhere)."""
    if target and urlsplit(target).netloc != urlsplit(base_url()).netloc:
        raise rejections.bad_target()
