"""Launches: the login initiation the course page POSTs, the OIDC auth endpoint's checks and
the id_token it signs (shaped like the Moodle 5.1 fixtures)."""

from urllib.parse import urlencode

import jwt
import pytest

from lti_tool.extensions import db
from lti_tool.sandbox import launch, platform
from lti_tool.sandbox.testing import parse_form
from tests.support.lms import (
    AGS,
    SANDBOX_URL,
    TOOL_URL,
    auth_query,
    authenticate,
    id_token_of,
    verified_claims,
)

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
LAUNCH_URL = TOOL_URL + "/lti/launch"


def test_launch_form_is_what_moodle_posts(sandbox, activity):
    login_url, fields = launch.launch_form("6", activity.id)
    assert login_url == TOOL_URL + "/lti/login"
    assert fields["iss"] == SANDBOX_URL
    assert fields["login_hint"] == "6"
    assert fields["target_link_uri"] == LAUNCH_URL
    assert fields["client_id"] == sandbox.client_id
    assert fields["lti_deployment_id"] == "1"
    hint = platform.verify(fields["lti_message_hint"], "message_hint")
    assert hint["sub"] == "6" and hint["activity"] == activity.id
    assert hint["exp"] - hint["iat"] <= launch.HINT_LIFETIME


def test_course_page_launch_page_autosubmits_a_post_to_the_tool(client, sandbox, activity):
    response = client.get(f"/sandbox/launch?activity={activity.id}&user=6")
    html = response.get_data(as_text=True)
    action, fields = parse_form(html)
    assert action == TOOL_URL + "/lti/login"
    assert 'method="post"' in html and ".submit()" in html
    assert fields["login_hint"] == "6" and fields["client_id"] == sandbox.client_id


def test_resource_link_id_token_claims(client, sandbox, activity):
    response, query = authenticate(client, "6", activity.id)
    assert response.status_code == 200
    token, fields, action = id_token_of(response)
    assert action == LAUNCH_URL and fields["state"] == query["state"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == platform.signing_key().kid
    claims = verified_claims(token)
    assert claims["exp"] == claims["iat"] + 60
    assert claims["iss"] == SANDBOX_URL
    assert claims["aud"] == sandbox.client_id and isinstance(claims["aud"], str)
    assert "azp" not in claims
    assert claims["sub"] == "6" and claims["nonce"] == query["nonce"]
    assert claims[LTI + "deployment_id"] == "1"
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "target_link_uri"] == LAUNCH_URL
    assert claims[LTI + "roles"] == [MEMBERSHIP + "#Learner"]
    assert claims[LTI + "context"] == {"id": "2", "label": "MENTOR101",
                                       "title": "Mentoring Program 101",
                                       "type": ["CourseSection"]}
    assert claims[LTI + "resource_link"] == {"id": str(activity.id), "title": "Mentoring circle",
                                             "description": "Meet your mentor"}
    assert claims["name"] == "Lena Learner" and claims["given_name"] == "Lena"
    assert claims["family_name"] == "Learner" and claims["email"] == "student1@example.com"
    assert claims[LTI + "ext"] == {"user_username": "student1", "lms": "sandbox"}
    assert claims[LTI + "tool_platform"]["product_family_code"] == "sandbox"
    presentation = claims[LTI + "launch_presentation"]
    assert presentation["locale"] == "en" and presentation["document_target"] == "iframe"
    assert presentation["return_url"].startswith(SANDBOX_URL + "/return?")


def test_resource_link_service_claims(client, sandbox, activity):
    claims = verified_claims(id_token_of(authenticate(client, "6", activity.id)[0])[0])
    memberships = f"{SANDBOX_URL}/api/CourseSection/2/bindings/1/memberships"
    # Tool-level variables expanded as Moodle does: Lena's group, and "99" for a user who
    # never chose a time zone.
    assert claims[LTI + "custom"] == {"pairwise_program": "prog-1",
                                      "context_memberships_url": memberships,
                                      "pairwise_groups": "11", "pairwise_timezone": "99"}
    ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    assert ags["scope"] == [AGS + "lineitem", AGS + "lineitem.readonly",
                            AGS + "result.readonly", AGS + "score"]
    assert ags["lineitems"] == f"{SANDBOX_URL}/api/2/lineitems?type_id=1"
    item_id = activity.lineitem.id
    assert ags["lineitem"] == f"{SANDBOX_URL}/api/2/lineitems/{item_id}/lineitem?type_id=1"
    nrps = claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    assert nrps == {"context_memberships_url": memberships, "service_versions": ["1.0", "2.0"]}
    assert "lis_result_sourcedid" in claims["https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"]


@pytest.mark.parametrize(("user_id", "role"), [
    ("3", MEMBERSHIP + "#Instructor"),
    ("4", MEMBERSHIP + "#Mentor"),
    ("10", MEMBERSHIP + "/Instructor#TeachingAssistant"),
])
def test_roles_are_full_lis_uris(client, sandbox, activity, user_id, role):
    claims = verified_claims(id_token_of(authenticate(client, user_id, activity.id)[0])[0])
    assert claims[LTI + "roles"] == [role]


def test_the_auth_request_may_be_posted(client, sandbox, activity):
    response, _ = authenticate(client, "6", activity.id, method="post")
    assert verified_claims(id_token_of(response)[0])["sub"] == "6"


def test_deep_linking_request_claims(client, sandbox):
    response, _ = authenticate(client, "3", deep_linking=True)
    claims = verified_claims(id_token_of(response)[0])
    assert claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    assert claims[LTI + "target_link_uri"] == LAUNCH_URL
    assert LTI + "resource_link" not in claims
    settings = claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_multiple"] is True and settings["auto_create"] is False
    assert settings["accept_presentation_document_targets"] == ["frame", "iframe", "window"]
    assert settings["deep_link_return_url"] == f"{SANDBOX_URL}/deep-link-return?course=2&id=1"
    assert platform.verify(settings["data"], "deep_linking_data")["sub"] == "3"
    assert "lineitem" not in claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]


def test_only_the_instructor_may_deep_link(sandbox):
    for user_id in ("6", "4", "10"):
        with pytest.raises(launch.LaunchError) as refused:
            launch.launch_form(user_id, deep_linking=True)
        assert refused.value.status == 403


def test_strangers_cannot_launch(sandbox, activity):
    with pytest.raises(launch.LaunchError):
        launch.launch_form("99", activity.id)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"redirect_uri": "https://evil.example/steal"}, "redirect_uri"),
    ({"redirect_uri": TOOL_URL + "/lti/launch/../admin"}, "redirect_uri"),
    ({"nonce": None}, "nonce"),
    ({"state": None}, "nonce, state"),
    ({"response_type": "code"}, "response_type=id_token"),
    ({"response_mode": "query"}, "response_mode=form_post"),
    ({"scope": "profile"}, "scope=openid"),
    ({"prompt": "login"}, "prompt=none"),
    ({"login_hint": "3"}, "login_hint"),
    ({"lti_message_hint": "tampered"}, "lti_message_hint"),
])
def test_auth_refuses_bad_requests(client, sandbox, activity, overrides, message):
    response, _ = authenticate(client, "6", activity.id, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert 'name="id_token"' not in response.get_data(as_text=True)


def test_auth_refuses_an_unknown_client(client, sandbox, activity):
    response, _ = authenticate(client, "6", activity.id, client_id="NotRegistered00")
    assert response.status_code == 400


def test_a_hint_for_another_tool_is_refused(client, sandbox, activity):
    _, fields = launch.launch_form("6", activity.id)
    other = platform.create_registration(name="Other", login_url="https://o.example/login",
                                         launch_url="https://o.example/launch",
                                         deep_linking_url="https://o.example/launch",
                                         jwks_url="https://o.example/jwks",
                                         redirect_uris=["https://o.example/launch"], scopes=[])
    db.session.commit()
    query = auth_query(fields, client_id=other.client_id, redirect_uri="https://o.example/launch")
    response = client.get("/sandbox/auth?" + urlencode(query))
    assert response.status_code == 400
    assert "another tool" in response.get_data(as_text=True)


def test_values_in_the_form_are_escaped(client, sandbox, activity):
    response, _ = authenticate(client, "6", activity.id, state='"><script>alert(1)</script>')
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert parse_form(html)[1]["state"] == '"><script>alert(1)</script>'
