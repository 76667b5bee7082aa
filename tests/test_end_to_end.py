"""The tool and the sandbox LMS over real HTTP (tool on 127.0.0.1, sandbox on localhost):
deep linking, launches as each role, the roster read through NRPS, a score posted through AGS
arriving in the sandbox gradebook, and dynamic registration."""

import re

import requests
import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, ResourceLink, Role
from lti_tool.extensions import db
from lti_tool.lti import registration_links
from lti_tool.lti.advantage import Score, post_score
from lti_tool.lti.models import Platform
from lti_tool.sandbox import dynreg
from lti_tool.sandbox import models as lms_models
from lti_tool.sandbox.lms import DEMO_PEOPLE
from lti_tool.sandbox.testing import browser_launch, launch_form, parse_form

INSTRUCTOR, MENTOR, LEARNER = "3", "4", "6"



def launch_as(server, user_id, activity_id=None, deep_linking=False, http=None):
    http = http or requests.Session()
    with server.app.app_context():
        login_url, fields = launch_form(user_id, activity_id, deep_linking=deep_linking)
    return http, browser_launch(http, login_url, fields).response


def add_activity(server, title="Spring mentoring", score_maximum="60"):
    """The instructor's 'Add activity': deep linking through the tool's program form."""
    http, page = launch_as(server, INSTRUCTOR, deep_linking=True)
    assert page.status_code == 200 and "Add a mentoring program" in page.text
    action, fields = parse_form(page.text, page.url)
    fields.update(title=title, description="Pairs for the spring term",
                  score_maximum=score_maximum, meeting_minutes="30")
    handoff = http.post(action, data=fields, timeout=10)
    assert handoff.status_code == 200
    return_url, jwt_fields = parse_form(handoff.text, handoff.url)
    assert return_url.startswith(server.sandbox_url)
    returned = http.post(return_url, data=jwt_fields, timeout=10)
    assert returned.status_code == 200
    with server.app.app_context():
        activity = db.session.scalars(sa.select(lms_models.Activity)).one()
        return activity.id


def test_deep_linking_creates_the_activity_and_its_grade_item(live_sandbox):
    activity_id = add_activity(live_sandbox)
    with live_sandbox.app.app_context():
        activity = db.session.get(lms_models.Activity, activity_id)
        assert activity.title == "Spring mentoring"
        assert "pairwise_program" in activity.custom
        [lineitem] = activity.lineitems
        assert lineitem.score_maximum == 60
        assert lineitem.tag == "pairwise-participation"


def test_launches_as_instructor_mentor_and_learner(live_sandbox):
    activity_id = add_activity(live_sandbox)
    _, learner = launch_as(live_sandbox, LEARNER, activity_id)
    # A first launch answers with the intake, at the intake's own address.
    assert learner.url == live_sandbox.tool_url + "/lti/launch"
    assert re.search(r'<body data-page-url="/intake\?pw=[^"]+"', learner.text)
    assert "Tell us about yourself" in learner.text and "Spring mentoring" in learner.text
    _, mentor = launch_as(live_sandbox, MENTOR, activity_id)
    assert "What can you help others with?" in mentor.text
    _, staff = launch_as(live_sandbox, INSTRUCTOR, activity_id)
    assert "See the roster" in staff.text
    with live_sandbox.app.app_context():
        roles = {e.person.subject: e.role for e in db.session.scalars(sa.select(Enrolment))}
        assert roles == {LEARNER: Role.LEARNER, MENTOR: Role.MENTOR, INSTRUCTOR: Role.STAFF}
        link = db.session.scalars(sa.select(ResourceLink)).one()
        assert link.program.title == "Spring mentoring"  # the program deep linking created
        assert link.program.score_maximum == 60
        assert "/lineitem?type_id=" in link.ags_lineitem_url


def test_staff_read_the_roster_through_nrps(live_sandbox):
    activity_id = add_activity(live_sandbox)
    http, home = launch_as(live_sandbox, INSTRUCTOR, activity_id)
    roster = http.get(re.search(r'href="(/roster\?pw=[^"]+)"', home.text).group(1)
                      .replace("&amp;", "&").join([live_sandbox.tool_url, ""]), timeout=10)
    assert "Mona" not in roster.text  # mentors who never launched are not known yet
    action, fields = parse_form(roster.text, roster.url)
    synced = http.post(action, data=fields, timeout=10)
    assert synced.status_code == 200
    members = len(DEMO_PEOPLE)
    assert f"Roster updated: {members} members, {members - 1} new." in synced.text
    for name in ("Mona", "Mateo", "Lena", "Luis", "Lucia", "Liam"):
        assert name in synced.text
    with live_sandbox.app.app_context():
        from_roster = db.session.scalars(
            sa.select(Enrolment).where(Enrolment.source == "roster")).all()
        assert {e.role for e in from_roster} == {Role.MENTOR, Role.LEARNER, Role.STAFF}


def test_scores_posted_through_ags_reach_the_gradebook(live_sandbox):
    activity_id = add_activity(live_sandbox)
    launch_as(live_sandbox, LEARNER, activity_id)
    with live_sandbox.app.app_context():
        link = db.session.scalars(sa.select(ResourceLink)).one()
        post_score(link, Score(user_id=LEARNER, score_given=45, score_maximum=60,
                               comment="3/4 meetings held, agreement signed",
                               activity_progress="InProgress"))
        post_score(link, Score(user_id="7", score_given=None, score_maximum=60,
                               grading_progress="Pending", activity_progress="Started"))
        db.session.commit()
        scores = {s.user_id: s for s in db.session.scalars(sa.select(lms_models.Score))}
        assert scores[LEARNER].score_given == 45
        assert scores["7"].score_given is None
    gradebook = requests.get(live_sandbox.sandbox_url + "/gradebook", timeout=10)
    assert "3/4 meetings held, agreement signed" in gradebook.text
    assert "45" in gradebook.text


def test_a_restored_launch_has_working_services(live_sandbox):
    """A deep-linking launch is restored to answer it (lti/deep_linking.py); pylti1p3's
    from_cache would hand back a connector that cannot get tokens."""
    from pylti1p3.contrib.flask import FlaskRequest

    from lti_tool.lti.protocol import ToolMessageLaunch
    from lti_tool.lti.tool_conf import DatabaseToolConf
    from lti_tool.web.sessions import WebSession

    add_activity(live_sandbox)
    app = live_sandbox.app
    with app.app_context():
        instructor = db.session.scalars(
            sa.select(Enrolment).where(Enrolment.role == Role.STAFF)).one()
        sessions = db.session.scalars(sa.select(WebSession)).all()
        launch_id = next(s.data["launch_id"] for s in sessions
                         if s.data.get("enrolment_id") == instructor.id)
    with app.test_request_context("/"):
        message = ToolMessageLaunch.restore(launch_id, FlaskRequest(), DatabaseToolConf())
        members = message.get_nrps().get_members()
        assert len(members) == len(DEMO_PEOPLE) and all(m["roles"] for m in members)
        [lineitem] = message.get_ags().get_lineitems()
        assert lineitem["scoreMaximum"] == 60


def test_a_resource_link_launch_keeps_no_copy_of_its_claims(live_sandbox):
    """Its claims are recorded as rows; only a deep-linking launch is kept whole."""
    from lti_tool.lti.models import LaunchData

    activity_id = add_activity(live_sandbox)
    launch_as(live_sandbox, LEARNER, activity_id)
    with live_sandbox.app.app_context():
        kept = [row.value for row in db.session.scalars(sa.select(LaunchData))
                if isinstance(row.value, dict) and "sub" in row.value]
        assert [claims["sub"] for claims in kept] == [INSTRUCTOR]  # the deep-linking launch


def registration_start(server) -> str:
    """The sandbox's "register a tool" iframe URL for a fresh registration link of the tool,
    as the tool's admin makes one and Moodle opens it (parameters added to the link)."""
    with server.app.test_request_context():
        link = registration_links.issue(label="Demo Moodle").url
        url = dynreg.start_url(link)
        db.session.commit()  # the link and the registration token the sandbox issued
    return url


def test_dynamic_registration_with_the_sandbox(live_sandbox):
    http = requests.Session()
    url = registration_start(live_sandbox)
    assert "/lti/register/" in url
    confirm = http.get(url, timeout=10)
    assert confirm.status_code == 200 and "Register Pairwise" in confirm.text
    assert "Demo Moodle" in confirm.text
    action, fields = parse_form(confirm.text, confirm.url)
    done = http.post(action, data=fields, timeout=10)
    assert done.status_code == 200, done.text
    assert "is registered" in done.text and "pending" in done.text
    assert "data-lti-close" in done.text
    with live_sandbox.app.app_context():
        dynamic = db.session.scalars(
            sa.select(Platform).where(Platform.registered_via == "dynamic")).one()
        assert dynamic.issuer == live_sandbox.sandbox_url
        assert dynamic.deployment_ids  # Moodle returns the deployment id
        tool = db.session.scalars(sa.select(lms_models.ToolRegistration)
                                  .where(lms_models.ToolRegistration.client_id
                                         == dynamic.client_id)).one()
        assert tool.jwks_url == live_sandbox.tool_url + "/lti/jwks"
        assert "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly" in tool.scopes
    # The link is single use: replaying the registration is refused before any fetch.
    again = http.post(action, data=fields, timeout=10)
    assert again.status_code == 410 and "already used" in again.text


def test_dynamic_registration_refuses_a_configuration_for_another_issuer(live_sandbox):
    http = requests.Session()
    url = registration_start(live_sandbox)
    # The same configuration, but reached under another host: its issuer is not that host's.
    url = url.replace("openid_configuration=http%3A%2F%2Flocalhost",
                      "openid_configuration=http%3A%2F%2F127.0.0.1")
    confirm = http.get(url, timeout=10)
    action, fields = parse_form(confirm.text, confirm.url)
    refused = http.post(action, data=fields, timeout=10)
    assert refused.status_code == 502
    assert "its answer was not an LTI registration" in refused.text
    with live_sandbox.app.app_context():
        assert db.session.scalars(sa.select(Platform).where(
            Platform.registered_via == "dynamic")).all() == []
