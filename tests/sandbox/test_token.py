"""The platform key set and the OAuth2 token endpoint (client credentials with a JWT client
assertion): the checks lti1p3platform leaves out are made."""

import time

import jwt
import pytest

from lti_tool.sandbox import platform
from tests.support.lms import (
    AGS,
    NRPS_SCOPE,
    SANDBOX_URL,
    TOOL_JWKS_URL,
    authenticate,
    client_assertion,
    id_token_of,
    token_request,
)

ALL_SCOPES = " ".join([AGS + "lineitem", AGS + "score", NRPS_SCOPE])


def test_jwks_publishes_the_platform_key_with_kid(client, sandbox):
    keys = client.get("/sandbox/jwks").json["keys"]
    assert len(keys) == 1
    assert keys[0]["kid"] and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"
    assert "d" not in keys[0]  # public only


def test_valid_assertion_gets_a_bearer_token(client, sandbox, tool_key, tool_http):
    response = token_request(client, client_assertion(tool_key, sandbox.client_id), ALL_SCOPES)
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"].split() == [AGS + "lineitem", AGS + "score", NRPS_SCOPE]
    assert response.headers["Cache-Control"] == "no-store"
    assert tool_http.calls and tool_http.calls[0][0] == TOOL_JWKS_URL
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["iss"] == SANDBOX_URL and claims["sub"] == sandbox.client_id


def test_scopes_are_limited_to_the_registered_ones(client, sandbox, tool_key, tool_http):
    scope = f"{AGS}score https://example.com/scope/admin openid"
    response = token_request(client, client_assertion(tool_key, sandbox.client_id), scope)
    assert response.json["scope"] == AGS + "score"


def test_no_registered_scope_is_invalid_scope(client, sandbox, tool_key, tool_http):
    response = token_request(client, client_assertion(tool_key, sandbox.client_id),
                             "https://example.com/scope/admin")
    assert response.status_code == 400
    assert response.json["error"] == "invalid_scope"


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"aud": SANDBOX_URL + "/auth"}, "audience is not the token URL"),
    ({"aud": None}, "no audience"),
    ({"iss": "someone-else"}, "iss is not the client id"),
    ({"exp": int(time.time()) - 120}, "expired"),
    ({"exp": None}, "no expiry"),
    ({"jti": None}, "no jti"),
])
def test_bad_assertion_claims_are_invalid_client(client, sandbox, tool_key, tool_http,
                                                 overrides, reason):
    assertion = client_assertion(tool_key, sandbox.client_id, **overrides)
    response = token_request(client, assertion, ALL_SCOPES)
    assert response.status_code == 401, reason
    assert response.json["error"] == "invalid_client"


def test_assertion_signed_by_another_key_is_refused(client, sandbox, other_key, tool_http):
    response = token_request(client, client_assertion(other_key, sandbox.client_id), ALL_SCOPES)
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


def test_unknown_kid_is_refused(client, sandbox, tool_key, tool_http):
    assertion = tool_key.sign({"iss": sandbox.client_id, "sub": sandbox.client_id,
                               "aud": SANDBOX_URL + "/token", "iat": int(time.time()),
                               "exp": int(time.time()) + 60, "jti": "x"}, kid="unknown")
    assert token_request(client, assertion, ALL_SCOPES).status_code == 401


def test_an_assertion_is_accepted_once(client, sandbox, tool_key, tool_http):
    assertion = client_assertion(tool_key, sandbox.client_id)
    assert token_request(client, assertion, ALL_SCOPES).status_code == 200
    replay = token_request(client, assertion, ALL_SCOPES)
    assert replay.status_code == 401
    assert "replayed" in replay.json["error_description"]


def test_unknown_client_is_invalid_client(client, sandbox, tool_key, tool_http):
    response = token_request(client, client_assertion(tool_key, "NotAClientId123"), ALL_SCOPES)
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


def test_unreachable_jwks_is_invalid_client(client, sandbox, tool_key, tool_http):
    tool_http.documents.clear()  # the tool's JWKS URL now answers 404
    response = token_request(client, client_assertion(tool_key, sandbox.client_id), ALL_SCOPES)
    assert response.status_code == 401
    assert "JWKS" in response.json["error_description"]


def test_wrong_grant_type(client, sandbox, tool_key, tool_http):
    response = token_request(client, client_assertion(tool_key, sandbox.client_id), ALL_SCOPES,
                             grant_type="password")
    assert response.status_code == 400
    assert response.json["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("overrides", [
    {"client_assertion_type": "urn:example:other"},
    {"scope": None},
    {"client_assertion_type": None},
], ids=["other-assertion-type", "no-scope", "no-assertion-type"])
def test_malformed_requests_are_invalid_request(client, sandbox, tool_key, tool_http,
                                                overrides):
    scope = overrides.pop("scope", ALL_SCOPES)
    response = token_request(client, client_assertion(tool_key, sandbox.client_id), scope,
                             **overrides)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


def test_no_assertion_is_invalid_client(client, sandbox):
    response = client.post("/sandbox/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


def test_platform_tokens_cannot_pass_for_each_other(sandbox):
    token = platform.sign({"sandbox_use": "message_hint", "sub": "3"}, 60)
    assert platform.verify(token, "message_hint")["sub"] == "3"
    with pytest.raises(platform.TokenError):
        platform.verify(token, "registration")


MEMBERS = "/sandbox/api/CourseSection/2/bindings/1/memberships"


def _access_claims(sandbox, **overrides) -> dict:
    now = int(time.time())
    claims = {"iss": SANDBOX_URL, "sub": sandbox.client_id, "scopes": NRPS_SCOPE,
              "iat": now, "exp": now + 3600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _platform_signed(claims: dict) -> str:
    key = platform.signing_key()
    return jwt.encode(claims, platform.private_key(key.private_pem), algorithm="RS256",
                      headers={"kid": key.kid})


@pytest.mark.parametrize("overrides", [
    {"exp": int(time.time()) - 10},
    {"exp": None},  # lti1p3platform would accept a token that never expires
    {"iss": "http://elsewhere.example"},
    {"scopes": None},
], ids=["expired", "no-exp", "other-issuer", "no-scopes"])
def test_access_tokens_are_checked(client, sandbox, overrides):
    token = _platform_signed(_access_claims(sandbox, **overrides))
    response = client.get(MEMBERS, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_well_formed_access_token_passes(client, sandbox):
    token = _platform_signed(_access_claims(sandbox))
    assert client.get(MEMBERS, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_an_access_token_signed_by_another_key_is_401(client, sandbox, other_key):
    token = other_key.sign(_access_claims(sandbox), kid=platform.signing_key().kid)
    response = client.get(MEMBERS, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401  # lti1p3platform raised here: a 500


def test_an_id_token_is_not_an_access_token(client, sandbox, activity):
    id_token = id_token_of(authenticate(client, "3", activity.id)[0])[0]
    response = client.get(MEMBERS, headers={"Authorization": f"Bearer {id_token}"})
    assert response.status_code == 401
