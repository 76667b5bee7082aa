"""People, courses and programs as the LMS presents them, scoped to one platform each."""

import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import Model
from lti_tool.lti.models import Deployment, Platform
from lti_tool.lti.roles import Role
from lti_tool.timeutil import utcnow


class Course(Model):
    """An LMS context (course section) on one platform."""

    __tablename__ = "course"
    __table_args__ = (sa.UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("lti_platform.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(sa.String(255))
    label: Mapped[str] = mapped_column(sa.String(255), default="")
    title: Mapped[str] = mapped_column(sa.String(255), default="")
    nrps_url: Mapped[str | None] = mapped_column(sa.String(1024))
    roster_synced_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    platform: Mapped[Platform] = relationship()
    enrolments: Mapped[list["Enrolment"]] = relationship(back_populates="course")


class Person(Model):
    """A user of one platform, identified by the platform's stable `sub`."""

    __tablename__ = "person"
    __table_args__ = (sa.UniqueConstraint("platform_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(sa.ForeignKey("lti_platform.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    given_name: Mapped[str] = mapped_column(sa.String(255), default="")
    family_name: Mapped[str] = mapped_column(sa.String(255), default="")
    email: Mapped[str] = mapped_column(sa.String(255), default="")
    username: Mapped[str] = mapped_column(sa.String(255), default="")
    locale: Mapped[str] = mapped_column(sa.String(35), default="")
    # The IANA zone of the person's LMS profile, when the platform expands the variable.
    timezone: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")

    @property
    def display_name(self) -> str:
        if name := self.name:  # the usual case first: staff pages ask hundreds of times
            return name
        given, family = self.given_name, self.family_name
        full = f"{given} {family}" if given and family else given or family
        return full or self.username or f"User {self.subject}"


class Enrolment(Model):
    """A person's membership of a course, with their LIS roles and the Pairwise role."""

    __tablename__ = "enrolment"
    __table_args__ = (sa.UniqueConstraint("course_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    # Stored as the readable value ("learner"), not the Python name.
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    # The roles of the last launch (or, until one, of the roster) ...
    lis_roles: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # ... and those the roster (NRPS) last listed; None: not listed yet (courses/roles.py).
    roster_roles: Mapped[list[str] | None] = mapped_column(sa.JSON)
    active: Mapped[bool] = mapped_column(default=True)
    # "launch": seen in a launch; "roster": only known from the NRPS membership list.
    source: Mapped[str] = mapped_column(sa.String(16), default="launch")
    last_launch_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # LMS group ids in this course, from the last launch; None: the platform never said.
    groups: Mapped[list[str] | None] = mapped_column(sa.JSON)

    course: Mapped[Course] = relationship(back_populates="enrolments")
    person: Mapped[Person] = relationship()


DEFAULT_TOPICS = (
    "Career paths", "Goal setting", "Leadership", "Communication", "Work-life balance",
    "Technical skills", "Networking", "Research", "Study skills", "Entrepreneurship",
)


def default_topics() -> list[str]:
    return list(DEFAULT_TOPICS)


def _new_program_key() -> str:
    return secrets.token_urlsafe(12)


class Program(Model):
    """A mentoring program, configured by staff when they add the activity (deep linking)."""

    __tablename__ = "program"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    # Sent to the platform as a custom parameter; comes back on every launch of the link.
    key: Mapped[str] = mapped_column(sa.String(32), unique=True, default=_new_program_key)
    title: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    score_maximum: Mapped[int] = mapped_column(default=100)
    meeting_minutes: Mapped[int] = mapped_column(default=45)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # Matching settings (see lti_tool/intake and lti_tool/pairs).
    topics: Mapped[list[str]] = mapped_column(sa.JSON, default=default_topics)
    # Where mentors come from: any of "designated", "lms_role", "volunteer".
    mentor_sources: Mapped[list[str]] = mapped_column(
        sa.JSON, default=lambda: ["designated", "lms_role", "volunteer"]
    )
    default_capacity: Mapped[int] = mapped_column(default=2)
    max_capacity: Mapped[int] = mapped_column(default=5)
    weights: Mapped[dict[str, float]] = mapped_column(sa.JSON, default=dict)
    constraints: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    policy: Mapped[str] = mapped_column(sa.String(16), default="optimal")
    # Mentee choice: mentees see their top recommendations and request a mentor, who
    # accepts or declines within `request_days`.
    mentee_choice: Mapped[bool] = mapped_column(default=False)
    request_days: Mapped[int] = mapped_column(default=7)
    # How long a relationship runs before it is due to complete (staff may extend a pair).
    term_weeks: Mapped[int] = mapped_column(default=12, server_default="12")
    # Delete the pairs' private writing this many days after the program ended (None: keep);
    # see lti_tool/privacy/retention.py for when a program has ended.
    retention_days: Mapped[int | None] = mapped_column()

    course: Mapped[Course] = relationship()


class ResourceLink(Model):
    """A placement of the tool in a course, with the service endpoints the platform gave it,
    kept for background calls (grades, roster) made outside any launch."""

    __tablename__ = "resource_link"
    __table_args__ = (sa.UniqueConstraint("course_id", "link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("lti_deployment.id", ondelete="CASCADE")
    )
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("program.id"))
    link_id: Mapped[str] = mapped_column(sa.String(255))
    title: Mapped[str] = mapped_column(sa.String(255), default="")
    ags_lineitems_url: Mapped[str | None] = mapped_column(sa.String(1024))
    ags_lineitem_url: Mapped[str | None] = mapped_column(sa.String(1024))
    ags_scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    custom: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Where the LMS's own pages are (its web root), from the last launch's return_url when
    # that lies on the issuer's origin; None: not known (lti_tool/courses/landing.py).
    lms_web_root: Mapped[str | None] = mapped_column(sa.String(1024))

    course: Mapped[Course] = relationship()
    deployment: Mapped[Deployment] = relationship()
    program: Mapped[Program | None] = relationship()


# --- Landing: e-mail links that go through the LMS (lti_tool/courses/landing.py) ----------------

class LaunchedLink(Model):
    """When a person last launched a resource link: an e-mail's link sends them back to the
    activity they use."""

    __tablename__ = "courses_launched_link"
    __table_args__ = (sa.UniqueConstraint("person_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int] = mapped_column(
        sa.ForeignKey("resource_link.id", ondelete="CASCADE"))
    launched_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class PendingLanding(Model):
    """The page a person asked for by following an e-mail's link (`/go/...`), waiting for
    their next launch of the program (or, without one, of the course): one per person, used
    once, followed only for a few minutes (LANDING_SECONDS)."""

    __tablename__ = "courses_pending_landing"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"),
                                           unique=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"))
    program_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("program.id", ondelete="CASCADE"))
    destination: Mapped[str] = mapped_column(sa.String(1024))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
