"""The deep-linking return (LTI Deep Linking 2.0 §4.2): the tool POSTs a signed
LtiDeepLinkingResponse to `/sandbox/deep-link-return`, which adds each `ltiResourceLink`
content item to the course as an activity, with its line item when it asks for one.

The JWT must be signed by a key in the tool's JWKS, with iss = the tool's client id,
aud = the platform's issuer, a live exp, the LtiDeepLinkingResponse message type, the tool's
deployment id, a nonce never seen before and the `data` the request carried (a token the
sandbox signed, naming the instructor who asked).
"""

from dataclasses import dataclass, field
from typing import Any

import jwt
from lti1p3platform.exceptions import LtiDeepLinkingResponseException, LtiException

from lti_tool.sandbox import grades, lms, platform
from lti_tool.sandbox.adapter import SandboxPlatformConf
from lti_tool.sandbox.models import Activity, Course, ToolRegistration

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


class DeepLinkError(Exception):
    """A deep-linking response refused; the message is shown in the iframe."""


@dataclass
class DeepLinkResult:
    activities: list[Activity] = field(default_factory=list)
    message: str = ""
    error_message: str = ""


def accept_response(form: dict[str, str], tool_type_id: str | None) -> DeepLinkResult:
    token = form.get("JWT", "")
    tool = _claimed_tool(token)
    if tool_type_id and tool_type_id != str(tool.id):
        raise DeepLinkError("The response comes from another tool than the request went to.")
    conf = SandboxPlatformConf(tool=tool).expect_audience(platform.sandbox_url())
    try:
        items = conf.validate_deeplinking_resp({"JWT": token})
    except (LtiException, LtiDeepLinkingResponseException) as exc:
        raise DeepLinkError(f"The deep-linking response is not valid: {exc}") from exc
    except (KeyError, TypeError) as exc:
        raise DeepLinkError("The response's content items are malformed.") from exc
    claims = conf.claims
    _check_claims(claims, tool)
    course = _requesting_course(claims.get(DL + "data"), tool)
    return DeepLinkResult(
        activities=[_add(course, tool, item) for item in items],
        message=str(claims.get(DL + "msg") or ""),
        error_message=str(claims.get(DL + "errormsg") or ""),
    )


def _claimed_tool(token: str) -> ToolRegistration:
    if not token:
        raise DeepLinkError("No JWT was posted.")
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError as exc:
        raise DeepLinkError("The posted JWT is malformed.") from exc
    tool = platform.registration_by_client_id(str(issuer or ""))
    if tool is None:
        raise DeepLinkError("The response's issuer is not a registered client id.")
    return tool


def _check_claims(claims: dict[str, Any], tool: ToolRegistration) -> None:
    if claims.get(LTI + "deployment_id") != tool.deployment_id:
        raise DeepLinkError("The response names another deployment.")
    if claims.get(LTI + "version") != "1.3.0":
        raise DeepLinkError("The response is not LTI 1.3.0.")
    nonce = claims.get("nonce")
    if not nonce:
        raise DeepLinkError("The response has no nonce.")
    if not platform.consume_once(f"dl:{tool.client_id}:{nonce}", int(claims["exp"])):
        raise DeepLinkError("This deep-linking response was already used (nonce replayed).")


def _requesting_course(data: Any, tool: ToolRegistration) -> Course:
    """The course of the request the response answers, from the echoed `data`."""
    try:
        request = platform.verify(str(data or ""), "deep_linking_data")
    except platform.TokenError as exc:
        raise DeepLinkError("The response does not echo the request's data.") from exc
    course = lms.get_course(str(request.get("course")))
    member = lms.membership(course.id, str(request.get("sub"))) if course else None
    if request.get("tool") != tool.id or member is None or member.role != lms.INSTRUCTOR:
        raise DeepLinkError("The response's data does not match a request of this tool.")
    return course


def _add(course: Course, tool: ToolRegistration, item: dict[str, Any]) -> Activity:
    custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
    activity = lms.add_activity(
        course, tool, title=str(item.get("title") or tool.name or "Activity"),
        url=str(item.get("url") or tool.launch_url), text=str(item.get("text") or ""),
        custom={str(k): str(v) for k, v in custom.items()})
    lineitem = item.get("lineItem")
    if isinstance(lineitem, dict):
        _add_lineitem(course, tool, activity, lineitem)
    return activity


def _add_lineitem(course: Course, tool: ToolRegistration, activity: Activity,
                  lineitem: dict[str, Any]) -> None:
    # scoreMaximum becomes the activity's maximum grade; label defaults to the title.
    data = {**lineitem, "label": lineitem.get("label") or activity.title}
    data.pop("resourceLinkId", None)
    try:
        grades.create_lineitem(course.id, tool, data, activity=activity, primary=True)
    except grades.GradeError as exc:
        raise DeepLinkError(f"The content item's lineItem is not valid: {exc.message}") from exc
