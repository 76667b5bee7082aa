"""The sandbox LMS as a tool sees it, for the sandbox tests: its addresses in the `app`
fixture, the scopes it grants, a tool's own key (`ToolKey`), a stand-in for the HTTP the
sandbox does (`FakeHttp`), and what a tool signs and sends: client assertions, token requests,
OIDC authentication requests; and reading what the sandbox answers (id_tokens, claims)."""

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

from lti_tool.extensions import db
from lti_tool.sandbox import launch, platform
from lti_tool.sandbox.testing import parse_form

TOOL_URL = "http://127.0.0.1:5000"
TOOL_JWKS_URL = TOOL_URL + "/lti/jwks"
SANDBOX_URL = "http://localhost:5000/sandbox"  # the `app` fixture's SANDBOX_URL
TOKEN_URL = SANDBOX_URL + "/token"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


@dataclass
class ToolKey:
    private_key: rsa.RSAPrivateKey
    kid: str
    jwks: dict

    def sign(self, claims: dict, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256",
                          headers={"kid": kid or self.kid})


def new_tool_key(kid: str) -> ToolKey:
    """A tool's RSA key and the JWKS publishing it."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    jwk = {**json.loads(JWK.from_pem(public_pem).export_public()), "kid": kid, "alg": "RS256",
           "use": "sig"}
    return ToolKey(private, kid, {"keys": [jwk]})


@dataclass
class Sandbox:
    client_id: str
    tool_id: int
    deployment_id: str


class _FakeResponse:
    def __init__(self, status: int, body):
        self.status_code, self._body = status, body

    def raise_for_status(self):
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code}")

    def json(self):
        return self._body


class FakeHttp:
    """Stands in for the `requests` module inside lti_tool.sandbox.platform."""

    RequestException = requests.RequestException

    def __init__(self, documents: dict):
        self.documents = documents
        self.calls: list[tuple[str, float]] = []

    def get(self, url, timeout=None, headers=None):
        assert timeout, "every outbound request needs a timeout"
        self.calls.append((url, timeout))
        if url in self.documents:
            return _FakeResponse(200, self.documents[url])
        return _FakeResponse(404, {"error": "not found"})


def client_assertion(key: ToolKey, client_id: str, **overrides) -> str:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": TOKEN_URL, "iat": now - 5,
              "exp": now + 60, "jti": "lti-service-token-" + str(uuid.uuid4())}
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return key.sign(claims)


def token_request(client, assertion: str, scope: str, **overrides):
    form = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion, "scope": scope, **overrides}
    return client.post("/sandbox/token", data={k: v for k, v in form.items() if v is not None})


def auth_query(fields: dict, **overrides) -> dict:
    """The OIDC authentication request a tool sends back after `fields`' login initiation."""
    query = {
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post",
        "prompt": "none", "client_id": fields["client_id"],
        "redirect_uri": TOOL_URL + "/lti/launch",
        "state": "state-" + random_nonce(), "nonce": random_nonce(),
        "login_hint": fields["login_hint"], "lti_message_hint": fields["lti_message_hint"],
    }
    query.update(overrides)
    return {k: v for k, v in query.items() if v is not None}


def authenticate(client, user_id="6", activity_id=None, deep_linking=False, method="get",
                 **overrides):
    _, fields = launch.launch_form(user_id, activity_id, deep_linking)
    query = auth_query(fields, **overrides)
    if method == "get":
        return client.get("/sandbox/auth?" + urlencode(query)), query
    return client.post("/sandbox/auth", data=query), query


def id_token_of(response) -> tuple[str, dict, str]:
    action, fields = parse_form(response.get_data(as_text=True))
    return fields["id_token"], fields, action


def verified_claims(token: str) -> dict:
    key = platform.signing_key()
    return jwt.decode(token, key.public_pem, algorithms=["RS256"], audience=None,
                      options={"verify_aud": False})


def bearer(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


def fresh_session() -> None:
    """Forget what the test's own session cached: requests committed in other sessions."""
    db.session.rollback()


def random_nonce() -> str:
    return secrets.token_hex(8)


