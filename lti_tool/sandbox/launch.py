"""Launching the tool, as Moodle 5.1 does, on lti1p3platform's `OIDCLoginAbstract` and
`LTIAdvantageMessageLaunchAbstract` (LTI 1.3 core §4, Security Framework §5.1.1):

1. A course-page button opens `/sandbox/launch` in the iframe; `launch_form` builds the
   fields Moodle POSTs to the tool's login URL (iss, login_hint = the user id,
   target_link_uri, lti_message_hint, client_id, lti_deployment_id) and the page submits
   them: a cross-site auto-submitting POST. The message hint is a short-lived token the
   platform signs, naming the user and the activity (or a deep-linking request), so the
   platform needs no cookie to know what is being launched.
2. The tool redirects the browser to `/sandbox/auth` with its OIDC authentication request.
3. `SandboxMessageLaunch` checks that request (client_id, registered redirect_uri, the
   fixed OIDC values, the hint and that login_hint names the hint's user), then signs an
   id_token shaped like the Moodle fixtures (RS256 with kid, exp = iat + 60) and answers
   with a page that POSTs id_token and state to the redirect_uri.
"""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import render_template
from lti1p3platform.exceptions import PreflightRequestValidationException
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract

from lti_tool.sandbox import grades, lms, platform
from lti_tool.sandbox.adapter import SandboxPlatformConf
from lti_tool.sandbox.models import Activity, Course, ToolRegistration, User

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
BASIC_OUTCOME = "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"
ID_TOKEN_LIFETIME = 60  # Moodle's id_tokens live a minute
HINT_LIFETIME = 300
DEEP_LINKING_DATA_LIFETIME = 3600
OIDC_FIXED = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
              "prompt": "none"}


class LaunchError(Exception):
    """A launch the sandbox refuses; the message is shown in the iframe."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class LaunchTarget:
    """What a message hint names: who launches what."""

    tool: ToolRegistration
    course: Course
    user: User
    role: str
    activity: Activity | None
    deep_linking: bool


# --- 1. Login initiation --------------------------------------------------------------------

class SandboxOIDCLogin(OIDCLoginAbstract):
    """Third-party initiated login, as the form fields Moodle POSTs (not a redirect)."""

    def set_lti_message_hint(self, target: LaunchTarget | None = None, **_: Any) -> None:
        self._lti_message_hint = message_hint(target)

    def get_redirect(self, url: str) -> tuple[str, dict[str, str]]:
        # The library appends "?<params>" (or "&<params>") to the login URL for a GET; Moodle
        # POSTs them: the login URL is the form's action and the params its fields.
        login_url = self._registration.get_oidc_login_url()
        return login_url, dict(parse_qsl(url[len(login_url) + 1:], keep_blank_values=True))


def launch_form(user_id: str, activity_id: int | str | None = None,
                deep_linking: bool = False) -> tuple[str, dict[str, str]]:
    """(tool login URL, form fields) of a launch as `user_id`, exactly what the course page's
    buttons POST: of the activity, or a deep-linking request (instructors only)."""
    target = launch_target(str(user_id), activity_id, deep_linking)
    login = SandboxOIDCLogin(None, SandboxPlatformConf(tool=target.tool))
    if deep_linking:
        login.set_deeplinking_launch_url()
    else:
        login.set_launch_url(target.activity.url)
    login.set_lti_message_hint(target)
    return login.initiate_login(target.user.id)


def launch_target(user_id: str, activity_id: int | str | None,
                  deep_linking: bool) -> LaunchTarget:
    activity = None if deep_linking else lms.get_activity(activity_id)
    if not deep_linking and activity is None:
        raise LaunchError(f"There is no activity {activity_id}.", 404)
    course = activity.course if activity else lms.get_course(lms.COURSE_ID)
    tool = activity.registration if activity else platform.current_registration()
    if course is None or tool is None:
        raise LaunchError("Run `flask --app wsgi sandbox setup` first: no tool is registered.")
    membership = lms.membership(course.id, user_id)
    if membership is None:
        raise LaunchError(f"User {user_id} is not enrolled in {course.label}.", 403)
    if deep_linking and membership.role != lms.INSTRUCTOR:
        raise LaunchError("Only the course's instructor can add activities.", 403)
    return LaunchTarget(tool, course, membership.user, membership.role, activity, deep_linking)


def message_hint(target: LaunchTarget) -> str:
    return platform.sign({
        "sandbox_use": "message_hint",
        "aud": target.tool.client_id,
        "sub": target.user.id,
        "activity": target.activity.id if target.activity else None,
        "deep_linking": target.deep_linking,
    }, HINT_LIFETIME)


def read_hint(hint: str, tool: ToolRegistration, login_hint: str) -> LaunchTarget:
    try:
        claims = platform.verify(hint, "message_hint")
    except platform.TokenError as exc:
        raise LaunchError(f"The lti_message_hint is not valid ({exc}); launch again.") from exc
    if claims.get("aud") != tool.client_id:
        raise LaunchError("The lti_message_hint was issued for another tool.")
    if claims.get("sub") != login_hint:
        raise LaunchError("The login_hint does not match the lti_message_hint's user.")
    return launch_target(claims["sub"], claims.get("activity"), bool(claims.get("deep_linking")))


# --- 3. Authentication response: the id_token -----------------------------------------------

class SandboxMessageLaunch(LTIAdvantageMessageLaunchAbstract):
    """Answers the tool's OIDC authentication request with a signed id_token."""

    def __init__(self, request, platform_config: SandboxPlatformConf):
        super().__init__(request, platform_config)
        self.tool = platform_config.tool
        self.set_id_token_expiration(ID_TOKEN_LIFETIME)

    def validate_preflight_response(self, preflight_response: dict[str, Any]) -> None:
        try:
            super().validate_preflight_response(preflight_response)
        except PreflightRequestValidationException as exc:
            raise LaunchError("The authentication request needs nonce, state, redirect_uri "
                              "and this tool's client_id.") from exc
        # The library checks presence only: the redirect must go to the tool itself.
        if preflight_response["redirect_uri"] not in registered_redirects(self.tool):
            raise LaunchError("redirect_uri is not one of the tool's registered URLs.")
        for name, value in OIDC_FIXED.items():
            if preflight_response.get(name) != value:
                raise LaunchError(f"The authentication request must have {name}={value}.")

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        target = read_hint(preflight_response.get("lti_message_hint", ""), self.tool,
                           preflight_response.get("login_hint", ""))
        if target.activity:
            self.set_launch_url(target.activity.url)
        self._set_person(target)
        self._set_context(target)
        self._set_services(target)
        if target.deep_linking:
            self._set_deep_linking(target)
        else:
            self._set_resource_link(target)

    def get_launch_message(self, include_extra_claims: bool = True) -> dict[str, Any]:
        message = super().get_launch_message(include_extra_claims)
        message.pop("azp", None)  # Moodle sends none (aud is a single string)
        return message

    def render_launch_form(self, launch_data: dict[str, Any], **_: Any) -> str:
        fields = {"id_token": launch_data["id_token"], "state": launch_data["state"]}
        return render_template("sandbox/autosubmit.html", action=launch_data["launch_url"],
                               fields=fields, title="Launching the tool")

    def _set_person(self, target: LaunchTarget) -> None:
        user = target.user
        self.set_user_data(user.id, lms.role_uris(target.role), full_name=user.name,
                           email_address=user.email)
        self.set_extra_claims({
            "given_name": user.given_name,
            "family_name": user.family_name,
            LTI + "lis": {"person_sourcedid": "", "course_section_sourcedid": ""},
            LTI + "ext": {"user_username": user.username, "lms": platform.PRODUCT_FAMILY},
            LTI + "tool_platform": tool_platform_claim(),
        })

    @staticmethod
    def _substitute(value, target: LaunchTarget) -> str:
        """Moodle's variable substitution, for the variables the sandbox knows: the user's
        group ids in the course, and the profile time zone ("99", Moodle's "server zone",
        for users who never chose one). Unknown variables are sent unchanged, as Moodle does."""
        value = str(value)
        if value == "$Moodle.Person.userGroupIds":
            member = lms.membership(target.course.id, target.user.id)
            return ",".join(member.groups if member else [])
        if value == "$Person.address.timezone":
            return "99"
        return value

    def _set_context(self, target: LaunchTarget) -> None:
        course = target.course
        self.set_launch_context_claim(course.id, ["CourseSection"], course.title, course.label)
        # Tool-level parameters first, the activity's own override them (as in Moodle).
        given = {**(self.tool.custom or {}), **(target.activity.custom if target.activity else {})}
        custom = {name: self._substitute(value, target) for name, value in given.items()}
        if platform.NRPS_SCOPE in self.tool.scopes:
            custom["context_memberships_url"] = memberships_url(course, self.tool)
        self.set_custom_parameters_claim(custom)
        self.set_launch_presentation_claim("iframe", return_url(target))
        self.lti_claim_launch_presentation[LTI + "launch_presentation"]["locale"] = "en"

    def _set_services(self, target: LaunchTarget) -> None:
        ags_scopes = [s for s in platform.AGS_SCOPES if s in self.tool.scopes]
        if ags_scopes:
            item = target.activity.lineitem if target.activity else None
            self.set_ags(grades.lineitems_url(target.course.id, self.tool),
                         grades.lineitem_url(item) if item else None)
            # The library's claim omits lineitem.readonly: send what the tool registered.
            self.extra_claims[AGS_ENDPOINT]["scope"] = ags_scopes
        if platform.NRPS_SCOPE in self.tool.scopes:
            self.set_nrps(memberships_url(target.course, self.tool))
            # The library says ["2.0"] only; Moodle serves (and says) both.
            self.extra_claims[NRPS_CLAIM]["service_versions"] = ["1.0", "2.0"]

    def _set_resource_link(self, target: LaunchTarget) -> None:
        activity = target.activity
        self.set_resource_link_claim(str(activity.id), activity.text, activity.title)
        if activity.lineitem is not None:
            self.set_extra_claims({BASIC_OUTCOME: basic_outcome_claim(target)})

    def _set_deep_linking(self, target: LaunchTarget) -> None:
        self.set_dl(deep_link_return_url(self.tool), title=self.tool.name or "Add an activity",
                    accept_types={"ltiResourceLink"}, extra_data=deep_linking_data(target))
        settings = self._deep_linking_launch_data[DEEP_LINKING_SETTINGS]
        # Moodle's settings, where the library's differ ("embed" is not an LTI target, and
        # Moodle never auto-creates: the teacher still presses Save).
        settings.update({
            "accept_presentation_document_targets": ["frame", "iframe", "window"],
            "accept_copy_advice": False,
            "accept_unsigned": False,
            "auto_create": False,
            "can_confirm": False,
        })


def registered_redirects(tool: ToolRegistration) -> set[str]:
    return {tool.launch_url, tool.deep_linking_url, *(tool.redirect_uris or [])}


def memberships_url(course: Course, tool: ToolRegistration) -> str:
    return platform.url(f"/api/CourseSection/{course.id}/bindings/{tool.id}/memberships")


def return_url(target: LaunchTarget) -> str:
    instance = f"&instanceid={target.activity.id}" if target.activity else ""
    return platform.url(f"/return?course={target.course.id}{instance}")


def deep_link_return_url(tool: ToolRegistration) -> str:
    return platform.url(f"/deep-link-return?course={lms.COURSE_ID}&id={tool.id}")


def deep_linking_data(target: LaunchTarget) -> str:
    """The opaque `data` the tool must echo: who asked, for which course and tool."""
    return platform.sign({"sandbox_use": "deep_linking_data", "sub": target.user.id,
                          "course": target.course.id, "tool": target.tool.id},
                         DEEP_LINKING_DATA_LIFETIME)


def tool_platform_claim() -> dict[str, str]:
    return {
        "product_family_code": platform.PRODUCT_FAMILY,
        "version": platform.PLATFORM_VERSION,
        "guid": urlsplit(platform.sandbox_url()).hostname or "",
        "name": "Pairwise sandbox LMS",
        "description": "A small LTI 1.3 platform for developing and testing Pairwise",
    }


def basic_outcome_claim(target: LaunchTarget) -> dict[str, str]:
    # Moodle includes the LTI 1.1 outcome claim; the sandbox does not serve LTI 1.1 outcomes.
    sourcedid = {"data": {"instanceid": str(target.activity.id), "userid": target.user.id,
                          "typeid": str(target.tool.id)}}
    return {"lis_result_sourcedid": json.dumps(sourcedid, separators=(",", ":")),
            "lis_outcome_service_url": platform.url("/service.php")}
