"""The admin pages: sign in with the admin token, register platforms by hand, and read the
URLs and keys an LMS admin pastes into the platform ("Configure a tool manually")."""

import functools
import hmac
import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from lti_tool.admin.forms import AdminSignInForm, PlatformForm
from lti_tool.courses.forms import ConfirmForm
from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.context import SUBSTITUTIONS
from lti_tool.lti.models import Platform
from lti_tool.lti.registrations import (
    PlatformDetails,
    RegistrationError,
    all_platforms,
    register_platform,
    tool_urls,
)
from lti_tool.security import audit
from lti_tool.web.auth import end_session

log = logging.getLogger(__name__)
blueprint = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not session.get("is_admin"):
            return redirect(url_for("admin.sign_in", next=request.path))
        return view(*args, **kwargs)

    return wrapped


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = AdminSignInForm()
    expected = current_app.config.get("ADMIN_TOKEN") or ""
    if form.validate_on_submit():
        if expected and hmac.compare_digest(form.token.data.encode(), expected.encode()):
            session.regenerate()
            session["is_admin"] = True
            audit.record("admin.signed_in", target="admin pages", via="admin")
            db.session.commit()
            log.info("admin signed in from %s", request.remote_addr)
            return redirect(_safe_next(), code=303)
        log.warning("admin sign-in refused from %s", request.remote_addr)
        flash(_("That token is not right."), "error")
        return render_template("admin/sign_in.html", form=form), 401
    return render_template("admin/sign_in.html", form=form)


def _safe_next() -> str:
    target = request.args.get("next", "")
    return target if target.startswith("/admin") else url_for("admin.index")


@blueprint.post("/sign-out")
def sign_out():
    """Ends the admin session: its row and cookie are gone when the response is saved."""
    if session.get("is_admin"):
        audit.record("admin.signed_out", target="admin pages", via="admin")
        db.session.commit()
        log.info("admin signed out from %s", request.remote_addr)
    end_session()
    return render_template("signed_out.html", admin=True)


@blueprint.get("/")
@admin_required
def index():
    return render_template("admin/index.html", platforms=all_platforms(), form=PlatformForm(),
                           confirm=ConfirmForm(), urls=tool_urls())


@blueprint.post("/platforms")
@admin_required
def add_platform():
    form = PlatformForm()
    if form.validate_on_submit():
        try:
            platform = register_platform(_details(form))
        except RegistrationError as exc:
            db.session.rollback()
            form.issuer.errors.append(str(exc))
        else:
            audit.record("platform.registered", platform=platform,
                         target=f"{platform.issuer} client {platform.client_id}", via="admin",
                         deployment_ids=platform.deployment_ids)
            db.session.commit()
            log.info("platform registered manually: iss=%s client_id=%s", platform.issuer,
                     platform.client_id)
            flash(_("Registered %(name)s.", name=platform.name), "success")
            return redirect(url_for("admin.index"), code=303)
    return render_template("admin/index.html", platforms=all_platforms(), form=form,
                           confirm=ConfirmForm(), urls=tool_urls()), 400


def _details(form: PlatformForm) -> PlatformDetails:
    return PlatformDetails(
        issuer=form.issuer.data.strip().rstrip("/"),
        client_id=form.client_id.data.strip(),
        auth_login_url=form.auth_login_url.data.strip(),
        auth_token_url=form.auth_token_url.data.strip(),
        key_set_url=form.key_set_url.data.strip(),
        auth_audience=(form.auth_audience.data or "").strip() or None,
        deployment_ids=form.deployment_list(),
        name=(form.name.data or "").strip(),
    )


@blueprint.post("/platforms/<int:platform_id>/remove")
@admin_required
def remove_platform(platform_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    platform = db.get_or_404(Platform, platform_id)
    audit.record("platform.removed", platform=platform.id,
                 target=f"{platform.issuer} client {platform.client_id}", via="admin",
                 name=platform.name)
    db.session.delete(platform)
    db.session.commit()
    log.info("platform removed: iss=%s client_id=%s", platform.issuer, platform.client_id)
    flash(_("Removed %(name)s.", name=platform.name), "success")
    return redirect(url_for("admin.index"), code=303)


@blueprint.get("/tool-config")
@admin_required
def tool_config():
    keys.ensure_key()
    return render_template("admin/tool_config.html", urls=tool_urls(), jwks=keys.jwks(),
                           custom_parameters=SUBSTITUTIONS,
                           public_pem=keys.signing_key().public_pem)
