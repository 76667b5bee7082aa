"""Registering platforms (manual, CLI and dynamic registration all end here) and the URLs an
LMS admin pastes into the platform."""

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import gettext

from lti_tool.extensions import db
from lti_tool.lti.models import Deployment, Platform


class RegistrationError(ValueError):
    """Registration data that cannot be stored; the message is shown to the admin."""


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
    """Create or update the registration (issuer, client_id) and add its deployments.
    The caller commits."""
    _check(details)
    platform = find_platform(details.issuer, details.client_id)
    if platform is None:
        platform = Platform(issuer=details.issuer, client_id=details.client_id)
        db.session.add(platform)
    platform.name = details.name or platform.name or details.issuer
    platform.auth_login_url = details.auth_login_url
    platform.auth_token_url = details.auth_token_url
    platform.auth_audience = details.auth_audience or None
    platform.key_set_url = details.key_set_url
    platform.product_family = details.product_family or platform.product_family or ""
    platform.registered_via = details.registered_via
    for deployment_id in details.deployment_ids:
        add_deployment(platform, deployment_id)
    db.session.flush()
    return platform


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


def remove_platform(issuer: str, client_id: str) -> bool:
    platform = find_platform(issuer, client_id)
    if platform is None:
        return False
    db.session.delete(platform)
    return True


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
        if not value or not value.strip():
            raise RegistrationError(gettext("The %(label)s is required.", label=label))
    for label, url in (
        (gettext("issuer"), details.issuer),
        (gettext("login URL"), details.auth_login_url),
        (gettext("access token URL"), details.auth_token_url),
        (gettext("JWKS URL"), details.key_set_url),
    ):
        if not url.startswith(("https://", "http://")):
            raise RegistrationError(gettext("The %(label)s must be an http(s) URL: %(url)s.",
                                            label=label, url=repr(url)))


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
        "registration_url": url_for("lti.dynamic_registration"),
        "icon_url": url_for("static", filename="pairwise-icon.svg"),
    }
    return {name: base + path for name, path in paths.items()}
