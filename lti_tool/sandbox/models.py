"""What the sandbox LMS stores (tables prefixed `sandbox_`): its signing key, the tools
registered with it, one demo course with its people, the activities deep linking created,
line items and scores, and the single-use tokens and nonces it has seen."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import Model
from lti_tool.timeutil import utcnow


class PlatformKey(Model):
    """The RSA key pair the sandbox signs id_tokens, access tokens and its own hints with."""

    __tablename__ = "sandbox_platform_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(sa.Text)
    public_pem: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class ToolRegistration(Model):
    """A tool as the platform sees it (Moodle: an LTI tool type). Its id is the tool type id,
    which is also the deployment id and the `type_id` of service URLs."""

    __tablename__ = "sandbox_tool_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    deployment_id: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    login_url: Mapped[str] = mapped_column(sa.String(1024))
    launch_url: Mapped[str] = mapped_column(sa.String(1024))
    deep_linking_url: Mapped[str] = mapped_column(sa.String(1024))
    jwks_url: Mapped[str] = mapped_column(sa.String(1024))
    redirect_uris: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Tool-level custom parameters (Moodle: the tool's "Custom parameters" box).
    custom: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    # "setup" (the CLI registered it) or "dynamic" (LTI Dynamic Registration).
    source: Mapped[str] = mapped_column(sa.String(16), default="setup")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class User(Model):
    """A person of the LMS; ids are strings of numbers, as Moodle's user ids."""

    __tablename__ = "sandbox_user"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(100), unique=True)
    given_name: Mapped[str] = mapped_column(sa.String(100))
    family_name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(255))

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Course(Model):
    __tablename__ = "sandbox_course"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(100))
    title: Mapped[str] = mapped_column(sa.String(255))

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="course", order_by="Membership.id", cascade="all, delete-orphan"
    )


class Membership(Model):
    """A person's enrolment in the course with a short LIS role name (`Learner`, `Mentor`…)."""

    __tablename__ = "sandbox_membership"
    __table_args__ = (sa.UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(sa.ForeignKey("sandbox_course.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("sandbox_user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(64))
    groups: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # course group ids

    course: Mapped[Course] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class Activity(Model):
    """A resource link placed in the course by deep linking; its id is the resource link id."""

    __tablename__ = "sandbox_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(sa.ForeignKey("sandbox_course.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sandbox_tool_registration.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(sa.String(255))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    url: Mapped[str] = mapped_column(sa.String(1024))
    custom: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    course: Mapped[Course] = relationship()
    registration: Mapped[ToolRegistration] = relationship()
    lineitems: Mapped[list["LineItem"]] = relationship(
        back_populates="activity", order_by="LineItem.id"
    )

    @property
    def lineitem(self) -> "LineItem | None":
        """The activity's own grade item (the one deep linking asked for), if any."""
        return next((item for item in self.lineitems if item.is_primary), None)


class LineItem(Model):
    """A gradebook column. `is_primary` marks an activity's own grade item; tool-created line
    items are manual items, optionally tied to an activity (`resourceLinkId`)."""

    __tablename__ = "sandbox_lineitem"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(sa.ForeignKey("sandbox_course.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sandbox_tool_registration.id", ondelete="CASCADE")
    )
    activity_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sandbox_activity.id", ondelete="SET NULL")
    )
    is_primary: Mapped[bool] = mapped_column(default=False)
    label: Mapped[str] = mapped_column(sa.String(255))
    score_maximum: Mapped[float] = mapped_column(sa.Float)
    tag: Mapped[str] = mapped_column(sa.String(255), default="")
    resource_id: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    activity: Mapped[Activity | None] = relationship(back_populates="lineitems")
    scores: Mapped[list["Score"]] = relationship(
        back_populates="lineitem", cascade="all, delete-orphan", passive_deletes=True
    )


class Score(Model):
    """The stored grade of one user on one line item (Moodle: a grade_grade row). `grade` is
    `scoreGiven` rescaled to the line item's maximum, or empty."""

    __tablename__ = "sandbox_score"
    __table_args__ = (sa.UniqueConstraint("lineitem_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lineitem_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sandbox_lineitem.id", ondelete="CASCADE")
    )
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("sandbox_user.id", ondelete="CASCADE"))
    score_given: Mapped[float | None] = mapped_column(sa.Float)
    score_maximum: Mapped[float] = mapped_column(sa.Float, default=1.0)
    grade: Mapped[float | None] = mapped_column(sa.Float)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # Whole seconds, as Moodle's timemodified.
    timestamp: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    activity_progress: Mapped[str] = mapped_column(sa.String(32))
    grading_progress: Mapped[str] = mapped_column(sa.String(32))

    lineitem: Mapped[LineItem] = relationship(back_populates="scores")
    user: Mapped[User] = relationship()


class RegistrationToken(Model):
    """A dynamic-registration bearer token the sandbox issued; usable once."""

    __tablename__ = "sandbox_registration_token"

    jti: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class UsedNonce(Model):
    """A nonce or jti already accepted (deep-linking responses, client assertions), kept
    until the token carrying it has expired, so that no token is accepted twice."""

    __tablename__ = "sandbox_used_nonce"

    value: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
