"""A minimal LTI platform for tool-side tests: its own RSA key, a JWKS served over real HTTP
on loopback, and id_tokens shaped like the Moodle 5.1 fixtures in ../shared/moodle/.

The sandbox LMS (lti_tool/sandbox) is the full platform; this double exists to sign the
*broken* tokens (tampered, expired, unsigned, wrong audience...) that a real platform won't.
"""

import html
import json
import re
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from werkzeug.wrappers import Request, Response

from tests.support.servers import ThreadedServer

# Copied from shared/moodle/: decoded id_tokens a real Moodle 5.1 signed.
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "moodle"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
# The address a page a launch answered with gives itself (templates/base.html).
PAGE_URL = re.compile(r'<body[^>]* data-page-url="([^"]+)"')


def moodle_fixture(name: str) -> dict:
    """Claims of a Moodle id_token (`resource-link-launch` or `deep-linking-request`)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())["claims"]


def new_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(private_key) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()


def public_jwk(private_key, kid: str) -> dict:
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {**json.loads(JWK.from_pem(public_pem).export_public()), "kid": kid, "alg": "RS256",
            "use": "sig"}


class PlatformDouble:
    def __init__(self, issuer="https://moodle.example.test", client_id="YYPd34A1PQyFHXM",
                 deployment_id="1"):
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.key = new_rsa_key()
        self.kid = secrets.token_hex(10)
        self.jwks = {"keys": [public_jwk(self.key, self.kid)]}
        self.jwks_requests = 0
        self.token_requests: list[dict] = []
        self.refuse_tokens: set[str] = set()  # access tokens the services answer 401 to
        self.members: list[dict] = []
        self.page_size = 2
        self.link_style = 'rel="next"'
        self._server = ThreadedServer(self._wsgi)
        self.jwks_url = f"http://127.0.0.1:{self._server.port}/jwks"

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        handler = {"/jwks": self._jwks, "/token": self._token,
                   "/members": self._members}.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    def _jwks(self, request):
        self.jwks_requests += 1
        return Response(json.dumps(self.jwks), mimetype="application/json")

    def _token(self, request):
        form = request.form.to_dict()
        self.token_requests.append(form)
        token = f"token-{len(self.token_requests)}"
        return Response(json.dumps({"access_token": token, "token_type": "bearer",
                                    "expires_in": 3600, "scope": form.get("scope", "")}),
                        mimetype="application/json")

    def _members(self, request):
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not bearer.startswith("token-") or bearer in self.refuse_tokens:
            return Response('{"error": "invalid token"}', status=401)
        start = int(request.args.get("from", 0))
        page = self.members[start:start + self.page_size]
        body = {"id": request.url, "context": {"id": "2"}, "members": page}
        response = Response(json.dumps(body),
                            mimetype="application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
        if start + self.page_size < len(self.members):
            next_url = f"{self.base_url}/members?type_id=1&from={start + self.page_size}"
            # Sent as UTF-8 bytes, as Moodle does with its typographic quotes.
            link = f"<{next_url}>; {self.link_style}".encode().decode("latin-1")
            response.headers["Link"] = link
        return response

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    def close(self):
        self._server.close()

    def register(self, deployment_ids=None, client_id=None):
        from lti_tool.extensions import db
        from lti_tool.lti.registrations import PlatformDetails, register_platform

        platform = register_platform(PlatformDetails(
            issuer=self.issuer, client_id=client_id or self.client_id,
            auth_login_url=self.issuer + "/mod/lti/auth.php",
            auth_token_url=self.base_url + "/token",
            key_set_url=self.jwks_url,
            deployment_ids=tuple(deployment_ids or (self.deployment_id,)), name="Test Moodle"))
        db.session.commit()
        return platform

    def login_params(self, **overrides) -> dict:
        params = {
            "iss": self.issuer,
            "login_hint": "4",
            "target_link_uri": "http://127.0.0.1:5000/lti/launch",
            "lti_message_hint": json.dumps({"cmid": 1, "launchid": "ltilaunch1_1"}),
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def claims(self, nonce: str, fixture="resource-link-launch", **overrides) -> dict:
        now = int(time.time())
        claims = moodle_fixture(fixture)
        claims.update({"iss": self.issuer, "aud": self.client_id, "nonce": nonce,
                       "iat": now, "exp": now + 60,
                       LTI + "deployment_id": self.deployment_id})
        for key, value in overrides.items():
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        return claims

    def sign(self, claims: dict, key=None, kid=None, headers=None, algorithm="RS256") -> str:
        header = {"kid": kid or self.kid, **(headers or {})}
        return jwt.encode(claims, key or self.key, algorithm=algorithm, headers=header)


def start_login(client, platform: PlatformDouble, method="post", base_url=None, **overrides):
    """Run the OIDC login initiation; return (response, state, nonce)."""
    params = platform.login_params(**overrides)
    where = {"base_url": base_url} if base_url else {}
    if method == "post":
        response = client.post("/lti/login", data=params, **where)
    else:
        response = client.get("/lti/login", query_string=params, **where)
    if response.status_code != 302:
        return response, None, None
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return response, query["state"][0], query["nonce"][0]


def launch(client, platform: PlatformDouble, fixture="resource-link-launch", **claim_overrides):
    """A full login + launch as Moodle does it; returns the launch response."""
    _, state, nonce = start_login(client, platform)
    token = platform.sign(platform.claims(nonce, fixture, **claim_overrides))
    return client.post("/lti/launch", data={"id_token": token, "state": state})


def landed_at(response) -> str:
    """The address a launch left the person at: its redirect's, or that of the page it
    answered with (a new participant's intake: templates/base.html `data-page-url`)."""
    if response.status_code in (302, 303):
        return response.headers["Location"]
    found = PAGE_URL.search(response.get_data(as_text=True))
    assert found, f"{response.status_code}: neither a redirect nor a page's address"
    return html.unescape(found.group(1))


def unsigned_token(claims: dict) -> str:
    return jwt.encode(claims, None, algorithm="none", headers={"kid": "x"})
