"""LTI Advantage clients for work done outside a launch (background jobs, staff actions):
Names and Role Provisioning and Assignment and Grade Services, built on pylti1p3's service
classes over `ToolServiceConnector` from what a launch stored on the course and the link.

The protocol layer knows no course or program: it reads what it needs from objects shaped
like `ServiceContext` and `ServiceLink` (the courses' Course and ResourceLink are)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask_babel import gettext
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService

from lti_tool.lti.connector import ToolServiceConnector
from lti_tool.lti.dynamic_registration import AGS_SCOPES
from lti_tool.lti.models import Platform
from lti_tool.lti.tool_conf import ToolRegistration
from lti_tool.timeutil import utcnow

PARTICIPATION_TAG = "pairwise-participation"


class ServiceContext(Protocol):
    """A course as NRPS sees it: its platform and the memberships URL a launch gave."""

    platform: Platform
    nrps_url: str | None


class Activity(Protocol):
    """What a line item is made from: the program's key, title and maximum score."""

    key: str
    title: str
    score_maximum: int


class ServiceLink(Protocol):
    """A resource link as AGS sees it: the line-item URLs and scopes a launch gave."""

    link_id: str
    title: str
    ags_lineitem_url: str | None
    ags_lineitems_url: str | None
    ags_scopes: list[str]

    @property
    def course(self) -> ServiceContext: ...

    @property
    def program(self) -> Activity | None: ...


class ServiceUnavailable(Exception):
    """The platform did not give this course or link the service (not enabled by the admin)."""


def connector_for(platform: Platform) -> ToolServiceConnector:
    return ToolServiceConnector(ToolRegistration(platform))


def roster_service(course: ServiceContext) -> NamesRolesProvisioningService:
    if not course.nrps_url:
        raise ServiceUnavailable(
            gettext("The platform did not enable Names and Role Provisioning."))
    return NamesRolesProvisioningService(
        connector_for(course.platform), {"context_memberships_url": course.nrps_url}
    )


def grades_service(link: ServiceLink) -> AssignmentsGradesService:
    if not (link.ags_lineitem_url or link.ags_lineitems_url):
        raise ServiceUnavailable(
            gettext("The platform did not enable Assignment and Grade Services."))
    endpoint = {"scope": list(link.ags_scopes) or AGS_SCOPES}
    if link.ags_lineitems_url:
        endpoint["lineitems"] = link.ags_lineitems_url
    if link.ags_lineitem_url:
        endpoint["lineitem"] = link.ags_lineitem_url
    return AssignmentsGradesService(connector_for(link.course.platform), endpoint)


@dataclass(frozen=True)
class Score:
    user_id: str
    score_given: float | None
    score_maximum: float
    activity_progress: str = "InProgress"
    grading_progress: str = "FullyGraded"
    comment: str = ""
    timestamp: datetime | None = None

    def as_grade(self) -> Grade:
        grade = (
            Grade()
            .set_user_id(self.user_id)
            .set_score_maximum(self.score_maximum)
            .set_activity_progress(self.activity_progress)
            .set_grading_progress(self.grading_progress)
            # Milliseconds: Moodle refuses (409) a score not later than the stored one.
            .set_timestamp((self.timestamp or utcnow()).isoformat(timespec="milliseconds"))
        )
        if self.score_given is not None:
            grade.set_score_given(self.score_given)
        if self.comment:
            grade.set_comment(self.comment)
        return grade


def participation_lineitem(link: ServiceLink) -> LineItem:
    """The link's line item: the one the platform named in the launch (deep linking created
    it), else found by tag or created once."""
    if link.ags_lineitem_url:
        return LineItem({"id": link.ags_lineitem_url})
    program = link.program
    wanted = (
        LineItem()
        .set_tag(PARTICIPATION_TAG)
        .set_resource_link_id(link.link_id)
        .set_resource_id(program.key if program else link.link_id)
        .set_label(program.title if program else link.title or "Mentoring participation")
        .set_score_maximum(program.score_maximum if program else 100)
    )
    found = grades_service(link).find_or_create_lineitem(
        wanted,
        condition=lambda item: item.get("tag") == PARTICIPATION_TAG
        and item.get("resourceLinkId") == link.link_id,
    )
    link.ags_lineitem_url = found.get_id()
    return found


def post_score(link: ServiceLink, score: Score) -> dict:
    """Send one score to the link's line item; returns pylti1p3's response dict."""
    service = grades_service(link)
    return service.put_grade(score.as_grade(), participation_lineitem(link))
