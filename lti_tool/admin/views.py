"""The admin pages: sign in with the admin token, make registration links for dynamic
registration, register and change platforms by hand, and read the URLs and keys an LMS admin
pastes into the platform ("Configure a tool manually"). Every change is in the audit log."""

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

from lti_tool.admin.forms import (
    AdminSignInForm,
    PlatformForm,
    RegistrationLinkForm,
    RoleMappingForm,
)
from lti_tool.courses.forms import ConfirmForm
from lti_tool.extensions import db
from lti_tool.lti import keys, registration_links
from lti_tool.lti.context import SUBSTITUTIONS
from lti_tool.lti.models import Platform
from lti_tool.lti.registrations import (
    PlatformDetails,
    RegistrationError,
    all_platforms,
    save_platform,
    tool_urls,
)
from lti_tool.lti.roles import format_mapping
from lti_tool.security import audit
from lti_tool.web.forms import required
from lti_tool.web.sessions import this_session
from lti_tool.web.tokens import end_session

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
            this_session().regenerate()
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
    return _index_page(PlatformForm())


def _index_page(form: PlatformForm, link_form: RegistrationLinkForm | None = None,
                status: int = 200):
    return render_template(
        "admin/index.html", platforms=all_platforms(), form=form, confirm=ConfirmForm(),
        link_form=link_form or RegistrationLinkForm(), links=registration_links.recent(),
        link_status=registration_links.status, urls=tool_urls(),
        linked=registration_links.linked_platform_ids()), status


@blueprint.post("/platforms")
@admin_required
def add_platform():
    form = PlatformForm()
    if form.validate_on_submit() and _save(form):
        return redirect(url_for("admin.index"), code=303)
    return _index_page(form, status=400)


@blueprint.route("/platforms/<int:platform_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_platform(platform_id: int):
    """Change a registration's endpoints, keys URL, name or deployments: only here or with
    the CLI, never through dynamic registration."""
    platform = db.get_or_404(Platform, platform_id)
    form = PlatformForm(obj=platform, deployment_ids="\n".join(platform.deployment_ids))
    if request.method == "POST":
        # The registration is (issuer, client id): those two are not changed here.
        form.issuer.data, form.client_id.data = platform.issuer, platform.client_id
        if form.validate_on_submit() and _save(form, platform):
            return redirect(url_for("admin.index"), code=303)
    return _edit_page(platform, form)


def _edit_page(platform: Platform, form: PlatformForm,
               roles_form: RoleMappingForm | None = None):
    roles_form = roles_form or RoleMappingForm(
        role_mapping=format_mapping(platform.role_mapping))
    return render_template("admin/platform_edit.html", platform=platform, form=form,
                           roles_form=roles_form), \
        400 if form.errors or roles_form.errors else 200


@blueprint.post("/platforms/<int:platform_id>/roles")
@admin_required
def map_roles(platform_id: int):
    """Which Pairwise role each LMS role of this platform gives (courses/roles.py); the next
    launch or roster sync of each person applies it."""
    platform = db.get_or_404(Platform, platform_id)
    form = RoleMappingForm()
    if not form.validate_on_submit():
        return _edit_page(platform, _platform_form(platform), form)
    before, after = dict(platform.role_mapping or {}), form.mapping()
    if before != after:
        platform.role_mapping = after
        audit.record("platform.roles_mapped", platform=platform,
                     target=f"{platform.issuer} client {platform.client_id}", via="admin",
                     changes={"role_mapping": [before, after]})
        db.session.commit()
    flash(_("Saved the role mapping of %(name)s.", name=platform.name), "success")
    return redirect(url_for("admin.edit_platform", platform_id=platform.id), code=303)


def _platform_form(platform: Platform) -> PlatformForm:
    return PlatformForm(obj=platform, deployment_ids="\n".join(platform.deployment_ids),
                        formdata=None)


def _save(form: PlatformForm, existing: Platform | None = None) -> bool:
    """Create or update a registration from the form, audited; False with the form's errors
    filled in when it cannot be stored."""
    details = _details(form)
    if existing is not None:
        details.issuer, details.client_id = existing.issuer, existing.client_id
    try:
        platform, changes = save_platform(details, replace_deployments=existing is not None)
    except RegistrationError as exc:
        db.session.rollback()
        form.issuer.errors = [*form.issuer.errors, str(exc)]
        return False
    audit.registration_saved(platform, changes, via="admin")
    db.session.commit()
    log.info("platform %s by the admin: iss=%s client_id=%s changes=%s",
             "registered" if changes is None else "updated", platform.issuer,
             platform.client_id, sorted(changes or {}))
    flash(_("Saved %(name)s.", name=platform.name), "success")
    return True


def _details(form: PlatformForm) -> PlatformDetails:
    return PlatformDetails(
        issuer=form.issuer.data.strip().rstrip("/"),
        client_id=required(form.client_id.data).strip(),
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


@blueprint.post("/registration-links")
@admin_required
def create_registration_link():
    """A single-use link for an LMS admin's dynamic registration, shown once."""
    form = RegistrationLinkForm()
    if not form.validate_on_submit():
        return _index_page(PlatformForm(), link_form=form, status=400)
    try:
        issued = registration_links.issue(label=form.label.data or "",
                                          expected_issuer=form.expected_issuer.data,
                                          hours=form.hours.data, created_by="admin")
    except ValueError as exc:  # an issuer the link could never match, or a bad lifetime
        db.session.rollback()
        form.expected_issuer.errors = [*form.expected_issuer.errors, str(exc)]
        return _index_page(PlatformForm(), link_form=form, status=400)
    audit.record("registration_link.created", target=f"registration link {issued.link.id}",
                 via="admin", label=issued.link.label,
                 expected_issuer=issued.link.expected_issuer,
                 expires_at=issued.link.expires_at.isoformat())
    db.session.commit()
    log.info("registration link %s made by the admin", issued.link.id)
    response = current_app.make_response(render_template(
        "admin/registration_link.html", link=issued.link, url=issued.url))
    response.headers["Cache-Control"] = "no-store"  # the secret is shown once
    return response


@blueprint.post("/registration-links/<int:link_id>/withdraw")
@admin_required
def withdraw_registration_link(link_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    link = registration_links.withdraw(link_id)
    if link is None:
        abort(404)
    audit.record("registration_link.withdrawn", target=f"registration link {link.id}",
                 via="admin", label=link.label)
    db.session.commit()
    flash(_("The registration link was withdrawn."), "success")
    return redirect(url_for("admin.index"), code=303)
