"""Over real HTTP (the `live_server` fixture: tool on 127.0.0.1, sandbox on localhost): the
sandbox fetches the tool's real JWKS, and a launch runs end to end through the tool."""

import re
import time
import uuid

import jwt
import requests

from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.models import Platform
from lti_tool.sandbox import lms, platform
from lti_tool.sandbox.setup import add_activity, setup_sandbox
from lti_tool.sandbox.testing import browser_launch, launch_form, parse_form

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def _set_up(live_server):
    with live_server.app.app_context():
        result = setup_sandbox(live_server.tool_url)
        activity = add_activity("Mentoring circle")
        assert activity.url == live_server.tool_url + "/lti/launch"
        return result.tool.client_id, activity.id


def test_token_endpoint_fetches_the_tools_jwks_over_http(live_server):
    client_id, _ = _set_up(live_server)
    with live_server.app.app_context():
        key = keys.ensure_key()
        private_pem, kid = key.private_pem, key.kid
    now = int(time.time())
    assertion = jwt.encode({"iss": client_id, "sub": client_id,
                            "aud": live_server.sandbox_url + "/token", "iat": now,
                            "exp": now + 60, "jti": str(uuid.uuid4())},
                           private_pem, algorithm="RS256", headers={"kid": kid})
    response = requests.post(live_server.sandbox_url + "/token", timeout=10, data={
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion, "scope": NRPS_SCOPE})
    assert response.status_code == 200, response.text
    members = requests.get(
        live_server.sandbox_url + "/api/CourseSection/2/bindings/1/memberships?limit=2",
        headers={"Authorization": "Bearer " + response.json()["access_token"]}, timeout=10)
    assert members.status_code == 200
    assert members.headers["Link"].endswith('limit=2&from=2>; rel="next"')


def test_a_learner_launch_runs_through_the_tool(live_server):
    _, activity_id = _set_up(live_server)
    with live_server.app.app_context():
        login_url, fields = launch_form("6", activity_id)
    assert login_url == live_server.tool_url + "/lti/login"
    trace = browser_launch(requests.Session(), login_url, fields)
    assert trace.auth_page.url.startswith(live_server.sandbox_url + "/auth?")
    assert trace.claims["sub"] == "6"
    assert trace.claims[LTI + "roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    assert trace.response.status_code == 200, trace.response.text[:500]
    assert trace.response.url.startswith(live_server.tool_url)


def test_deep_linking_adds_an_activity_through_the_tool(live_server):
    _set_up(live_server)
    with live_server.app.app_context():
        login_url, fields = launch_form("3", deep_linking=True)
    browser = requests.Session()
    trace = browser_launch(browser, login_url, fields)
    assert trace.claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    assert trace.response.status_code == 200, trace.response.text[:500]
    # The tool's "add a program" form, then its auto-submitting deep-linking response.
    action, form = parse_form(trace.response.text, trace.response.url)
    form.update(title="Spring cohort", score_maximum="50", meeting_minutes="30")
    answer = browser.post(action, data=form, timeout=10)
    return_url, response_form = parse_form(answer.text, answer.url)
    assert return_url == live_server.sandbox_url + "/deep-link-return?course=2&id=1"
    added = browser.post(return_url, data=response_form, timeout=10)
    assert added.status_code == 200 and "Activity added" in added.text, added.text[:500]
    with live_server.app.app_context():
        activity = lms.activities(lms.COURSE_ID)[-1]
        assert activity.title == "Spring cohort"
        assert activity.lineitem.score_maximum == 50
        assert activity.custom.get("pairwise_program")


def test_dynamic_registration_through_the_tool(live_server):
    _set_up(live_server)
    browser = requests.Session()
    # The sandbox's page comes with a fresh registration link of the tool, as its admin makes.
    page = browser.get(live_server.sandbox_url + "/register-tool", timeout=10)
    link = re.search(r'id="tool-url"[^>]*value="([^"]+)"', page.text).group(1)
    assert link.startswith(live_server.tool_url + "/lti/register/")
    confirm = browser.get(live_server.sandbox_url + "/register-tool/start", timeout=10,
                          params={"url": link})
    assert confirm.status_code == 200 and confirm.url.startswith(
        link + "?openid_configuration=")
    action, form = parse_form(confirm.text, confirm.url)
    done = browser.post(action, data=form, timeout=10)
    assert done.status_code == 200, done.text[:500]
    with live_server.app.app_context():
        tool = platform.current_registration()
        assert tool.source == "dynamic" and tool.deployment_id == "2"
        assert tool.login_url == live_server.tool_url + "/lti/login"
        registered = db.session.scalars(
            db.select(Platform).where(Platform.client_id == tool.client_id)).one()
        assert registered.issuer == live_server.sandbox_url
        assert registered.deployment_ids == ["2"]
    again = browser.post(action, data=form, timeout=10)  # the link was single use
    assert again.status_code == 410
