"""Registering platforms (manual, CLI and dynamic registration all end here) and the URLs an
LMS admin pastes into the platform."""

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import gettext

from lti_tool.extensions import db
from lti_tool.lti import issuers
from lti_tool.lti.models import Deployment, Platform


class RegistrationError(ValueError):
    """Registration data that cannot be stored; the message is shown to the admin."""


class RegistrationExists(RegistrationError):
    """A dynamic registration for an (issuer, client_id) that is already registered."""


@dataclass
class PlatformDetails:
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: tuple[str, ...] = ()
    name: str = ""
    auth_audience: str | None = None
    product_family: str = ""
    registered_via: str = "manual"


def register_platform(details: PlatformDetails) -> Platform:
    """Create or update the registration (issuer, client_id) and add its deployments: for
    administrators (admin page, CLI) and the sandbox. The caller commits."""
    return save_platform(details)[0]


def save_platform(details: PlatformDetails, replace_deployments: bool = False
                  ) -> tuple[Platform, dict[str, list] | None]:
    """`register_platform`, also returning what an update changed ({field: [old, new]}) for
    the audit log; None for a new registration. With `replace_deployments` the registration
    keeps exactly the deployments given (the admin's edit page), else they are added."""
    _check(details)
    platform = find_platform(details.issuer, details.client_id)
    before = describe(platform) if platform is not None else None
    if platform is None:
        platform = Platform(issuer=details.issuer, client_id=details.client_id,
                            registered_via=details.registered_via)
        db.session.add(platform)
    if replace_deployments:
        platform.deployments = [d for d in platform.deployments
                                if d.deployment_id in details.deployment_ids]
    _apply(platform, details)
    db.session.flush()
    if before is None:
        return platform, None
    after = describe(platform)
    return platform, {name: [before[name], after[name]] for name in after
                      if before[name] != after[name]}


def create_platform(details: PlatformDetails) -> Platform:
    """A new registration, never a change to an existing one: dynamic registration may add
    a platform but not replace the keys or endpoints of one already trusted. The caller
    commits."""
    _check(details)
    if find_platform(details.issuer, details.client_id) is not None:
        raise RegistrationExists(gettext(
            "The platform %(issuer)s already has a registration with client ID %(client_id)s. "
            "A dynamic registration never changes an existing one: the tool's administrator "
            "changes it on the tool's admin page.",
            issuer=details.issuer, client_id=details.client_id))
    platform = Platform(issuer=details.issuer, client_id=details.client_id,
                        registered_via=details.registered_via)
    db.session.add(platform)
    _apply(platform, details)
    db.session.flush()
    return platform


def describe(platform: Platform) -> dict:
    """What an administrator may change in a registration, for the audit log."""
    return {"name": platform.name, "auth_login_url": platform.auth_login_url,
            "auth_token_url": platform.auth_token_url, "key_set_url": platform.key_set_url,
            "auth_audience": platform.auth_audience,
            "deployment_ids": list(platform.deployment_ids)}


def _apply(platform: Platform, details: PlatformDetails) -> None:
    platform.name = details.name or platform.name or details.issuer
    platform.auth_login_url = details.auth_login_url
    platform.auth_token_url = details.auth_token_url
    platform.auth_audience = details.auth_audience or None
    platform.key_set_url = details.key_set_url
    platform.product_family = details.product_family or platform.product_family or ""
    for deployment_id in details.deployment_ids:
        add_deployment(platform, deployment_id)


def add_deployment(platform: Platform, deployment_id: str) -> None:
    deployment_id = deployment_id.strip()
    if deployment_id and deployment_id not in platform.deployment_ids:
        platform.deployments.append(Deployment(deployment_id=deployment_id))


def find_platform(issuer: str, client_id: str | None) -> Platform | None:
    """The registration for (issuer, client_id); without a client_id, the issuer's only one."""
    query = db.select(Platform).where(Platform.issuer == issuer)
    if client_id:
        return db.session.scalars(query.where(Platform.client_id == client_id)).first()
    candidates = db.session.scalars(query.limit(2)).all()
    return candidates[0] if len(candidates) == 1 else None


def all_platforms() -> list[Platform]:
    return list(db.session.scalars(db.select(Platform).order_by(Platform.id)))


def _check(details: PlatformDetails) -> None:
    for label, value in (
        (gettext("issuer"), details.issuer),
        (gettext("client id"), details.client_id),
        (gettext("login (OIDC auth) URL"), details.auth_login_url),
        (gettext("access token URL"), details.auth_token_url),
        (gettext("public keyset (JWKS) URL"), details.key_set_url),
    ):
        if not isinstance(value, str) or not value.strip():
            raise RegistrationError(gettext("The %(label)s is required.", label=label))
    for label, value, limit in (
        (gettext("issuer"), details.issuer, 255), (gettext("client id"), details.client_id, 255),
        (gettext("login URL"), details.auth_login_url, 1024),
        (gettext("access token URL"), details.auth_token_url, 1024),
        (gettext("JWKS URL"), details.key_set_url, 1024),
        (gettext("token audience"), details.auth_audience or "", 1024),
        *((gettext("deployment ID"), d, 255) for d in details.deployment_ids),
    ):
        if len(value) > limit:
            raise RegistrationError(gettext("The %(label)s is longer than %(limit)d characters.",
                                            label=label, limit=limit))
    https_only = issuers.https_required()
    for label, url in (
        (gettext("issuer"), details.issuer),
        (gettext("login URL"), details.auth_login_url),
        (gettext("access token URL"), details.auth_token_url),
        (gettext("JWKS URL"), details.key_set_url),
    ):
        try:
            issuers.parse(url, https_only=https_only)
        except issuers.IssuerMismatch as exc:
            raise RegistrationError(gettext("The %(label)s %(url)s is refused: %(reason)s",
                                            label=label, url=repr(url), reason=exc)) from exc


def base_url() -> str:
    """The tool's public base URL: configured, or taken from the current request."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    return request.url_root.rstrip("/")


def tool_urls() -> dict[str, str]:
    """Every URL an LMS admin needs, absolute, from the configured base URL."""
    base = base_url()
    paths = {
        "login_url": url_for("lti.login"),
        "launch_url": url_for("lti.launch"),
        "deep_linking_url": url_for("lti.launch"),
        "jwks_url": url_for("lti.jwks"),
        "icon_url": url_for("static", filename="pairwise-icon.svg"),
    }
    return {name: base + path for name, path in paths.items()}
