"""Dynamic registration, platform side: the OpenID configuration, single-use registration
tokens, validation of the tool's client registration and Moodle's answer."""

import copy
from urllib.parse import parse_qs, urlsplit

import pytest

from lti_tool.extensions import db
from lti_tool.sandbox import dynreg, launch, platform
from lti_tool.sandbox.models import ToolRegistration
from tests.support.lms import NRPS_SCOPE, SANDBOX_URL, TOOL_URL, bearer

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
REGISTRATION = {
    "application_type": "web",
    "response_types": ["id_token"],
    "grant_types": ["implicit", "client_credentials"],
    "initiate_login_uri": TOOL_URL + "/lti/login",
    "redirect_uris": [TOOL_URL + "/lti/launch"],
    "client_name": "Pairwise",
    "jwks_uri": TOOL_URL + "/lti/jwks",
    "logo_uri": TOOL_URL + "/static/pairwise-icon.svg",
    "token_endpoint_auth_method": "private_key_jwt",
    "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score " + NRPS_SCOPE
             + " https://example.com/not-a-scope",
    TOOL_CONFIGURATION: {
        "domain": "127.0.0.1:5000",
        "target_link_uri": TOOL_URL + "/lti/launch",
        "claims": ["iss", "sub", "name"],
        "messages": [{"type": "LtiDeepLinkingRequest",
                      "target_link_uri": TOOL_URL + "/lti/launch?dl=1"}],
    },
}


@pytest.fixture
def registration_token(sandbox) -> str:
    token = dynreg.issue_registration_token()
    db.session.commit()
    return token


def register(client, token, body=None):
    headers = bearer(token) if token else {}
    return client.post("/sandbox/register", json=body or REGISTRATION, headers=headers)


def test_openid_configuration(client, sandbox):
    config = client.get("/sandbox/.well-known/openid-configuration").json
    assert config["issuer"] == SANDBOX_URL
    assert config["authorization_endpoint"] == SANDBOX_URL + "/auth"
    assert config["token_endpoint"] == SANDBOX_URL + "/token"
    assert config["jwks_uri"] == SANDBOX_URL + "/jwks"
    assert config["registration_endpoint"] == SANDBOX_URL + "/register"
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert NRPS_SCOPE in config["scopes_supported"]
    assert "id_token" in config["response_types_supported"] and config["claims_supported"]
    platform_config = config["https://purl.imsglobal.org/spec/lti-platform-configuration"]
    assert platform_config["product_family_code"] == "sandbox" and platform_config["version"]
    assert [m["type"] for m in platform_config["messages_supported"]] == [
        "LtiResourceLinkRequest", "LtiDeepLinkingRequest"]


def test_registration_token_is_an_hour_long_reg_token(sandbox, registration_token):
    claims = platform.verify(registration_token, "registration")
    assert claims["scope"] == "reg" and claims["exp"] - claims["iat"] == 3600


def test_registration_stores_a_new_tool_and_answers_like_moodle(client, sandbox,
                                                               registration_token):
    response = register(client, registration_token)
    assert response.status_code == 200
    body = response.json
    assert len(body["client_id"]) == 15 and body["client_id"] != sandbox.client_id
    configuration = body[TOOL_CONFIGURATION]
    assert configuration["deployment_id"] == "2"
    assert configuration["target_link_uri"] == TOOL_URL + "/lti/launch"
    assert body["scope"].split() == ["https://purl.imsglobal.org/spec/lti-ags/scope/score",
                                     NRPS_SCOPE]
    db.session.rollback()
    tool = platform.current_registration()
    assert tool.client_id == body["client_id"] and tool.source == "dynamic"
    assert tool.deep_linking_url == TOOL_URL + "/lti/launch?dl=1"
    assert tool.jwks_url == TOOL_URL + "/lti/jwks"
    _, fields = launch.launch_form("3", deep_linking=True)  # the course now launches it
    assert fields["client_id"] == tool.client_id and fields["lti_deployment_id"] == "2"


def test_a_registration_token_is_single_use(client, sandbox, registration_token):
    assert register(client, registration_token).status_code == 200
    again = register(client, registration_token)
    assert again.status_code == 401
    assert again.json["error"] == "invalid_token"
    db.session.rollback()
    assert db.session.query(ToolRegistration).count() == 2


@pytest.mark.parametrize("token", [None, "garbage", "Bearer-less"])
def test_missing_or_bad_token_is_401(client, sandbox, token):
    response = register(client, token)
    assert response.status_code == 401
    assert response.json["error"] == "invalid_token"


def test_another_platform_token_is_not_a_registration_token(client, sandbox, activity):
    _, fields = launch.launch_form("6", activity.id)
    assert register(client, fields["lti_message_hint"]).status_code == 401


def _broken(path: list[str], value):
    body = copy.deepcopy(REGISTRATION)
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is None:
        target.pop(path[-1])
    else:
        target[path[-1]] = value
    return body


@pytest.mark.parametrize(("path", "value"), [
    (["application_type"], "native"),
    (["response_types"], ["code"]),
    (["grant_types"], ["client_credentials"]),
    (["initiate_login_uri"], None),
    (["redirect_uris"], []),
    (["jwks_uri"], "ftp://tool/jwks"),
    (["token_endpoint_auth_method"], "client_secret_basic"),
    ([TOOL_CONFIGURATION], None),
    ([TOOL_CONFIGURATION, "domain"], None),
    ([TOOL_CONFIGURATION, "domain"], "evil.example"),
    ([TOOL_CONFIGURATION, "target_link_uri"], None),
    ([TOOL_CONFIGURATION, "messages"], None),
])
def test_invalid_client_metadata_is_400(client, sandbox, registration_token, path, value):
    response = register(client, registration_token, _broken(path, value))
    assert response.status_code == 400
    assert response.json["error"] == "invalid_client_metadata"
    # a refused request does not use the token up
    assert register(client, registration_token).status_code == 200


def test_register_tool_page_and_start(client, sandbox):
    page = client.get("/sandbox/register-tool").get_data(as_text=True)
    assert 'name="registration-frame"' in page and "org.imsglobal.lti.close" in page
    assert "http://127.0.0.1:5000/lti/register/" in page  # a fresh link of the tool
    response = client.get("/sandbox/register-tool/start?url="
                          "http%3A%2F%2F127.0.0.1%3A5000%2Flti%2Fregister%3Fx%3D1")
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert location.path == "/lti/register" and query["x"] == ["1"]
    assert query["openid_configuration"] == [SANDBOX_URL + "/.well-known/openid-configuration"]
    assert platform.verify(query["registration_token"][0], "registration")["scope"] == "reg"
    assert client.get("/sandbox/register-tool/start?url=javascript:alert(1)").status_code == 400
