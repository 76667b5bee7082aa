"""A validated launch as one typed object.

`LaunchContext.from_claims` is the only place that reads LTI claim names; the rest of Pairwise
uses the fields below.
"""

import logging
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from lti_tool.lti import roles as lis
from lti_tool.lti.roles import Role

log = logging.getLogger(__name__)

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
MAX_EMAIL = 254  # RFC 5321: the longest address a mail server takes (a path of 256 with <>)

# The deep-linked activity's program, in its custom parameters; it comes back on every launch.
PROGRAM_PARAM = "pairwise_program"
# Custom parameters Pairwise asks the platform to fill by variable substitution (in the tool's
# configuration and in every activity it deep-links): the person's LMS groups in the course (a
# Moodle extension; other platforms send the text back unexpanded) and their time zone.
GROUPS_PARAM = "pairwise_groups"
TIMEZONE_PARAM = "pairwise_timezone"
SUBSTITUTIONS = {GROUPS_PARAM: "$Moodle.Person.userGroupIds",
                 TIMEZONE_PARAM: "$Person.address.timezone"}

DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"


@dataclass(frozen=True)
class AgsEndpoint:
    lineitems_url: str | None = None
    lineitem_url: str | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeepLinkingSettings:
    return_url: str
    accept_types: tuple[str, ...] = ()
    accept_multiple: bool = False
    data: Any = None
    title: str = ""


@dataclass(frozen=True)
class LaunchContext:
    message_type: str
    issuer: str
    client_id: str
    deployment_id: str
    subject: str
    lis_roles: tuple[str, ...]
    role: Role | None
    context_id: str
    context_label: str = ""
    context_title: str = ""
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    username: str = ""
    locale: str = ""
    document_target: str = ""
    return_url: str = ""
    resource_link_id: str = ""
    resource_link_title: str = ""
    product_family: str = ""
    platform_name: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    ags: AgsEndpoint | None = None
    nrps_url: str | None = None
    deep_linking: DeepLinkingSettings | None = None

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == DEEP_LINKING_REQUEST

    @property
    def embedded(self) -> bool:
        return self.document_target in ("iframe", "frame", "embed")

    @property
    def groups(self) -> tuple[str, ...] | None:
        """The person's LMS group ids, or None when the platform did not say (no parameter,
        or a variable it does not expand): unknown, which is not the same as no group."""
        value = _substituted(self.custom.get(GROUPS_PARAM))
        if value is None:
            return None
        return tuple(sorted({g.strip() for g in value.replace(";", ",").split(",")
                             if g.strip()}))

    @property
    def timezone(self) -> str:
        """The time zone the LMS profile gives, if it is a valid IANA name ("" otherwise)."""
        value = _substituted(self.custom.get(TIMEZONE_PARAM)) or ""
        return value if _is_zone(value) else ""

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> "LaunchContext":
        """Build from an id_token body that pylti1p3 has already validated."""
        aud = claims.get("aud")
        context = _dict(claims.get(LTI + "context"))
        link = _dict(claims.get(LTI + "resource_link"))
        presentation = _dict(claims.get(LTI + "launch_presentation"))
        platform = _dict(claims.get(LTI + "tool_platform"))
        ext = _dict(claims.get(LTI + "ext"))
        roles = tuple(r for r in claims.get(LTI + "roles") or [] if isinstance(r, str))
        return cls(
            message_type=claims[LTI + "message_type"],
            issuer=claims["iss"],
            client_id=aud[0] if isinstance(aud, list) else aud,
            deployment_id=str(claims[LTI + "deployment_id"]),
            subject=str(claims.get("sub", "")),
            lis_roles=roles,
            role=lis.pairwise_role(list(roles)),
            context_id=str(context.get("id", "")),
            context_label=_short(context.get("label")),
            context_title=_short(context.get("title")),
            name=_short(claims.get("name")),
            given_name=_short(claims.get("given_name")),
            family_name=_short(claims.get("family_name")),
            email=email_address(claims.get("email"),
                                f"platform={claims['iss']!r} sub={claims.get('sub', '')!r}"),
            username=_short(ext.get("user_username") or claims.get("preferred_username")),
            locale=_short(presentation.get("locale"), 35),
            document_target=_text(presentation.get("document_target")),
            return_url=_text(presentation.get("return_url")),
            resource_link_id=_text(link.get("id")),
            resource_link_title=_short(link.get("title")),
            product_family=_short(platform.get("product_family_code")),
            platform_name=_short(platform.get("name")),
            custom={str(k): _text(v) for k, v in _dict(claims.get(LTI + "custom")).items()},
            ags=_ags(claims.get(AGS_ENDPOINT)),
            nrps_url=_dict(claims.get(NRPS)).get("context_memberships_url") or None,
            deep_linking=_deep_linking(claims.get(DEEP_LINKING)),
        )


def email_address(value: Any, whose: str) -> str:
    """The normalised form of an e-mail address a platform sent, or "" when it is not one:
    the person is not locked out for it, and the log names `whose` address it was, never the
    value."""
    if value is None or isinstance(value, str) and not value.strip():
        return ""  # not shared (the platform's privacy settings): nothing to say
    address, problem = _checked_email(value)
    if problem:
        log.info("e-mail address not stored (%s): %s", problem, whose)
    return address


def _checked_email(value: Any) -> tuple[str, str | None]:
    """(the normalised address, None), or ("", what is wrong with it)."""
    if not isinstance(value, str):
        return "", "not text"
    text = value.strip()
    if len(text) > MAX_EMAIL:
        return "", "too long"
    if any(unicodedata.category(ch).startswith("C") for ch in text):  # Cc, Cf, Cs, Co, Cn
        return "", "control or format characters"
    try:
        address = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return "", "not an e-mail address"
    return (address, None) if len(address) <= MAX_EMAIL else ("", "too long")


def _substituted(value: str | None) -> str | None:
    """A custom parameter's value, or None when absent or left as an unexpanded "$Variable"."""
    if value is None or value.startswith("$"):
        return None
    return value.strip()


def _is_zone(name: str) -> bool:
    if not name or "/" not in name:  # Moodle sends "99" for "the server's zone"
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _short(value: Any, limit: int = 255) -> str:
    """Text for a column of `limit` characters: Moodle allows longer activity and course
    names (1,333 characters), which are shown cut rather than refused."""
    text = _text(value).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _ags(claim: Any) -> AgsEndpoint | None:
    if not isinstance(claim, dict):
        return None
    return AgsEndpoint(
        lineitems_url=claim.get("lineitems") or None,
        lineitem_url=claim.get("lineitem") or None,
        scopes=tuple(claim.get("scope") or ()),
    )


def _deep_linking(claim: Any) -> DeepLinkingSettings | None:
    if not isinstance(claim, dict) or not claim.get("deep_link_return_url"):
        return None
    return DeepLinkingSettings(
        return_url=claim["deep_link_return_url"],
        accept_types=tuple(claim.get("accept_types") or ()),
        accept_multiple=claim.get("accept_multiple") in (True, "true"),
        data=claim.get("data"),
        title=_text(claim.get("title")),
    )
