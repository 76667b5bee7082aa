"""Signed launches end to end through the tool's login and launch endpoints: a platform
double signs Moodle-shaped id_tokens and serves its JWKS over HTTP on loopback."""

import logging

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Course, Enrolment, Person, Program, ResourceLink, Role
from lti_tool.extensions import db
from tests.support.platform import LTI, PlatformDouble, landed_at, launch, start_login


def test_learner_launch_records_everything_and_opens_home(app, client, platform):
    response = launch(client, platform)
    # A learner's first launch answers with the intake, at its own address.
    assert response.status_code == 200
    assert b"Tell us about yourself" in response.data
    assert landed_at(response).startswith("/intake?pw=")

    with app.app_context():
        enrolment = db.session.scalars(sa.select(Enrolment)).one()
        assert enrolment.role == Role.LEARNER
        assert enrolment.person.subject == "4"
        assert enrolment.person.email == "student1@example.com"
        assert enrolment.person.username == "student1"
        assert enrolment.course.context_id == "2"
        assert enrolment.course.title == "LTI Harness 101"
        assert enrolment.course.nrps_url.endswith("/CourseSection/2/bindings/1/memberships")
        link = db.session.scalars(sa.select(ResourceLink)).one()
        assert link.link_id == "1"
        assert link.deployment.deployment_id == "1"
        assert link.ags_lineitem_url.endswith("/lineitems/2/lineitem?type_id=1")
        assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in link.ags_scopes
        assert link.program is not None

    again = client.get(landed_at(response))  # a reload: the intake, not the launch again
    assert again.status_code == 200
    assert b"Tell us about yourself" in again.data


def test_instructor_launch_sees_staff_home(app, client, platform):
    response = launch(client, platform, **{
        LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        "sub": "3", "given_name": "Terry", "name": "Terry Teacher"})
    home = client.get(response.headers["Location"])
    assert home.status_code == 200
    assert b"See the roster" in home.data


def test_second_launch_updates_rather_than_duplicates(app, client, platform):
    launch(client, platform)
    launch(client, platform, email="new@example.com")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 1
        assert db.session.scalars(sa.select(Person)).one().email == "new@example.com"


def test_login_initiation_works_by_get_and_post(client, platform):
    for method in ("get", "post"):
        response, state, nonce = start_login(client, platform, method=method)
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith(platform.issuer + "/mod/lti/auth.php?")
        assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Flti%2Flaunch" in location
        assert "prompt=none" in location and "response_mode=form_post" in location
        assert state and nonce


def test_login_sets_no_state_cookie(client, platform):
    """Nothing reads pylti1p3's 5-minute state cookie (the state is checked server-side), and
    one per login piled up in a browser that relaunched often."""
    for _ in range(3):
        response, _state, _nonce = start_login(client, platform)
        assert not [c for c in response.headers.getlist("Set-Cookie") if "lti1p3-" in c]
    assert launch(client, platform).status_code == 200


def test_launch_works_without_any_cookie(app, platform):
    """Third-party cookies blocked: the signed session token in the URL carries the session."""
    client = app.test_client(use_cookies=False)
    response = launch(client, platform)
    assert response.status_code == 200
    assert b"Tell us about yourself" in response.data
    assert b"Tell us about yourself" in client.get(landed_at(response)).data
    assert client.get("/").status_code == 401  # no cookie, no token: no session


def test_each_launch_gets_its_own_session(app, platform):
    """Two tabs, two courses: each tab's token keeps it on its own launch."""
    client = app.test_client()
    first = landed_at(launch(client, platform))
    other_course = {"id": "77", "label": "OTHER", "title": "Other course"}
    second = landed_at(launch(client, platform, **{LTI + "context": other_course}))
    assert b"LTI Harness 101" in client.get(first, follow_redirects=True).data
    assert b"Other course" in client.get(second, follow_redirects=True).data


def test_deep_linking_program_copied_to_another_course_is_not_shared(app, client, platform):
    with app.app_context():
        launch(client, platform)
        original = db.session.scalars(sa.select(Program)).one()
        key = original.key
    launch(client, platform, **{
        LTI + "context": {"id": "9", "title": "Restored copy"},
        LTI + "custom": {"pairwise_program": key}})
    with app.app_context():
        programs = db.session.scalars(sa.select(Program).order_by(Program.id)).all()
        assert len(programs) == 2
        assert programs[1].course_id != programs[0].course_id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 2


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
                for table in db.metadata.sorted_tables}


@pytest.fixture
def other_platform(app):
    """A second registered platform, with its own issuer, client id and key."""
    double = PlatformDouble(issuer="https://other-lms.example.test", client_id="other-client")
    with app.app_context():
        double.register()
    yield double
    double.close()


def test_a_token_from_another_platform_is_refused_for_this_login(app, client, platform,
                                                                  other_platform, caplog):
    """Platform A starts the login; the launch posts an id_token that platform B signed
    validly, carrying A's nonce and state. It is refused before B's keys are fetched, nothing
    is written, and A's own launch with that state still works."""
    _, state, nonce = start_login(client, platform)
    before = _row_counts(app)
    token = other_platform.sign(other_platform.claims(nonce))

    response = client.post("/lti/launch", data={"id_token": token, "state": state})

    assert response.status_code == 400
    assert b"reason: <code>issuer_mismatch</code>" in response.data
    assert b"another platform than the login that started it" in response.data
    assert _row_counts(app) == before
    assert other_platform.jwks_requests == 0
    assert any("lti rejected: reason=issuer_mismatch" in r.getMessage()
               for r in caplog.records)
    own = platform.sign(platform.claims(nonce))
    assert client.post("/lti/launch", data={"id_token": own, "state": state}).status_code == 200


def test_a_token_for_another_client_of_the_same_issuer_is_refused(app, client, platform):
    """One LMS, two registrations of the tool: the login named one client id, the token is
    for the other."""
    with app.app_context():
        platform.register(client_id="second-client")
    _, state, nonce = start_login(client, platform)
    before = _row_counts(app)
    token = platform.sign(platform.claims(nonce, aud="second-client"))

    response = client.post("/lti/launch", data={"id_token": token, "state": state},
                           headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert response.get_json()["error"] == "issuer_mismatch"
    assert _row_counts(app) == before


def test_a_login_without_client_id_binds_the_registrations(app, client, platform):
    """The login may leave out client_id (the issuer has one registration): the launch must
    then be for that registration's client id."""
    _, state, nonce = start_login(client, platform, client_id=None)
    assert client.post("/lti/launch", data={
        "id_token": platform.sign(platform.claims(nonce)), "state": state}).status_code == 200


BAD_EMAILS = {
    "not an address": "student1 at example.com",
    "two at-signs": "student1@lms@example.com",
    "too long": "s" * 64 + "@" + ".".join(["a" * 60] * 3) + ".example.com",
    "a control character": "student1\n@example.com",
    "a direction override": "student1\u202e@example.com",
    "not text": ["student1@example.com"],
}


@pytest.mark.parametrize("email", BAD_EMAILS.values(), ids=list(BAD_EMAILS))
def test_an_invalid_email_claim_is_not_stored_and_the_launch_goes_on(app, client, platform,
                                                                     caplog, email):
    caplog.set_level(logging.INFO, logger="lti_tool.lti.context")
    response = launch(client, platform, email=email)
    assert response.status_code == 200
    assert b"Tell us about yourself" in response.data
    with app.app_context():
        person = db.session.scalars(sa.select(Person)).one()
        assert person.email == "" and person.subject == "4"
    [line] = [r for r in caplog.records if r.name == "lti_tool.lti.context"]
    assert line.levelno == logging.INFO
    assert "sub='4'" in line.getMessage() and platform.issuer in line.getMessage()
    assert "student1" not in line.getMessage()  # who, never the value


def test_an_email_claim_is_stored_normalised(app, client, platform):
    launch(client, platform, email="  Student1@EXAMPLE.com ")
    with app.app_context():
        assert db.session.scalars(sa.select(Person)).one().email == "Student1@example.com"
