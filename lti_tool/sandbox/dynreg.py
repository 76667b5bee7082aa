"""LTI Dynamic Registration 1.0, platform side, as Moodle 5.1 does it:

1. An admin enters a tool's registration URL on `/sandbox/register-tool` (pre-filled with a
   single-use registration link of this tool, which runs in the same app); the sandbox issues
   a registration token (an RS256 JWT, scope "reg", valid 1 h, single use) and opens
   `<url>?openid_configuration=<SANDBOX_URL>/.well-known/openid-configuration&
   registration_token=<jwt>` in an iframe.
2. The tool reads `openid_configuration()` and POSTs its client registration to
   `/sandbox/register` with the token as a bearer token.
3. `register_tool` validates it (LTI-DR §3.5), stores a new tool registration (a new
   client_id; the deployment id is its tool type id) and answers as Moodle does, with the
   `deployment_id` inside the lti-tool-configuration.
4. The tool's page posts `{subject: "org.imsglobal.lti.close"}` to its parent window.
Unlike Moodle, which leaves a new tool *pending* until a site admin activates it, the sandbox
activates it at once; the sandbox page says so.
"""

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from lti_tool.extensions import db
from lti_tool.lti import registration_links
from lti_tool.sandbox import paging, platform
from lti_tool.sandbox.models import RegistrationToken, ToolRegistration
from lti_tool.timeutil import as_utc, utcnow

REGISTRATION_TOKEN_LIFETIME = 3600
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
CLAIMS_SUPPORTED = ["sub", "iss", "name", "given_name", "family_name", "email"]


class RegistrationRefused(Exception):
    """A registration request refused: 401 for the token, 400 for the client metadata."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def openid_configuration() -> dict[str, Any]:
    urls = platform.endpoints()
    return {
        "issuer": urls["issuer"],
        "authorization_endpoint": urls["auth"],
        "token_endpoint": urls["token"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": urls["jwks"],
        "registration_endpoint": urls["registration"],
        "scopes_supported": ["openid", *platform.SUPPORTED_SCOPES],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": CLAIMS_SUPPORTED,
        PLATFORM_CONFIGURATION: {
            "product_family_code": platform.PRODUCT_FAMILY,
            "version": platform.PLATFORM_VERSION,
            "messages_supported": [
                {"type": "LtiResourceLinkRequest"},
                {"type": "LtiDeepLinkingRequest", "placements": ["ContentArea"]},
            ],
            "variables": ["CourseSection.timeFrame.end", "CourseSection.timeFrame.begin",
                          "Context.id.history", "ResourceLink.id.history"],
        },
    }


# --- Registration tokens --------------------------------------------------------------------

def tool_registration_link() -> str:
    """A fresh single-use registration link of the tool, valid an hour and for the sandbox
    only: the sandbox runs inside the tool's app, so it makes one as the tool's admin would
    on /admin/. The caller commits."""
    return registration_links.issue(label="Sandbox LMS", expected_issuer=platform.sandbox_url(),
                                    hours=1, created_by="sandbox").url


def issue_registration_token() -> str:
    jti = secrets.token_urlsafe(16)
    expires = utcnow() + timedelta(seconds=REGISTRATION_TOKEN_LIFETIME)
    db.session.add(RegistrationToken(jti=jti, expires_at=expires))
    db.session.flush()
    return platform.sign({"sandbox_use": "registration", "scope": "reg", "jti": jti},
                         REGISTRATION_TOKEN_LIFETIME)


def start_url(tool_registration_url: str) -> str:
    """The tool's registration URL with the two parameters LTI-DR adds (queries merged)."""
    if not tool_registration_url.startswith(("http://", "https://")):
        raise RegistrationRefused(400, "invalid_request", "Enter the tool's http(s) URL.")
    return paging.with_query(tool_registration_url, {
        "openid_configuration": platform.endpoints()["openid_configuration"],
        "registration_token": issue_registration_token(),
    })


def redeem_registration_token(authorization: str) -> None:
    """Accept a bearer registration token once (the caller's commit makes it used)."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RegistrationRefused(401, "invalid_token", "A bearer registration token is required")
    try:
        claims = platform.verify(token.strip(), "registration")
    except platform.TokenError as exc:
        raise RegistrationRefused(401, "invalid_token", str(exc)) from exc
    row = db.session.get(RegistrationToken, str(claims.get("jti")))
    if claims.get("scope") != "reg" or row is None or as_utc(row.expires_at) <= utcnow():
        raise RegistrationRefused(401, "invalid_token", "Unknown or expired registration token")
    if row.used_at is not None:
        raise RegistrationRefused(401, "invalid_token", "This registration token was used")
    row.used_at = utcnow()


# --- The client registration ----------------------------------------------------------------

def register_tool(data: Any) -> dict[str, Any]:
    """Validate the tool's registration request, store the tool, return Moodle's answer."""
    config = validate(data)
    messages = config.get("messages") or []
    deep_linking = next((m for m in messages if isinstance(m, dict)
                         and m.get("type") == "LtiDeepLinkingRequest"), {})
    tool = platform.create_registration(
        name=str(data.get("client_name") or config["domain"]),
        login_url=data["initiate_login_uri"],
        launch_url=config["target_link_uri"],
        deep_linking_url=deep_linking.get("target_link_uri") or config["target_link_uri"],
        jwks_url=data["jwks_uri"],
        redirect_uris=list(data["redirect_uris"]),
        scopes=[s for s in str(data.get("scope", "")).split() if s in platform.SUPPORTED_SCOPES],
        custom=_custom_parameters(config),
        source="dynamic",
    )
    return registration_response(tool, data, config)


def _custom_parameters(config: dict) -> dict[str, str]:
    given = config.get("custom_parameters")
    return {str(k): str(v) for k, v in given.items()} if isinstance(given, dict) else {}


def validate(data: Any) -> dict[str, Any]:
    """The lti-tool-configuration of a valid registration request; RegistrationRefused if
    the request misses what LTI-DR §3.5 requires."""
    if not isinstance(data, dict):
        _refuse("The registration must be a JSON object")
    if data.get("application_type") != "web":
        _refuse("application_type must be 'web'")
    if "id_token" not in _list(data.get("response_types")):
        _refuse("response_types must contain 'id_token'")
    if not {"implicit", "client_credentials"} <= set(_list(data.get("grant_types"))):
        _refuse("grant_types must contain 'implicit' and 'client_credentials'")
    if data.get("token_endpoint_auth_method") != "private_key_jwt":
        _refuse("token_endpoint_auth_method must be 'private_key_jwt'")
    for name in ("initiate_login_uri", "jwks_uri"):
        _check_url(data.get(name), name)
    redirects = _list(data.get("redirect_uris"))
    if not redirects:
        _refuse("redirect_uris is required")
    for uri in redirects:
        _check_url(uri, "redirect_uris")
    return _tool_configuration(data.get(TOOL_CONFIGURATION))


def _tool_configuration(config: Any) -> dict[str, Any]:
    if not isinstance(config, dict):
        _refuse(f"{TOOL_CONFIGURATION} is required")
    _check_url(config.get("target_link_uri"), "target_link_uri")
    domain = config.get("domain")
    if not domain:
        _refuse("domain is required")
    target = urlsplit(config["target_link_uri"])
    if domain not in (target.netloc, target.hostname):
        _refuse(f"target_link_uri is not on the tool's domain {domain!r}")
    if not isinstance(config.get("messages"), list):
        _refuse("messages must be a list")
    return config


def registration_response(tool: ToolRegistration, data: dict, config: dict) -> dict[str, Any]:
    return {
        "client_id": tool.client_id,
        "response_types": ["id_token"],
        "jwks_uri": tool.jwks_url,
        "initiate_login_uri": tool.login_url,
        "grant_types": ["client_credentials", "implicit"],
        "redirect_uris": tool.redirect_uris,
        "application_type": "web",
        "token_endpoint_auth_method": "private_key_jwt",
        "client_name": tool.name,
        "logo_uri": data.get("logo_uri", ""),
        "scope": " ".join(tool.scopes),
        TOOL_CONFIGURATION: {
            "version": "1.3.0",
            "deployment_id": tool.deployment_id,
            "target_link_uri": tool.launch_url,
            "domain": config["domain"],
            "description": config.get("description", ""),
            "claims": config.get("claims", []),
            "messages": config.get("messages", []),
        },
    }


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _check_url(value: Any, name: str) -> None:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        _refuse(f"{name} must be an http(s) URL")


def _refuse(description: str):
    raise RegistrationRefused(400, "invalid_client_metadata", description)
