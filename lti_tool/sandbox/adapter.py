"""A thin Flask adapter for lti1p3platform 0.1.8 (it ships Django and FastAPI ones only), and
its platform configuration backed by the sandbox tables.

- `FlaskRequest` builds the library's request metadata from `flask.request`;
  `flask_response` turns the library's service `Response` into a Flask response.
- `SandboxRegistration` is the library's Registration for one tool, signing with a `kid`.
- `SandboxPlatformConf` closes gaps in the library's security checks:
  * client assertions (token endpoint) and deep-linking responses: the library verifies the
    signature only (`verify_aud` is off, iss/sub are never compared, exp is optional, the
    assertion type is ignored, a jti may be replayed). Here aud must be the token URL (or
    the issuer, for deep linking), iss = sub = the client id, exp/iat/jti are required and
    a jti is accepted once;
  * scopes: the library grants any LTI scope asked for; here only the tool's registered ones;
  * access tokens: the library accepts tokens without exp and from any tool, and a bad
    signature raises (a 500); here the token must name this tool and any failure is a 401;
  * the tool's JWKS is fetched with the app's timeout and a status check.
- `authorize` checks a service request's bearer token and the scope the operation needs.
"""

import json
import time
from typing import Any

import jwt
from flask import Request as FlaskHttpRequest
from flask import Response as FlaskHttpResponse
from flask import jsonify
from lti1p3platform.constants import LTI_1P3_ACCESS_TOKEN_REQUIRED_CLAIMS
from lti1p3platform.exceptions import (
    InvalidKeySetUrl,
    LtiException,
    MissingRequiredClaim,
    UnsupportedGrantType,
)
from lti1p3platform.jwt_helper import jwt_encode
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.response import Response as ServiceResponse

from lti_tool.sandbox import platform
from lti_tool.sandbox.models import PlatformKey, ToolRegistration

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class FlaskRequest(Request):
    """lti1p3platform's request metadata, from a Flask request."""

    def build_metadata(self, request: FlaskHttpRequest) -> TRequest:
        return {
            "method": request.method,
            "form_data": request.form.to_dict(),
            "get_data": request.args.to_dict(),
            "headers": request.headers,
            "content_type": request.mimetype,
            "path": request.path,
            # AGS bodies are `application/vnd.ims.…+json`, which Flask counts as JSON.
            "json": request.get_json(silent=True) if request.is_json else None,
        }


def flask_response(result: ServiceResponse, link: str | None = None) -> FlaskHttpResponse:
    """A Flask response for a service handler's result: the page's content (the library
    wraps collections as `{"content": …}`), or `{"error": …}` JSON for a failure."""
    if 200 <= result.code < 300:
        data = result.result
        if isinstance(data, dict) and "content" in data:
            data = data["content"]
        body = "" if data is None else json.dumps(data)
        response = FlaskHttpResponse(body, status=result.code,
                                     content_type=result.media_type if body else None)
    else:
        response = jsonify(error=result.message)
        response.status_code = result.code
    if link:
        response.headers["Link"] = link
    return response


class SandboxRegistration(Registration):
    """The library's Registration for one tool, signing with the platform key's kid."""

    def __init__(self, tool: ToolRegistration, key: PlatformKey):
        self._key = key
        self.set_iss(platform.sandbox_url())
        self.set_client_id(tool.client_id)
        self.set_deployment_id(tool.deployment_id)
        self.set_oidc_login_url(tool.login_url)
        self.set_launch_url(tool.launch_url)
        self.set_deeplink_launch_url(tool.deep_linking_url)
        self.set_tool_key_set_url(tool.jwks_url)
        self.set_platform_private_key(platform.private_key(key.private_pem))
        self.set_platform_public_key(key.public_pem)

    def get_kid(self) -> str:
        # The library derives a kid from the PEM, which has none: tokens went out without one.
        return self._key.kid

    def get_jwks(self) -> list[dict[str, Any]]:
        return [platform.public_jwk(self._key)]

    def platform_encode_and_sign(self, payload: dict[str, Any],
                                 expiration: int | None = None) -> str:
        # The library reads the clock twice (iat, then exp): exp could be iat + 61.
        if expiration:
            now = int(time.time())
            payload.update({"iat": now, "exp": now + expiration})
        return jwt_encode(payload, self.get_platform_private_key(), algorithm="RS256",
                          headers={"kid": self._key.kid})


class InvalidRequest(Exception):
    """A token request the OAuth2 spec calls `invalid_request` (wrong assertion type)."""


class InvalidScope(Exception):
    """None of the scopes asked for is registered for the tool."""


class SandboxPlatformConf(LTI1P3PlatformConfAbstract):
    """The library's platform configuration for one registered tool."""

    def init_platform_config(self, tool: ToolRegistration, **_: Any) -> None:
        self.tool = tool
        self._audience: str | None = None
        self.claims: dict[str, Any] = {}  # of the last tool JWT validated
        self.verified: tuple[str, dict[str, Any]] | None = None  # (access token, its claims)
        self.set_accepted_deeplinking_types(["ltiResourceLink"])

    def get_registration_by_params(self, **_: Any) -> SandboxRegistration:
        return SandboxRegistration(self.tool, platform.signing_key())

    def fetch_public_key(self, key_set_url: str) -> dict[str, Any]:
        try:
            return platform.fetch_tool_jwks(key_set_url)
        except platform.TokenError as exc:
            raise LtiException(str(exc)) from exc

    def expect_audience(self, audience: str) -> "SandboxPlatformConf":
        """The `aud` the next tool JWT must carry (token URL, or issuer for deep linking)."""
        self._audience = audience
        return self

    def tool_validate_and_decode(self, jwt_token_string: str) -> dict[str, Any]:
        if not self._audience:
            raise LtiException("No audience to check the tool's JWT against")
        self.get_registration()
        self.validate_jwt_format(jwt_token_string)
        public_key = self.get_tool_public_key()
        try:
            self.claims = jwt.decode(
                jwt_token_string, public_key, algorithms=["RS256"], audience=self._audience,
                issuer=self.tool.client_id, leeway=platform.LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat"]})
        except jwt.PyJWTError as exc:
            raise LtiException(f"Invalid JWT from the tool: {exc}") from exc
        return self.claims

    def get_access_token(self, token_request_data: dict[str, Any]) -> dict[str, Any]:
        data = token_request_data
        missing = sorted(c for c in LTI_1P3_ACCESS_TOKEN_REQUIRED_CLAIMS if not data.get(c))
        if missing:
            raise MissingRequiredClaim(f"Missing {', '.join(missing)}")
        if data["grant_type"] != "client_credentials":
            raise UnsupportedGrantType()
        if data["client_assertion_type"] != JWT_BEARER:
            raise InvalidRequest("client_assertion_type must be " + JWT_BEARER)
        claims = self.expect_audience(platform.url("/token")).tool_validate_and_decode(
            data["client_assertion"])
        self._check_assertion(claims)
        scopes = self.permitted_scopes(data["scope"])
        if not scopes:
            raise InvalidScope("None of the requested scopes is registered for this tool")
        # The library re-validates the assertion (cheap: the key set is kept) and signs.
        response = super().get_access_token({**data, "scope": " ".join(scopes)})
        return {**response, "token_type": "Bearer"}

    def _check_assertion(self, claims: dict[str, Any]) -> None:
        if claims.get("sub") != self.tool.client_id:
            raise LtiException("The assertion's sub must be the client id")
        jti = claims.get("jti")
        if not jti:
            raise LtiException("The assertion has no jti")
        if not platform.consume_once(f"jti:{self.tool.client_id}:{jti}", int(claims["exp"])):
            raise LtiException("The assertion was already used (jti replayed)")

    def permitted_scopes(self, requested: str) -> list[str]:
        return [s for s in dict.fromkeys(requested.split()) if s in self.tool.scopes]

    def access_token_claims(self, token: str) -> dict[str, Any]:
        """Claims of an access token this platform issued to this tool; raises otherwise."""
        registration = self.get_registration()
        claims = jwt.decode(token, registration.get_platform_public_key(), algorithms=["RS256"],
                            issuer=registration.get_iss(),
                            options={"require": ["exp", "iat", "sub", "scopes"]})
        if claims["sub"] != self.tool.client_id:
            raise LtiException("The access token was issued to another tool")
        return claims

    def validate_token(self, token: str, allowed_scopes: list[str] | None = None,
                       audience: str | None = None) -> bool:
        # `authorize` has verified this request's token already: its signature is not
        # checked a second time when the library's handler asks again.
        try:
            claims = self.verified[1] if self.verified and self.verified[0] == token else \
                self.access_token_claims(token)
        except (jwt.PyJWTError, LtiException):
            return False
        if audience and claims.get("aud") != audience:
            return False
        granted = str(claims.get("scopes", "")).split()
        return not allowed_scopes or any(scope in granted for scope in allowed_scopes)


# --- The token endpoint ---------------------------------------------------------------------

def token_response(form: dict[str, str]) -> tuple[dict[str, Any], int]:
    """(JSON body, status) for an OAuth2 client-credentials request (private_key_jwt)."""
    tool = _assertion_tool(form.get("client_assertion", ""))
    if tool is None:
        return {"error": "invalid_client", "error_description": "Unknown client"}, 401
    conf = SandboxPlatformConf(tool=tool)
    try:
        return conf.get_access_token(form), 200
    except (MissingRequiredClaim, InvalidRequest) as exc:
        return _token_error("invalid_request", exc), 400
    except UnsupportedGrantType:
        return {"error": "unsupported_grant_type"}, 400
    except InvalidScope as exc:
        return _token_error("invalid_scope", exc), 400
    except (LtiException, InvalidKeySetUrl) as exc:
        return _token_error("invalid_client", exc), 401


def _assertion_tool(assertion: str) -> ToolRegistration | None:
    """The tool an assertion claims to come from (Moodle looks its `sub` up); the claim is
    verified afterwards against that tool's key set."""
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return platform.registration_by_client_id(str(claims.get("sub") or ""))


def _token_error(error: str, exc: Exception) -> dict[str, str]:
    return {"error": error, "error_description": str(exc) or error}


# --- Service requests -----------------------------------------------------------------------

class ServiceError(Exception):
    """A service request refused before it reaches a handler (401, 403)."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def authorize(request: FlaskHttpRequest, accepted_scopes: tuple[str, ...]) -> SandboxPlatformConf:
    """The configuration of the tool whose bearer token this is, if the token is valid (else
    401) and grants one of `accepted_scopes` (else 403)."""
    token = _bearer(request)
    tool = _token_tool(token)
    conf = SandboxPlatformConf(tool=tool)
    try:
        claims = conf.access_token_claims(token)
    except (jwt.PyJWTError, LtiException) as exc:
        raise ServiceError(401, "invalid_token", f"Invalid access token: {exc}") from exc
    if not set(accepted_scopes) & set(str(claims["scopes"]).split()):
        raise ServiceError(403, "insufficient_scope",
                           f"This request needs one of the scopes {', '.join(accepted_scopes)}")
    conf.verified = (token, claims)  # the library's handler asks again: see validate_token
    return conf


def _bearer(request: FlaskHttpRequest) -> str:
    parts = request.headers.get("Authorization", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise ServiceError(401, "invalid_token", "Missing bearer access token")
    return parts[1]


def _token_tool(token: str) -> ToolRegistration:
    try:
        sub = jwt.decode(token, options={"verify_signature": False}).get("sub")
    except jwt.PyJWTError as exc:
        raise ServiceError(401, "invalid_token", "Malformed access token") from exc
    tool = platform.registration_by_client_id(str(sub or ""))
    if tool is None:
        raise ServiceError(401, "invalid_token", "Access token for an unknown tool")
    return tool
