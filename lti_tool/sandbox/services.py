"""The LTI Advantage services (AGS and NRPS) as subclasses of lti1p3platform's
`AssignmentsGradesService` and `NamesRoleProvisioningService`, implementing their abstract
storage methods against the sandbox tables (`grades`, `lms`).

The library's handlers stay in charge of authentication and the response shape; these
subclasses wrap them to fix its paging (integers, merged queries, quoted `Link`: see
`paging`), to check what it does not (request JSON, media types) and to send the `Link`
headers Moodle sends. A view calls `service.handle_resp(service.handle_…)` and passes the
result and `service.link` to `adapter.flask_response`.
"""

import functools
from typing import Any

from lti1p3platform.exceptions import LineItemNotFoundException, LtiServiceException
from lti1p3platform.membership import Context
from lti1p3platform.response import Response
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
    TPage,
)

from lti_tool.sandbox import grades, lms, paging
from lti_tool.sandbox.models import Course, Membership
from lti_tool.sandbox.platform import AGS_SCOPES

LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


def _service_error(exc: grades.GradeError) -> Exception:
    """The library's exception for a gradebook refusal: its handlers answer 404 for a
    `LineItemNotFoundException`, and `handle_resp` the status of an `LtiServiceException`."""
    if exc.status == 404:
        return LineItemNotFoundException(exc.message)
    return LtiServiceException(exc.message, exc.status)


def _grade_errors(method):
    @functools.wraps(method)
    def wrapped(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except grades.GradeError as exc:
            raise _service_error(exc) from exc

    return wrapped


class _Paged:
    """Paging shared by the collection handlers (see `paging` for the library's bugs)."""

    request: Any
    request_url: str
    link: str | None = None

    def _prepare_paging(self) -> paging.Paging:
        try:
            self.paging = paging.parse(self.request.get_data)
        except paging.PagingError as exc:
            raise LtiServiceException(str(exc), 400) from exc
        data = self.request.request["get_data"]
        # The library computes `page + 1` on these: give it numbers, not the query strings.
        data["page"] = self.paging.page
        if self.paging.limit:
            data["limit"] = self.paging.limit
        return self.paging

    @staticmethod
    def _drop_library_next(result: Response) -> None:
        # The library's next URL appends "?…" to a base with a query; ours is in `link`.
        if isinstance(result.result, dict):
            result.result.pop("next", None)


class SandboxGradesService(_Paged, AssignmentsGradesService):
    """AGS line items, scores and results of one course for one tool."""

    def __init__(self, request, platform_config, course: Course, request_url: str,
                 lineitem_url: str | None = None):
        tool = platform_config.tool
        super().__init__(request, platform_config, grades.lineitems_url(course.id, tool),
                         lineitem_url)
        self.course, self.tool, self.request_url = course, tool, request_url
        self.paging = paging.Paging()
        self.total = 0
        self.has_next = False

    @property
    def allowed_scopes(self) -> list[str]:
        # The library leaves lineitem.readonly out when creating is allowed; each view checks
        # the exact scope its operation needs (adapter.authorize).
        return list(AGS_SCOPES)

    # --- storage (the library's abstract methods) ---

    def find_lineitems(self, page: int = 1, limit: int | None = None, **filters: Any) -> TPage:
        items = grades.find_lineitems(self.course.id, self.tool, self.request.get_data)
        chunk, self.has_next = self.paging.cut(items)
        self.total = len(items)
        return {"content": [grades.lineitem_json(i) for i in chunk], "has_next": self.has_next}

    @_grade_errors
    def find_lineitem(self, line_item_id: str) -> dict[str, Any]:
        return grades.lineitem_json(self._item(line_item_id))

    @_grade_errors
    def create_lineitem(self, creation_data: dict[str, Any]) -> dict[str, Any]:
        item = grades.create_lineitem(self.course.id, self.tool, creation_data)
        return grades.lineitem_json(item)

    @_grade_errors
    def update_lineitem(self, update_data: dict[str, Any]) -> dict[str, Any]:
        item = grades.update_lineitem(self._item(update_data["id"]), update_data)
        return grades.lineitem_json(item)

    @_grade_errors
    def delete_lineitem(self, line_item_id: str) -> None:
        grades.delete_lineitem(self._item(line_item_id))

    def update_score(self, line_item_id: str, score: dict[str, Any]) -> UpdateScoreStatus:
        try:
            grades.record_score(self._item(line_item_id), score)
        except grades.GradeError as exc:
            if exc.status == 409:
                return UpdateScoreStatus.OLD_TIMESTAMP
            raise _service_error(exc) from exc
        return UpdateScoreStatus.SUCCESS

    @_grade_errors
    def get_results(self, line_item_id: str, page: int = 1, limit: int | None = None,
                    user_id: str | None = None, **_: Any) -> TPage:
        scores = grades.results(self._item(line_item_id), user_id)
        chunk, self.has_next = self.paging.cut(scores)
        return {"content": [grades.result_json(s) for s in chunk], "has_next": self.has_next}

    @_grade_errors
    def _item(self, line_item_id: Any):
        return grades.get_lineitem(self.course.id, self.tool, line_item_id)

    # --- handlers: the library's, with its gaps closed ---

    def handle_get_lineitems(self) -> Response:
        # Moodle answers 400 unless the Accept header is exactly the container type.
        if self.request.headers.get("Accept", "").strip() != LINEITEM_CONTAINER:
            raise LtiServiceException(f"Accept must be {LINEITEM_CONTAINER}", 400)
        self._prepare_paging()
        result = super().handle_get_lineitems()
        self._drop_library_next(result)
        self.link = paging.moodle_lineitems_link(self.request_url, self.paging, self.total)
        return result

    def handle_create_lineitem(self) -> Response:
        self._require_json(LINEITEM_TYPE)
        return super().handle_create_lineitem()

    def handle_update_lineitem(self, line_item_id: str) -> Response:
        self._require_json(LINEITEM_TYPE)
        return super().handle_update_lineitem(line_item_id)

    def handle_update_score(self, line_item_id: str) -> Response:
        self._require_json(SCORE_TYPE)
        return super().handle_update_score(line_item_id)

    def handle_get_results(self, line_item_id: str) -> Response:
        self._prepare_paging()
        result = super().handle_get_results(line_item_id)
        self._drop_library_next(result)
        self.link = paging.next_link(self.request_url, self.paging, self.has_next)
        return result

    def _require_json(self, media_type: str) -> None:
        # Moodle refuses a body of another type (400); the library would crash on no JSON.
        if self.request.content_type != media_type:
            raise LtiServiceException(f"Content-Type must be {media_type}", 400)
        if not isinstance(self.request.json, dict):
            raise LtiServiceException("The body must be a JSON object", 400)


class SandboxMembershipService(_Paged, NamesRoleProvisioningService):
    """NRPS context membership of one course, members as Moodle 5.1 lists them."""

    def __init__(self, request, platform_config, course: Course, memberships_url: str,
                 request_url: str):
        super().__init__(request, platform_config, memberships_url)
        self.course, self.tool, self.request_url = course, platform_config.tool, request_url
        self.paging = paging.Paging()
        self.has_next = False

    def get_context_by_id(self) -> Context:
        return Context(id=self.course.id, label=self.course.label, title=self.course.title)

    def is_resource_link_valid(self, context_id: str, resource_link_id: str) -> bool:
        activity = lms.get_activity(resource_link_id)
        return activity is not None and activity.course_id == context_id and \
            activity.registration_id == self.tool.id

    def get_member_data_page(self, page: int = 1, limit: int | None = None,
                             role: str | None = None, since: str | None = None,
                             **_: Any) -> TPage:
        people = [m for m in lms.members(self.course.id) if _has_role(m, role)]
        chunk, self.has_next = self.paging.cut(people)
        return {"content": [member_json(m) for m in chunk], "has_next": self.has_next}

    def handle_get_members(self) -> Response:
        self._prepare_paging()
        result = super().handle_get_members()
        self._drop_library_next(result)
        self.link = paging.next_link(self.request_url, self.paging, self.has_next)
        return result


def member_json(membership: Membership) -> dict[str, Any]:
    """A member as Moodle 5.1 lists it: short role names, unlike the id_token's URIs."""
    user = membership.user
    return {
        "status": "Active",
        "roles": [membership.role],
        "user_id": user.id,
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "ext_user_username": user.username,
        "lis_person_sourcedid": "",
    }


def _has_role(membership: Membership, role: str | None) -> bool:
    """NRPS `role` filter: a full URI or a short name; Instructor includes its sub-roles."""
    if not role:
        return True
    wanted = role.replace("/", "#").rsplit("#", 1)[-1]
    if wanted == lms.INSTRUCTOR:
        return membership.role in lms.STAFF_ROLES
    return membership.role == wanted
