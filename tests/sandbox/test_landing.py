"""The sandbox LMS's side of e-mail links: its launches say where its pages are as Moodle's do
(launch_presentation.return_url on its issuer, tool_platform.product_family_code), and each
activity has a page of its own that launches it in an iframe, where the tool's `/go` links
send people."""

import re

from lti_tool.courses import landing
from lti_tool.sandbox import lms
from tests.support.lms import SANDBOX_URL, authenticate, id_token_of, verified_claims

LTI = "https://purl.imsglobal.org/spec/lti/claim/"


def test_a_launch_tells_the_tool_where_the_activity_page_is(client, sandbox, activity):
    response, _ = authenticate(client, "6", activity.id)
    claims = verified_claims(id_token_of(response)[0])
    family = claims[LTI + "tool_platform"]["product_family_code"]
    return_url = claims[LTI + "launch_presentation"]["return_url"]
    assert family == "sandbox"
    assert return_url == f"{SANDBOX_URL}/return?course=2&instanceid={activity.id}"
    root = landing.web_root(claims["iss"], return_url, family)
    assert root == SANDBOX_URL
    url = landing.activity_url(family, claims["iss"], root,
                               claims[LTI + "resource_link"]["id"], claims["sub"])
    assert url == f"{SANDBOX_URL}/activity/{activity.id}?user=6"
    assert client.get(url.removeprefix("http://localhost:5000")).status_code == 200


def test_the_activity_page_launches_as_its_user_in_the_iframe(client, sandbox, activity):
    page = client.get(f"/sandbox/activity/{activity.id}?user=6").get_data(as_text=True)
    assert "<h1>Mentoring circle</h1>" in page
    assert "Signed in to the sandbox as Lena Learner (Learner)." in page
    frame = re.search(r'<iframe name="tool-frame"[^>]*>', page).group(0)
    assert f'src="/sandbox/launch?activity={activity.id}&amp;user=6"' in frame
    assert "Launch as" not in page  # no choice to make: the LMS knows who is browsing


def test_without_a_user_the_activity_page_offers_each_member(client, sandbox, activity):
    page = client.get(f"/sandbox/activity/{activity.id}").get_data(as_text=True)
    assert page.count("Launch as ") == len(lms.DEMO_PEOPLE)
    assert "src=" not in re.search(r'<iframe name="tool-frame"[^>]*>', page).group(0)
    stranger = client.get(f"/sandbox/activity/{activity.id}?user=99").get_data(as_text=True)
    assert "User 99 is not enrolled in MENTOR101." in stranger
    assert "Launch as Lena Learner" in stranger


def test_an_unknown_activity_has_no_page(client, sandbox):
    assert client.get("/sandbox/activity/999").status_code == 404


def test_the_course_page_links_each_activity_to_its_page(client, sandbox, activity):
    page = client.get("/sandbox/").get_data(as_text=True)
    assert f'<a href="/sandbox/activity/{activity.id}">Mentoring circle</a>' in page
