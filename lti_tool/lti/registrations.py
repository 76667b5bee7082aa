"""Registering platforms (manual, CLI and dynamic registration all end here) and the URLs an
LMS admin pastes into the platform."""

from dataclasses import dataclass, field
from types import MappingProxyType

from flask import current_app, request, url_for
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from lti_tool.extensions import db
from lti_tool.lti import caches, issuers
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


@dataclass(frozen=True)
class Registered:
    """What a launch needs of a registration, read once and cached per process
    (lti/caches.py): no ORM object, so it outlives the request that read it."""

    id: int
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None
    key_set_url: str
    product_family: str
    role_mapping: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    # deployment id -> the Deployment row's id
    deployments: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def deployment_ids(self) -> list[str]:
        return list(self.deployments)

    @classmethod
    def of(cls, platform: Platform) -> "Registered":
        return cls(id=platform.id, issuer=platform.issuer, client_id=platform.client_id,
                   auth_login_url=platform.auth_login_url,
                   auth_token_url=platform.auth_token_url,
                   auth_audience=platform.auth_audience, key_set_url=platform.key_set_url,
                   product_family=platform.product_family or "",
                   role_mapping=MappingProxyType(dict(platform.role_mapping or {})),
                   deployments=MappingProxyType({d.deployment_id: d.id
                                                 for d in platform.deployments}))


def registration(issuer: str, client_id: str | None) -> Registered | None:
    """`find_platform`'s answer as a `Registered`, from this process's cache when it has it.
    The key is exactly (issuer, client_id): one platform's entry never answers for another.
    Unknown pairs are not cached (anyone may send any issuer)."""
    cache = caches.cache("registrations", size=512)
    key = (issuer, client_id)
    found = cache.get(key)
    if found is None:
        read_at = caches.generation()
        platform = _find_platform_with_deployments(issuer, client_id)
        if platform is None:
            return None
        found = Registered.of(platform)
        if not caches.uncommitted_change(db.session):
            cache.put(key, found, read_at=read_at)
    return found


def _find_platform_with_deployments(issuer: str, client_id: str | None) -> Platform | None:
    query = db.select(Platform).where(Platform.issuer == issuer) \
        .options(selectinload(Platform.deployments))
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
