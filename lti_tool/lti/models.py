"""What the tool stores about platforms: registrations, deployments, the links that let a
platform register itself, its own keys, launch state shared by every worker, and cached
service access tokens."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import Model
from lti_tool.timeutil import utcnow


class Platform(Model):
    """One registration of the tool in an LMS: an (issuer, client_id) pair and its endpoints."""

    __tablename__ = "lti_platform"
    __table_args__ = (sa.UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(sa.String(255))
    client_id: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    auth_login_url: Mapped[str] = mapped_column(sa.String(1024))
    auth_token_url: Mapped[str] = mapped_column(sa.String(1024))
    auth_audience: Mapped[str | None] = mapped_column(sa.String(1024))
    key_set_url: Mapped[str] = mapped_column(sa.String(1024))
    product_family: Mapped[str] = mapped_column(sa.String(64), default="")
    registered_via: Mapped[str] = mapped_column(sa.String(16), default="manual")
    # LMS role name -> Pairwise role ("NonEditingTeacher": "mentor"), set by the administrator
    # (lti/roles.py `mapped_role`); empty: the defaults.
    role_mapping: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    deployments: Mapped[list["Deployment"]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )

    @property
    def deployment_ids(self) -> list[str]:
        return [d.deployment_id for d in self.deployments]

    def __repr__(self) -> str:
        return f"<Platform {self.issuer} client={self.client_id}>"


class Deployment(Model):
    """A deployment id of a platform (Moodle: the tool type id, the same in every course)."""

    __tablename__ = "lti_deployment"
    __table_args__ = (sa.UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("lti_platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(sa.String(255))

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class RegistrationLink(Model):
    """A single-use, expiring link an administrator gives an LMS admin for dynamic
    registration (`/lti/register/<secret>`). Only a hash of the secret is kept: the link is
    shown once, when it is made. `platform_id` is the registration it created."""

    __tablename__ = "lti_registration_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(255), default="")
    # The platform the link is meant for (its issuer); None: any platform.
    expected_issuer: Mapped[str | None] = mapped_column(sa.String(255))
    created_by: Mapped[str] = mapped_column(sa.String(64), default="admin")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    platform_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("lti_platform.id", ondelete="SET NULL"))

    platform: Mapped[Platform | None] = relationship()


class ToolKey(Model):
    """An RSA key pair the tool signs with. The newest unretired key signs; retired keys stay
    in the JWKS until their grace period ends."""

    __tablename__ = "lti_tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(sa.Text)
    public_pem: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class LaunchData(Model):
    """Key-value store behind pylti1p3's LaunchDataStorage: OIDC state, nonces, launch data.
    In the database so that login, launch and later requests may hit different workers."""

    __tablename__ = "lti_launch_data"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)


class AccessToken(Model):
    """An OAuth2 access token for platform services, cached per registration and scope set."""

    __tablename__ = "lti_access_token"
    __table_args__ = (sa.UniqueConstraint("platform_id", "scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("lti_platform.id", ondelete="CASCADE"))
    scope_key: Mapped[str] = mapped_column(sa.String(64))
    token: Mapped[str] = mapped_column(sa.Text)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
