"""The deep-linking return: a signed LtiDeepLinkingResponse becomes activities with line
items; anything not signed by the tool, not for this platform, or replayed is refused."""

import time

import pytest

from lti_tool.extensions import db
from lti_tool.sandbox import launch, lms
from lti_tool.sandbox.models import Activity
from tests.support.lms import (
    SANDBOX_URL,
    TOOL_URL,
    authenticate,
    fresh_session,
    id_token_of,
    random_nonce,
    verified_claims,
)

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
RETURN = "/sandbox/deep-link-return?course=2&id=1"


def program_item(title="Spring mentoring", **overrides) -> dict:
    item = {"type": "ltiResourceLink", "title": title, "url": TOOL_URL + "/lti/launch",
            "custom": {"pairwise_program": "prog-42"},
            "lineItem": {"scoreMaximum": 50, "label": title, "tag": "pairwise-participation",
                         "resourceId": "prog-42"}}
    item.update(overrides)
    return item


def response_claims(sandbox, items=None, **overrides) -> dict:
    now = int(time.time())
    target = launch.launch_target("3", None, deep_linking=True)
    claims = {
        "iss": sandbox.client_id, "aud": SANDBOX_URL, "iat": now, "exp": now + 60,
        "nonce": random_nonce(),
        LTI + "deployment_id": sandbox.deployment_id,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        DL + "content_items": [program_item()] if items is None else items,
        DL + "data": launch.deep_linking_data(target),
        DL + "msg": "Program created",
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def post(client, jwt_value: str):
    return client.post(RETURN, data={"JWT": jwt_value})


def activities() -> list[Activity]:
    fresh_session()
    return lms.activities(lms.COURSE_ID)


def test_response_adds_an_activity_with_its_line_item(client, sandbox, tool_key, tool_http):
    response = post(client, tool_key.sign(response_claims(sandbox)))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Activity added" in html and "Program created" in html
    assert f'href="{SANDBOX_URL}/" target="_top"' in html
    [added] = activities()
    assert added.title == "Spring mentoring" and added.url == TOOL_URL + "/lti/launch"
    assert added.custom == {"pairwise_program": "prog-42"}
    item = added.lineitem
    assert item.score_maximum == 50 and item.tag == "pairwise-participation"
    assert item.resource_id == "prog-42" and item.label == "Spring mentoring"


def test_the_new_activity_launches_with_its_line_item(client, sandbox, tool_key, tool_http):
    post(client, tool_key.sign(response_claims(sandbox)))
    [added] = activities()
    page = client.get("/sandbox/").get_data(as_text=True)
    assert "Spring mentoring" in page
    assert page.count(f'name="activity" value="{added.id}"') == 8  # a button per member
    claims = verified_claims(id_token_of(authenticate(client, "6", added.id)[0])[0])
    endpoint = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    assert endpoint["lineitem"].endswith(f"/lineitems/{added.lineitem.id}/lineitem?type_id=1")
    assert claims[LTI + "custom"]["pairwise_program"] == "prog-42"


def test_several_items_and_one_without_grade(client, sandbox, tool_key, tool_http):
    items = [program_item("A"), program_item("B", lineItem=None)]
    items[1].pop("lineItem")
    post(client, tool_key.sign(response_claims(sandbox, items)))
    found = {a.title: a for a in activities()}
    assert set(found) == {"A", "B"}
    assert found["A"].lineitem is not None and found["B"].lineitem is None


def test_no_items_adds_nothing(client, sandbox, tool_key, tool_http):
    response = post(client, tool_key.sign(response_claims(sandbox, items=[])))
    assert response.status_code == 200 and "No activity added" in response.get_data(as_text=True)


def test_bad_signature_is_refused(client, sandbox, other_key, tool_http):
    response = post(client, other_key.sign(response_claims(sandbox)))
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert activities() == []


@pytest.mark.parametrize("overrides", [
    {"aud": "http://localhost:5000/elsewhere"},
    {"aud": None},
    {"exp": int(time.time()) - 600},
    {LTI + "message_type": "LtiResourceLinkRequest"},
    {LTI + "deployment_id": "2"},
    {LTI + "version": None},
    {"nonce": None},
    {DL + "data": None},
    {DL + "data": "forged"},
    {DL + "content_items": [{"type": "html", "html": "<p>hi</p>"}]},
    {DL + "content_items": [{"title": "no type"}]},
], ids=["wrong-aud", "no-aud", "expired", "wrong-type", "wrong-deployment", "no-version",
        "no-nonce", "no-data", "forged-data", "html-item", "untyped-item"])
def test_invalid_responses_are_refused(client, sandbox, tool_key, tool_http, overrides):
    response = post(client, tool_key.sign(response_claims(sandbox, **overrides)))
    assert response.status_code == 400
    assert activities() == []


def test_a_response_is_accepted_once(client, sandbox, tool_key, tool_http):
    token = tool_key.sign(response_claims(sandbox))
    assert post(client, token).status_code == 200
    replay = post(client, token)
    assert replay.status_code == 400 and "replayed" in replay.get_data(as_text=True)
    assert len(activities()) == 1


def test_unknown_issuer_and_garbage_are_refused(client, sandbox, tool_key, tool_http):
    assert post(client, tool_key.sign(response_claims(sandbox, iss="Unknown"))).status_code == 400
    assert post(client, "not.a.jwt").status_code == 400
    assert client.post(RETURN, data={}).status_code == 400


def test_data_of_a_non_instructor_is_refused(client, sandbox, tool_key, tool_http):
    target = launch.LaunchTarget(*launch.launch_target("3", None, True).__dict__.values())
    learner = lms.membership(lms.COURSE_ID, "6")
    forged = launch.deep_linking_data(launch.LaunchTarget(
        target.tool, target.course, learner.user, learner.role, None, True))
    response = post(client, tool_key.sign(response_claims(sandbox, **{DL + "data": forged})))
    assert response.status_code == 400
    db.session.rollback()
    assert activities() == []
