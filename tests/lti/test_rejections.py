"""Every bad launch gets a clear 4xx page, one log line with the reason, and leaves the
database exactly as it was."""

import json
import time

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from lti_tool.extensions import db
from tests.support.platform import LTI, new_rsa_key, start_login, unsigned_token


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def tampered(platform, claims):
    token = platform.sign(claims)
    header, payload, signature = token.split(".")
    import base64

    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["sub"] = "1"  # become someone else
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _expired(platform, nonce):
    now = int(time.time())
    return platform.sign(platform.claims(nonce, iat=now - 600, exp=now - 540))


# name -> (build token from (platform, nonce), expected status, expected reason)
CASES = {
    "unsigned alg none": (lambda p, n: unsigned_token(p.claims(n)), 401, "bad_signature"),
    "tampered payload": (lambda p, n: tampered(p, p.claims(n)), 401, "bad_signature"),
    "signed by another key": (lambda p, n: p.sign(p.claims(n), key=new_rsa_key()), 401,
                              "bad_signature"),
    "unknown kid": (lambda p, n: p.sign(p.claims(n), kid="not-a-key"), 401, "bad_signature"),
    "expired": (_expired, 401, "expired_token"),
    "issued in the future": (
        lambda p, n: p.sign(p.claims(n, iat=int(time.time()) + 600, exp=int(time.time()) + 660)),
        401, "bad_signature"),
    "no exp": (lambda p, n: p.sign(p.claims(n, exp=None)), 401, "bad_signature"),
    "unknown issuer": (lambda p, n: p.sign(p.claims(n, iss="https://evil.example")), 400,
                       "unknown_platform"),
    "unknown client id": (lambda p, n: p.sign(p.claims(n, aud="someone-else")), 400,
                          "unknown_platform"),
    "audience list without azp": (
        lambda p, n: p.sign(p.claims(n, aud=[p.client_id, "other"])), 401, "bad_audience"),
    "wrong azp": (lambda p, n: p.sign(p.claims(n, azp="other")), 401, "bad_audience"),
    "unknown deployment": (lambda p, n: p.sign(p.claims(n, **{LTI + "deployment_id": "99"})),
                           403, "unknown_deployment"),
    "no sub": (lambda p, n: p.sign(p.claims(n, sub=None)), 400, "missing_claims"),
    "no roles": (lambda p, n: p.sign(p.claims(n, **{LTI + "roles": None})), 400,
                 "missing_claims"),
    "wrong version": (lambda p, n: p.sign(p.claims(n, **{LTI + "version": "1.1"})), 400,
                      "missing_claims"),
    "no message type": (lambda p, n: p.sign(p.claims(n, **{LTI + "message_type": None})), 400,
                        "unsupported_message"),
    "no resource link": (lambda p, n: p.sign(p.claims(n, **{LTI + "resource_link": None})), 400,
                         "missing_claims"),
    "no context": (lambda p, n: p.sign(p.claims(n, **{LTI + "context": None})), 400,
                   "no_context"),
    "observer role": (lambda p, n: p.sign(p.claims(n, **{
        LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor/Observer"
                        .replace("Mentor/", "")]})), 403, "no_role"),
    "nonce of another login": (lambda p, n: p.sign(p.claims("f" * 64)), 400, "nonce_mismatch"),
    "no nonce": (lambda p, n: p.sign({k: v for k, v in p.claims(n).items() if k != "nonce"}),
                 400, "invalid_launch"),
    "not a jwt": (lambda p, n: "this.is-not-a.jwt", 400, "malformed_token"),
    "two parts": (lambda p, n: "abc.def", 400, "malformed_token"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_id_token_is_refused_cleanly(app, client, platform, caplog, case):
    build, status, reason = CASES[case]
    _, state, nonce = start_login(client, platform)
    token = build(platform, nonce)
    before = table_counts(app)

    response = client.post("/lti/launch", data={"id_token": token, "state": state})

    assert response.status_code == status
    assert b"Pairwise could not open" in response.data
    assert f"reason: <code>{reason}</code>".encode() in response.data
    assert table_counts(app) == before
    lines = [r.getMessage() for r in caplog.records if "lti rejected" in r.getMessage()]
    assert lines == [f"lti rejected: reason={reason} status={status} path=/lti/launch"]


def test_replayed_launch_is_refused(app, client, platform, caplog):
    _, state, nonce = start_login(client, platform)
    token = platform.sign(platform.claims(nonce))
    assert client.post("/lti/launch", data={"id_token": token, "state": state}).status_code == 200
    before = table_counts(app)

    replay = app.test_client(use_cookies=False).post(
        "/lti/launch", data={"id_token": token, "state": state})

    assert replay.status_code == 400
    assert b"already been used" in replay.data
    assert table_counts(app) == before


@pytest.mark.parametrize("state", [None, "", "state-never-issued"])
def test_state_not_issued_by_us_is_refused(app, client, platform, state):
    _, _, nonce = start_login(client, platform)
    data = {"id_token": platform.sign(platform.claims(nonce))}
    if state is not None:
        data["state"] = state
    before = table_counts(app)
    response = client.post("/lti/launch", data=data)
    assert response.status_code == 400
    assert table_counts(app) == before


def _signed(secret: str, salt: str, params: dict) -> str:
    return URLSafeTimedSerializer(secret, salt=salt).dumps(params)


@pytest.mark.parametrize("forge", [
    lambda app, p: _signed("another deployment's secret", "pairwise.lti-state", p),
    lambda app, p: _signed(app.secret_key, "another use of the secret", p),
    lambda app, p: _signed(app.secret_key, "pairwise.lti-state", p)[:-2] + "xx",
], ids=["another secret", "another salt", "altered signature"])
def test_a_state_the_tool_did_not_sign_is_refused(app, client, platform, forge):
    """The state carries the login's nonce and registration, signed: one made or changed
    by anyone else is refused, even with the right nonce inside."""
    _, state, nonce = start_login(client, platform)
    params = {"nonce": nonce, "iss": platform.issuer, "client_id": platform.client_id}
    token = platform.sign(platform.claims(nonce))
    before = table_counts(app)

    response = client.post("/lti/launch", data={"id_token": token, "state": forge(app, params)})

    assert response.status_code == 400
    assert b"state_not_found" in response.data
    assert table_counts(app) == before
    # The login's own state still launches: the refusals spent nothing.
    assert client.post("/lti/launch", data={"id_token": token, "state": state}).status_code \
        == 200


def test_stale_state_is_refused(app, client, platform):
    app.config["LTI_STATE_LIFETIME_SECONDS"] = 0  # states carry whole seconds: any age is too old
    _, state, nonce = start_login(client, platform)
    time.sleep(1.1)
    token = platform.sign(platform.claims(nonce))
    response = client.post("/lti/launch", data={"id_token": token, "state": state})
    assert response.status_code == 400
    assert b"state_not_found" in response.data


def test_missing_id_token_is_refused(client, platform):
    _, state, _ = start_login(client, platform)
    response = client.post("/lti/launch", data={"state": state})
    assert response.status_code == 400
    assert b"missing_token" in response.data


@pytest.mark.parametrize("overrides, reason", [
    ({"iss": "https://unknown.example"}, b"unknown_platform"),
    ({"iss": None}, b"missing_issuer"),
    ({"login_hint": None}, b"missing_login_hint"),
    ({"client_id": "unknown"}, b"unknown_platform"),
    ({"target_link_uri": "https://evil.example/steal"}, b"bad_target_link"),
])
def test_bad_login_initiation_is_refused(app, client, platform, overrides, reason):
    before = table_counts(app)
    response, _, _ = start_login(client, platform, **overrides)
    assert response.status_code == 400
    assert reason in response.data
    assert table_counts(app) == before


def test_platform_key_rotation_is_followed(app, client, platform):
    """A kid missing from the cached JWKS makes the tool fetch the keyset again."""
    _, state, nonce = start_login(client, platform)
    client.post("/lti/launch", data={"id_token": platform.sign(platform.claims(nonce)),
                                     "state": state})
    fetched = platform.jwks_requests
    from tests.support.platform import public_jwk

    platform.key, platform.kid = new_rsa_key(), "rotated"
    platform.jwks = {"keys": [public_jwk(platform.key, "rotated")]}
    _, state, nonce = start_login(client, platform)
    response = client.post("/lti/launch", data={"id_token": platform.sign(platform.claims(nonce)),
                                                "state": state})
    assert response.status_code == 200
    assert platform.jwks_requests == fetched + 1
