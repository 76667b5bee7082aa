"""Role checks on every protected route, and sessions that end."""

import pytest

from tests.support.clients import Participant
from tests.support.platform import LTI, launch
from tests.support.statements import StatementLog

STAFF_ONLY = [("get", "/roster"), ("post", "/roster/sync"), ("get", "/deep-link"),
              ("post", "/deep-link")]
SIGNED_IN = [("get", "/"), *STAFF_ONLY]
ADMIN_ONLY = [("get", "/admin/"), ("post", "/admin/platforms"),
              ("post", "/admin/platforms/1/remove"), ("get", "/admin/tool-config"),
              ("get", "/admin/platforms/1/edit"), ("post", "/admin/platforms/1/edit"),
              ("post", "/admin/registration-links"),
              ("post", "/admin/registration-links/1/withdraw")]


@pytest.mark.parametrize("method, path", SIGNED_IN)
def test_no_session_means_401(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code in (401, 400)  # POSTs without CSRF token may stop at 400
    if method == "get":
        assert response.status_code == 401
        assert b"open Pairwise from your course" in response.data


@pytest.mark.parametrize("method, path", STAFF_ONLY)
@pytest.mark.parametrize("role", ["Learner", "Mentor"])
def test_participants_cannot_reach_staff_pages(app, platform, method, path, role):
    person = Participant(app, platform, "4", role, "Sam Student-One")
    app.config["WTF_CSRF_ENABLED"] = False  # reach the role check, not the CSRF check
    response = getattr(person.client, method)(person.url(path))
    assert response.status_code == 403


@pytest.mark.parametrize("method, path", ADMIN_ONLY)
def test_admin_pages_need_the_admin_token(app, client, method, path):
    app.config["WTF_CSRF_ENABLED"] = False  # reach the admin check, not the CSRF check
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert "/admin/sign-in" in response.headers["Location"]


def test_launched_staff_are_not_admins(app, platform):
    client = app.test_client()
    launch(client, platform, **{
        LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]})
    assert client.get("/admin/").status_code == 302


def test_forged_or_expired_session_token_is_refused(app, platform):
    person = Participant(app, platform, "4", "Learner", "Sam Student-One")
    client, token = person.client, person.token
    assert client.get(f"/intake?pw={token}").status_code == 200
    assert client.get(f"/intake?pw={token[:-2]}xx").status_code == 401
    app.config["SESSION_TOKEN_MAX_AGE"] = -1
    assert client.get(f"/intake?pw={token}").status_code == 401


def test_staff_post_without_csrf_token_is_refused(app, platform):
    staff = Participant(app, platform, "4", "Instructor", "Sam Student-One")
    response = staff.client.post(staff.url("/roster/sync"))
    assert response.status_code == 400
    assert b"This form has expired" in response.data


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_roster_lists_staff_then_mentors_then_learners(app, platform):
    from lti_tool.courses.models import Course
    from lti_tool.courses.services import course_roster
    from lti_tool.extensions import db

    for sub, role in (("1", "Learner"), ("2", "Instructor"), ("3", "Mentor")):
        Participant(app, platform, sub, role, f"Person {sub}")
    with app.app_context():
        course = db.session.scalars(db.select(Course)).one()
        assert [e.person.subject for e in course_roster(course)] == ["2", "3", "1"]


def test_who_is_asking_and_from_which_activity_is_one_query(app, platform):
    """The enrolment with its person and course, and the launched activity with its
    program, come in one statement on every page (courses/access.py load_enrolment)."""
    learner = Participant(app, platform, "10", "Learner", "Lena Learner")
    with StatementLog() as log:
        page = learner.get("/intake")
    assert page.status_code == 200
    assert log.reads_of("resource_link") == [] and log.reads_of("program") == []
    [who] = log.reads_of("enrolment")
    assert "JOIN resource_link" in who and "JOIN program" in who
