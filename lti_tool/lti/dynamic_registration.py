"""LTI Dynamic Registration (IMS LTI-DR 1.0), tool side, with pylti1p3's `DynamicRegistration`
building the client registration.

1. The tool's administrator makes a registration link (registration_links.py); the LMS admin
   pastes it into the platform, which opens `<link>?openid_configuration=…&registration_token=…`
   in a frame. Without a usable link nothing below happens: the tool fetches nothing.
2. `start` checks the configuration URL before anything is fetched: http(s) (https where
   OUTBOUND_HTTPS_ONLY), no user-info, and under the issuer the link names, if it names one.
3. `register` fetches the configuration (every request goes through the outbound policy of
   lti_tool/lti/outbound.py) and checks its `issuer`: the configuration URL must be the
   issuer's own (same scheme, host and port, a path under the issuer's; LTI-DR §3.5.1), and the
   issuer the link names, if any.
4. It POSTs our client registration (login URL, redirect URIs, JWKS URL, deep linking and
   resource-link messages, AGS and NRPS scopes, claims, name, logo) with the bearer token.
5. It stores a *new* registration (issuer, client_id, endpoints, the deployment id the platform
   returns) and uses the link up, in one transaction. An (issuer, client_id) that is already
   registered is refused: a dynamic registration never replaces a trusted platform's keys.
6. The completion page posts `{subject: "org.imsglobal.lti.close"}` to the opener/parent.

Whatever goes wrong once the tool has contacted the platform is logged in detail; the page says
only that the platform could not be reached or did not answer as an LTI platform, with a
reference to the log line: the endpoint tells its caller nothing about the tool's network.
"""

import json
import logging
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext
from pylti1p3.dynamic_registration import DynamicRegistration

from lti_tool.lti import issuers, registration_links
from lti_tool.lti.connector import http_session
from lti_tool.lti.context import SUBSTITUTIONS
from lti_tool.lti.models import Platform, RegistrationLink
from lti_tool.lti.registrations import (
    PlatformDetails,
    RegistrationError,
    RegistrationExists,
    create_platform,
    tool_urls,
)
from lti_tool.lti.rejections import LaunchRejected

log = logging.getLogger(__name__)

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    # Moodle grants read access to line items only when it is asked for explicitly.
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_SCOPES = [*AGS_SCOPES, NRPS_SCOPE]
CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email", "locale"]
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
MAX_ANSWER_BYTES = 256 * 1024  # a platform's configuration or registration answer is a few KB
MAX_TOKEN_CHARS = 8192


class PlatformAnswer(Exception):
    """The platform's answer is not what LTI-DR asks for (the detail goes to the log only)."""


@dataclass(frozen=True)
class RegistrationRequest:
    """A registration the platform opened with a usable link, checked before any fetch."""

    link: RegistrationLink
    openid_configuration: str
    registration_token: str | None


def start(secret: str | None, openid_configuration: str,
          registration_token: str | None) -> RegistrationRequest:
    """The checks made before the tool contacts anyone; LaunchRejected when one fails."""
    try:
        link = registration_links.usable(secret)
    except registration_links.LinkRefused as exc:
        raise _refused(exc.status, "registration_link", exc.message, gettext(
            "The tool's administrator makes registration links on the tool's admin page; each "
            "works once.")) from exc
    if not openid_configuration:
        raise _refused(400, "registration_incomplete", gettext(
            "Open this address from your platform's 'register a tool' screen: it needs the "
            "platform's openid_configuration parameter."))
    if registration_token and len(registration_token) > MAX_TOKEN_CHARS:
        raise _refused(400, "registration_incomplete",
                       gettext("The platform's registration token is too long."))
    try:
        _check_configuration_url(openid_configuration, link.expected_issuer)
    except issuers.IssuerMismatch as exc:
        raise _refused(400, "registration_refused", gettext(
            "The platform's configuration address %(url)s is refused: %(reason)s",
            url=openid_configuration, reason=exc)) from exc
    return RegistrationRequest(link, openid_configuration, registration_token or None)


def register(request: RegistrationRequest) -> Platform:
    """Register with the platform and store the new registration; the caller commits."""
    try:
        platform = ToolDynamicRegistration(request).register()
        registration_links.claim(request.link, platform)
        return platform
    except registration_links.LinkRefused as exc:
        raise _refused(exc.status, "registration_link", exc.message) from exc
    except RegistrationExists as exc:
        raise _refused(409, "registration_exists", str(exc)) from exc
    except (requests.RequestException, PlatformAnswer, RegistrationError, ValueError,
            KeyError, TypeError, AttributeError) as exc:
        raise _unreachable(request, exc) from exc


class ToolDynamicRegistration(DynamicRegistration):
    def __init__(self, request: RegistrationRequest):
        self.openid_configuration_url = request.openid_configuration
        self.registration_token = request.registration_token
        self.expected_issuer = request.link.expected_issuer
        self.urls = tool_urls()
        self.client_name = current_app.config["TOOL_NAME"]
        self.description = current_app.config["TOOL_DESCRIPTION"]

    def get_request_session(self):
        return http_session()

    def get_openid_configuration_endpoint(self) -> str:
        return self.openid_configuration_url

    def get_registration_token(self) -> str | None:
        return self.registration_token

    def get_initiate_login_uri(self) -> str:
        return self.urls["login_url"]

    def get_jwks_uri(self) -> str:
        return self.urls["jwks_url"]

    def get_redirect_uris(self) -> list[str]:
        return [self.urls["launch_url"]]

    def get_target_link_uri(self) -> str:
        return self.urls["launch_url"]

    def get_domain(self) -> str:
        return urlsplit(self.urls["launch_url"]).netloc

    def get_logo_uri(self) -> str:
        return self.urls["icon_url"]

    def get_scopes(self) -> list[str]:
        return TOOL_SCOPES

    def get_claims(self) -> list[str]:
        return CLAIMS

    def get_messages(self) -> list[dict]:
        return [
            {"type": "LtiResourceLinkRequest", "target_link_uri": self.urls["launch_url"],
             "label": self.client_name},
            {"type": "LtiDeepLinkingRequest", "target_link_uri": self.urls["deep_linking_url"],
             "label": f"Add a {self.client_name} mentoring program"},
        ]

    def lti_registration_data(self) -> dict:
        data = super().lti_registration_data()
        data[TOOL_CONFIGURATION]["custom_parameters"] = dict(SUBSTITUTIONS)
        return data

    def register(self) -> Platform:
        """pylti1p3's flow, with every answer checked before it is used: the configuration
        before we post to it, the registration before we store it."""
        configuration = self.get_openid_configuration()
        headers = {"Accept": "application/json"}
        if self.registration_token:
            headers["Authorization"] = "Bearer " + self.registration_token
        with self.get_request_session() as session:
            answer = _json_object(session.post(configuration["registration_endpoint"],
                                               json=self.lti_registration_data(),
                                               headers=headers, stream=True))
        if not isinstance(answer.get(TOOL_CONFIGURATION), dict) or not answer.get("client_id"):
            raise PlatformAnswer("the registration answer has no client_id or tool configuration")
        return self.complete_registration(configuration, answer)

    def get_openid_configuration(self) -> dict:
        with self.get_request_session() as session:
            configuration = _json_object(session.get(
                self.openid_configuration_url, headers={"Accept": "application/json"},
                stream=True))
        _check_configuration(configuration, self.openid_configuration_url, self.expected_issuer)
        return configuration

    def complete_registration(self, openid_configuration: dict, openid_registration: dict):
        tool_configuration = openid_registration.get(TOOL_CONFIGURATION) or {}
        platform_configuration = openid_configuration.get(PLATFORM_CONFIGURATION) or {}
        deployment_id = tool_configuration.get("deployment_id")
        family = platform_configuration.get("product_family_code")
        family = family[:64] if isinstance(family, str) else ""  # a name only, never refused
        return create_platform(
            PlatformDetails(
                issuer=openid_configuration["issuer"],
                client_id=str(openid_registration["client_id"]),
                auth_login_url=openid_configuration["authorization_endpoint"],
                auth_token_url=openid_configuration["token_endpoint"],
                key_set_url=openid_configuration["jwks_uri"],
                auth_audience=openid_configuration.get("authorization_server"),
                deployment_ids=(str(deployment_id),) if deployment_id else (),
                name=family.title() or openid_configuration["issuer"],
                product_family=family,
                registered_via="dynamic",
            )
        )


def _check_configuration_url(url: str, expected_issuer: str | None) -> None:
    https_only = issuers.https_required()
    issuers.parse(url, https_only=https_only)
    if expected_issuer and not issuers.is_under(url, expected_issuer, https_only=https_only):
        raise issuers.IssuerMismatch(gettext(
            "this registration link is for the platform %(issuer)s only.",
            issuer=expected_issuer))


def _check_configuration(configuration: dict, url: str, expected_issuer: str | None) -> None:
    """An LTI platform's configuration, served under its own issuer (PlatformAnswer if not)."""
    https_only = issuers.https_required()
    issuer = configuration.get("issuer")
    try:
        if not issuers.is_under(url, issuer, https_only=https_only):
            raise PlatformAnswer(f"issuer {issuer!r} is not the configuration URL's issuer")
        if expected_issuer and issuers.normalise(issuer, https_only=https_only) != \
                issuers.normalise(expected_issuer, https_only=https_only):
            raise PlatformAnswer(f"issuer {issuer!r} is not the link's {expected_issuer!r}")
        for name in ENDPOINTS:
            issuers.parse(configuration.get(name), https_only=https_only)
    except issuers.IssuerMismatch as exc:
        raise PlatformAnswer(f"configuration: {exc}") from exc
    if not isinstance(configuration.get(PLATFORM_CONFIGURATION, {}), dict):
        raise PlatformAnswer("the lti-platform-configuration is not an object")


def _json_object(response: requests.Response) -> dict:
    """A successful answer's JSON object, read up to MAX_ANSWER_BYTES."""
    with response:
        if not response.ok:
            raise PlatformAnswer(f"HTTP {response.status_code} from {_where(response.url)}")
        body = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
    if len(body) > MAX_ANSWER_BYTES:
        raise PlatformAnswer(f"an answer over {MAX_ANSWER_BYTES} bytes from {_where(response.url)}")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise PlatformAnswer(f"no JSON from {_where(response.url)}") from exc
    if not isinstance(data, dict):
        raise PlatformAnswer(f"a JSON {type(data).__name__}, not an object, from "
                             f"{_where(response.url)}")
    return data


def _where(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _unreachable(request: RegistrationRequest, exc: Exception) -> LaunchRejected:
    reference = secrets.token_hex(4)
    log.warning("dynamic registration failed [ref %s]: link=%s configuration=%s: %s: %s",
                reference, request.link.id, _where(request.openid_configuration),
                exc.__class__.__name__, str(exc).splitlines()[0][:300] if str(exc) else "")
    return _refused(502, "registration_failed", gettext(
        "The platform could not be reached, or its answer was not an LTI registration "
        "(reference %(reference)s in the tool's log).", reference=reference))


def _refused(status: int, reason: str, message: str, hint: str | None = None) -> LaunchRejected:
    return LaunchRejected(status, reason, message, hint or gettext(
        "Start the registration again from the platform with a new link from the tool's "
        "administrator, or register the tool manually with the URLs on the tool's admin page."))
