"""The sandbox LMS's endpoints under `/sandbox`: the course page and what it opens in its
iframe (launch, OIDC auth, deep-linking return), the OAuth2 token endpoint and JWKS, the
NRPS and AGS services, the gradebook and dynamic registration. Views parse the request and
call one service module; the sandbox is another "site" than the tool, so none of them takes
the tool's CSRF token (the blueprint is exempted in `init_app`)."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, request

from lti_tool.extensions import db
from lti_tool.notify import services as notify
from lti_tool.sandbox import adapter, deep_linking, dynreg, grades, launch, lms, platform
from lti_tool.sandbox.adapter import FlaskRequest, ServiceError
from lti_tool.sandbox.services import SandboxGradesService, SandboxMembershipService

URL_PREFIX = "/sandbox"
blueprint = Blueprint("sandbox", __name__, url_prefix=URL_PREFIX)


# --- Pages for people -----------------------------------------------------------------------

@blueprint.get("/")
def course_page():
    course = lms.get_course(lms.COURSE_ID)
    members = lms.members(course.id) if course else []
    return render_template(
        "sandbox/course.html", course=course, tool=platform.current_registration(),
        activities=lms.activities(course.id) if course else [], members=members,
        instructors=[m for m in members if m.role == lms.INSTRUCTOR],
        same_site=_on_tool_host())


@blueprint.get("/activity/<int:activity_id>")
def activity_page(activity_id: int):
    """An activity's own page (Moodle: /mod/lti/view.php?l=<id>), where an e-mail's link
    through the LMS arrives. The sandbox has no sign-in: `user` says who is browsing, and the
    activity then launches as them in the page's iframe at once, as Moodle's embedded view
    does; without it, a button per member."""
    activity = lms.get_activity(activity_id)
    if activity is None:
        return _message(404, "No such activity", f"There is no activity {activity_id}.")
    user_id = request.args.get("user", "")
    member = lms.membership(activity.course_id, user_id) if user_id else None
    return render_template("sandbox/activity.html", activity=activity, course=activity.course,
                           members=lms.members(activity.course_id), member=member,
                           unknown_user=user_id if user_id and member is None else "")


@blueprint.get("/launch")
def start_launch():
    """Opened in the course page's iframe: POSTs the OIDC login initiation to the tool."""
    try:
        action, fields = launch.launch_form(request.args.get("user", ""),
                                            request.args.get("activity"),
                                            deep_linking=request.args.get("deep_linking") == "1")
    except launch.LaunchError as exc:
        return _message(exc.status, "Cannot launch", exc.message)
    db.session.commit()  # the platform key, if this was its first use
    return render_template("sandbox/autosubmit.html", action=action, fields=fields,
                           title="Opening the tool")


@blueprint.route("/auth", methods=["GET", "POST"])
def auth():
    """The OIDC authorization endpoint: answers the tool with a signed id_token."""
    tool = platform.registration_by_client_id(request.values.get("client_id"))
    if tool is None:
        return _message(400, "Launch refused", "The client_id is not a registered tool.")
    message = launch.SandboxMessageLaunch(FlaskRequest(request),
                                          adapter.SandboxPlatformConf(tool=tool))
    try:
        page = message.lti_launch()
    except launch.LaunchError as exc:
        db.session.rollback()
        return _message(exc.status, "Launch refused", exc.message)
    db.session.commit()
    return page


@blueprint.post("/deep-link-return")
def deep_link_return():
    try:
        result = deep_linking.accept_response(request.form.to_dict(), request.args.get("id"))
    except deep_linking.DeepLinkError as exc:
        db.session.rollback()
        return _message(400, "Activity not added", str(exc))
    db.session.commit()
    return render_template("sandbox/activity_added.html", result=result,
                           course_url=platform.url("/"))


@blueprint.get("/return")
def launch_return():
    """launch_presentation.return_url: the tool sends the person back to the course."""
    return render_template("sandbox/returned.html", course_url=platform.url("/"),
                           message=request.args.get("lti_msg", ""),
                           error=request.args.get("lti_errormsg", ""))


@blueprint.get("/gradebook")
def gradebook():
    course = lms.get_course(lms.COURSE_ID)
    book = grades.gradebook(course.id) if course else None
    return render_template("sandbox/gradebook.html", course=course, book=book)


@blueprint.get("/outbox")
def outbox():
    """The tool's notification outbox: what it sent, or would e-mail with a mail server."""
    return render_template("sandbox/outbox.html", notifications=notify.recent(),
                           counts=notify.counts(), utc_text=notify.utc_text)


@blueprint.get("/outbox/<int:notification_id>")
def outbox_message(notification_id: int):
    """One notification's e-mail as its recipient reads it: headers, the HTML (in a frame
    that runs nothing, its links opening the whole window as a mail client opens a browser),
    the text, and the other notifications it carried."""
    row = notify.outbox_row(notification_id)
    if row is None:
        return _message(404, "No such notification", f"There is no notification "
                        f"{notification_id}.")
    email, rows = notify.email_of(row)
    shown = (email.html or "").replace("<head>", '<head><base target="_top">', 1)
    return render_template("sandbox/outbox_message.html", n=row, email=email, rows=rows,
                           html=shown, sender=notify.sender(), utc_text=notify.utc_text)


@blueprint.get("/register-tool")
def register_tool_page():
    """Pre-filled with a fresh registration link of the tool, as its admin would give one."""
    default = dynreg.tool_registration_link()
    db.session.commit()
    return render_template("sandbox/register_tool.html", default_url=default)


@blueprint.get("/register-tool/start")
def register_tool_start():
    """Opened in the registration iframe: sends it to the tool with a fresh token."""
    try:
        target = dynreg.start_url(request.args.get("url", "").strip())
    except dynreg.RegistrationRefused as exc:
        return _message(exc.status, "Cannot register", exc.description)
    db.session.commit()
    return redirect(target, code=303)


# --- Endpoints for tools --------------------------------------------------------------------

@blueprint.post("/token")
def token():
    body, status = adapter.token_response(request.form.to_dict())
    if status == 200:
        db.session.commit()
    else:
        db.session.rollback()
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/jwks")
def jwks():
    platform.signing_key()
    db.session.commit()
    return jsonify(platform.jwks())


@blueprint.get("/.well-known/openid-configuration")
def openid_configuration():
    return jsonify(dynreg.openid_configuration())


@blueprint.post("/register")
def register():
    try:
        dynreg.redeem_registration_token(request.headers.get("Authorization", ""))
        body = dynreg.register_tool(request.get_json(silent=True))
    except dynreg.RegistrationRefused as exc:
        db.session.rollback()
        return jsonify(error=exc.error, error_description=exc.description), exc.status
    db.session.commit()
    return jsonify(body)


@blueprint.get("/api/CourseSection/<course_id>/bindings/<type_id>/memberships")
def memberships(course_id: str, type_id: str):
    try:
        conf, course = _service_context(course_id, (platform.NRPS_SCOPE,), type_id)
    except ServiceError as exc:
        return _service_error(exc)
    service = SandboxMembershipService(FlaskRequest(request), conf, course,
                                       launch.memberships_url(course, conf.tool),
                                       _public_request_url())
    return _finish(service, service.handle_resp(service.handle_get_members))


@blueprint.route("/api/<course_id>/lineitems", methods=["GET", "POST"])
def lineitems(course_id: str):
    if request.method == "GET":
        return _ags(course_id, (platform.AGS_LINEITEM, platform.AGS_LINEITEM_READONLY),
                    "handle_get_lineitems")
    return _ags(course_id, (platform.AGS_LINEITEM,), "handle_create_lineitem")


@blueprint.route("/api/<course_id>/lineitems/<item_id>/lineitem",
                 methods=["GET", "PUT", "DELETE"])
def lineitem(course_id: str, item_id: str):
    if request.method == "GET":
        return _ags(course_id, (platform.AGS_LINEITEM, platform.AGS_LINEITEM_READONLY),
                    "handle_get_lineitem", line_item_id=item_id)
    handler = "handle_update_lineitem" if request.method == "PUT" else "handle_delete_lineitem"
    return _ags(course_id, (platform.AGS_LINEITEM,), handler, line_item_id=item_id)


@blueprint.post("/api/<course_id>/lineitems/<item_id>/lineitem/scores")
def scores(course_id: str, item_id: str):
    return _ags(course_id, (platform.AGS_SCORE,), "handle_update_score", line_item_id=item_id)


@blueprint.get("/api/<course_id>/lineitems/<item_id>/lineitem/results")
def results(course_id: str, item_id: str):
    return _ags(course_id, (platform.AGS_RESULT_READONLY,), "handle_get_results",
                line_item_id=item_id)


# --- Helpers --------------------------------------------------------------------------------

def _ags(course_id: str, scopes: tuple[str, ...], handler: str, **kwargs):
    try:
        conf, course = _service_context(course_id, scopes, request.args.get("type_id"))
    except ServiceError as exc:
        return _service_error(exc)
    service = SandboxGradesService(FlaskRequest(request), conf, course, _public_request_url())
    return _finish(service, service.handle_resp(getattr(service, handler), **kwargs))


def _service_context(course_id: str, scopes: tuple[str, ...], type_id: str | None):
    """(platform configuration of the calling tool, course); ServiceError if refused."""
    conf = adapter.authorize(request, scopes)
    if type_id is not None and type_id != str(conf.tool.id):
        raise ServiceError(403, "wrong_tool", "type_id names another tool than the token")
    course = lms.get_course(course_id)
    if course is None:
        raise ServiceError(404, "not_found", f"Not Found: Course {course_id} doesn't exist")
    return conf, course


def _finish(service, result):
    if 200 <= result.code < 300:
        db.session.commit()
    else:
        db.session.rollback()
    return adapter.flask_response(result, service.link)


def _service_error(exc: ServiceError):
    response = jsonify(error=exc.error, message=exc.message)
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return response


def _public_request_url() -> str:
    """This request's URL as tools know it: on SANDBOX_URL, whatever Host it arrived on."""
    query = request.query_string.decode("latin-1")
    path = platform.url(request.path.removeprefix(URL_PREFIX))
    return f"{path}?{query}" if query else path


def _on_tool_host() -> bool:
    """True when the page is browsed on the tool's host: its iframe is then not cross-site."""
    tool_base = (current_app.config.get("BASE_URL") or "").split("://")[-1].rstrip("/")
    return bool(tool_base) and request.host == tool_base


def _message(status: int, title: str, text: str):
    return render_template("sandbox/message.html", title=title, text=text,
                           course_url=platform.url("/")), status
