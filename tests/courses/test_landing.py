"""`courses.landing`: the signed `/go` links e-mails carry, the activity's address in each LMS
(only from what the platform signed, the return_url trusted on the issuer's origin), and the
page a person's next launch opens."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import url_for

from lti_tool.courses import landing
from lti_tool.courses.models import PendingLanding, Person, Program, ResourceLink
from lti_tool.extensions import db
from lti_tool.timeutil import utcnow
from lti_tool.web.sessions import make_token
from tests.support.clients import Participant
from tests.support.platform import LTI

BASE = "http://127.0.0.1:5000"  # the `app` fixture's BASE_URL
MOODLE_RETURN = ("http://127.0.0.1:8080/mod/lti/return.php?course=2&launch_container=4"
                 "&instanceid=1&sesskey=QTxny5WtEU")  # tests/fixtures/moodle


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


@pytest.fixture
def lena(app, platform):
    """Lena signed in from the Moodle double's activity (resource link "1")."""
    Participant(app, platform, "10", "Learner", "Lena Learner")
    return "10"


def _person(subject: str) -> Person:
    return db.session.scalars(sa.select(Person).filter_by(subject=subject)).one()


def _link(link_id: str) -> ResourceLink:
    return db.session.scalars(sa.select(ResourceLink).filter_by(link_id=link_id)).one()


def _token(link: str) -> str:
    assert link.startswith(f"{BASE}/go/"), link
    return link.removeprefix(f"{BASE}/go/")


# --- The link ----------------------------------------------------------------------------------

def test_a_link_carries_its_person_program_and_page(ctx, lena):
    person, program = _person(lena), db.session.scalars(sa.select(Program)).one()
    link = landing.link_for(person, program, "/pairs/3/messages?tab=new#latest")
    assert landing.read_link(_token(link)) == landing.LinkData(
        person.id, program.id, "/pairs/3/messages?tab=new#latest")
    without = landing.link_for(person, None, "/")
    assert landing.read_link(_token(without)) == landing.LinkData(person.id, None, "/")


def test_the_request_root_serves_when_there_is_no_base_url(app, lena):
    app.config["BASE_URL"] = ""
    with app.test_request_context(base_url="https://tool.example.edu/pairwise/"):
        link = landing.link_for(_person(lena), None, "/pairwise/pairs/1")
    assert link.startswith("https://tool.example.edu/pairwise/go/")


def test_the_link_never_carries_the_senders_session(app, platform):
    mona = Participant(app, platform, "2", "Mentor", "Mona Mentor")  # she acts, Lena is told
    Participant(app, platform, "10", "Learner", "Lena Learner")
    with app.test_request_context(f"/pairs/1/messages?pw={mona.token}"):
        assert "pw=" in url_for("homes.home")  # the page's own links carry Mona's session
        link = landing.link_for(_person("10"), None, "/pairs/1/messages")
    assert "pw=" not in link and mona.token not in link


def test_a_session_token_in_the_destination_never_reaches_the_email(ctx, lena):
    person = _person(lena)
    actor_token = make_token("x" * 43)
    link = landing.link_for(person, None, f"/pairs/1?pw={actor_token}&tab=goals")
    assert actor_token not in link
    assert landing.read_link(_token(link)).destination == "/pairs/1?tab=goals"


@pytest.mark.parametrize("destination", [
    "https://evil.example/pairs/1", "//evil.example/pairs/1", "/\\evil.example",
    "\\\\evil.example", "javascript:alert(1)", "pairs/1", "", "/pairs/1 x", "/pairs\n/1",
    "/pairs/\x7f", "/admin/", "/admin", "/" + "a" * 1024, "http:/evil.example",
])
def test_only_a_local_path_of_the_tool_is_a_destination(ctx, lena, destination):
    with pytest.raises(ValueError, match="Not a local path"):
        landing.link_for(_person(lena), None, destination)


def test_an_altered_link_is_refused(ctx, lena):
    token = _token(landing.link_for(_person(lena), None, "/pairs/1"))
    payload, rest = token.split(".", 1)
    other = landing.link_for(_person(lena), None, "/pairs/2")
    forged = _token(other).split(".", 1)[0] + "." + rest  # another payload, this signature
    for bad in (forged, token[:-2], token + "x", "nonsense", make_token("x" * 43)):
        with pytest.raises(landing.LinkRefused) as refused:
            landing.read_link(bad)
        assert refused.value.reason == "invalid"


def test_a_link_lasts_sixty_days(ctx, lena, monkeypatch):
    person = _person(lena)
    with monkeypatch.context() as past:
        sixty_one_days_ago = time.time() - 61 * 86400
        past.setattr(time, "time", lambda: sixty_one_days_ago)
        old = landing.link_for(person, None, "/")
    with monkeypatch.context() as past:
        fifty_nine_days_ago = time.time() - 59 * 86400
        past.setattr(time, "time", lambda: fifty_nine_days_ago)
        recent = landing.link_for(person, None, "/")
    with pytest.raises(landing.LinkRefused) as refused:
        landing.read_link(_token(old))
    assert refused.value.reason == "expired"
    assert landing.read_link(_token(recent)).person_id == person.id


# --- The recipes: each LMS's addresses ---------------------------------------------------------

@pytest.mark.parametrize(("issuer", "return_url", "family", "root"), [
    ("http://127.0.0.1:8080", MOODLE_RETURN, "moodle", "http://127.0.0.1:8080"),
    ("https://lms.example.edu/moodle",
     "https://lms.example.edu/moodle/mod/lti/return.php?course=2", "moodle",
     "https://lms.example.edu/moodle"),
    ("https://lms.example.edu", "https://LMS.example.edu:443/mod/lti/return.php", "moodle",
     "https://lms.example.edu"),
    ("http://localhost:5000/sandbox", "http://localhost:5000/sandbox/return?course=2&instanceid=4",
     "sandbox", "http://localhost:5000/sandbox"),
    # Another LMS: its issuer, when people browse the issuer's origin.
    ("https://school.example.edu", "https://school.example.edu/courses/42/return", "canvas",
     "https://school.example.edu"),
])
def test_the_web_root_comes_from_a_return_url_on_the_issuers_origin(issuer, return_url,
                                                                     family, root):
    assert landing.web_root(issuer, return_url, family) == root


@pytest.mark.parametrize(("issuer", "return_url"), [
    ("https://lms.example.edu", "https://evil.example/mod/lti/return.php"),  # another host
    ("https://lms.example.edu", "http://lms.example.edu/mod/lti/return.php"),  # another scheme
    ("https://lms.example.edu", "https://lms.example.edu:8443/mod/lti/return.php"),  # port
    ("https://lms.example.edu", "https://evil@lms.example.edu/mod/lti/return.php"),
    ("https://lms.example.edu", "https://lms.example.edu.evil.example/mod/lti/return.php"),
    ("https://lms.example.edu", "https://lms.example.edu/mod/lti/other.php"),  # not its shape
    ("https://lms.example.edu", "javascript:alert(1)"),
    ("https://lms.example.edu", ""),
    ("https://canvas.instructure.com", "https://school.instructure.com/courses/1/x"),
])
def test_a_return_url_elsewhere_is_not_trusted(issuer, return_url):
    assert landing.web_root(issuer, return_url, "moodle") is None
    if "instructure" in issuer:
        assert landing.web_root(issuer, return_url, "canvas") is None


def test_moodle_activity_pages_are_view_php_of_the_instance():
    url = landing.activity_url("moodle", "https://lms.example.edu", None, "17", "4")
    assert url == "https://lms.example.edu/mod/lti/view.php?l=17"
    at_root = landing.activity_url("moodle", "https://lms.example.edu",
                                   "https://lms.example.edu/moodle", "17", "4")
    assert at_root == "https://lms.example.edu/moodle/mod/lti/view.php?l=17"
    # A resource link id that is not an instance id builds nothing.
    assert landing.activity_url("moodle", "https://lms.example.edu", None, "1&x=2", "4") is None
    assert landing.activity_url("moodle", "https://lms.example.edu", None, "١٢", "4") is None


def test_sandbox_activity_pages_launch_as_the_person():
    url = landing.activity_url("sandbox", "http://localhost:5000/sandbox", None, "3", "6")
    assert url == "http://localhost:5000/sandbox/activity/3?user=6"


@pytest.mark.parametrize("family", ["canvas", "sakai", "", "d2l"])
def test_other_lmss_give_no_activity_address(family):
    assert landing.activity_url(family, "https://lms.example.edu", None, "3", "6") is None


def test_no_address_is_built_on_an_issuer_that_is_not_a_web_address():
    assert landing.activity_url("moodle", "javascript:alert(1)//", None, "3", "6") is None
    assert landing.activity_url("moodle", "urn:example:lms", None, "3", "6") is None


# --- Following a link, then launching ---------------------------------------------------------

def _pending(person: Person) -> PendingLanding | None:
    return db.session.scalars(sa.select(PendingLanding).filter_by(person_id=person.id)).first()


def test_following_records_the_page_and_replaces_an_older_one(ctx, lena):
    person, program = _person(lena), db.session.scalars(sa.select(Program)).one()
    landing.arrive(landing.LinkData(person.id, program.id, "/pairs/1"))
    landing.arrive(landing.LinkData(person.id, program.id, "/pairs/1/messages"))
    pending = db.session.scalars(sa.select(PendingLanding)).one()
    assert (pending.person_id, pending.program_id, pending.destination) == (
        person.id, program.id, "/pairs/1/messages")


def test_the_activity_is_the_programs_link_the_person_launched_last(app, platform, lena):
    with app.test_request_context():
        key = db.session.scalars(sa.select(Program)).one().key
    second = {LTI + "resource_link": {"id": "2", "title": "Mentoring, section B"},
              LTI + "custom": {"pairwise_program": key}}
    Participant(app, platform, "10", "Learner", "Lena Learner", **second)  # her last launch
    Participant(app, platform, "20", "Learner", "Luis Learner")  # launched "1" only
    with app.test_request_context():
        program = db.session.scalars(sa.select(Program)).one()  # both links are its
        assert {link.program_id for link in db.session.scalars(sa.select(ResourceLink))} == {
            program.id}
        assert landing.activity_link(_person("10"), program).link_id == "2"
        assert landing.activity_link(_person("20"), program).link_id == "1"
        # Never launched it (a mentor staff added by hand): the program's newest link.
        stranger = Person(platform_id=_person("10").platform_id, subject="30")
        db.session.add(stranger)
        db.session.flush()
        assert landing.activity_link(stranger, program).link_id == "2"


def test_a_launch_of_the_program_opens_the_page_once(ctx, lena):
    person, link = _person(lena), _link("1")
    landing.arrive(landing.LinkData(person.id, link.program_id, "/pairs/1"))
    assert landing.arrival(person, link) == "/pairs/1"
    assert _pending(person) is None
    assert landing.arrival(person, link) is None


def test_a_page_asked_for_too_long_ago_is_dropped(ctx, lena):
    person, link = _person(lena), _link("1")
    asked = utcnow() - timedelta(seconds=601)
    landing.arrive(landing.LinkData(person.id, link.program_id, "/pairs/1"), now=asked)
    assert landing.arrival(person, link) is None
    assert _pending(person) is None


def test_the_window_is_landing_seconds(ctx, lena):
    ctx.config["LANDING_SECONDS"] = 30
    person, link = _person(lena), _link("1")
    landing.arrive(landing.LinkData(person.id, link.program_id, "/pairs/1"),
                   now=utcnow() - timedelta(seconds=25))
    assert landing.arrival(person, link) == "/pairs/1"


def test_a_page_of_another_program_waits_for_that_programs_launch(app, platform, lena):
    Participant(app, platform, "10", "Learner", "Lena Learner",
                **{LTI + "resource_link": {"id": "2", "title": "Another program"}})
    with app.test_request_context():
        person, first, other = _person(lena), _link("1"), _link("2")
        assert first.program_id != other.program_id
        landing.arrive(landing.LinkData(person.id, first.program_id, "/pairs/1"))
        assert landing.arrival(person, other) is None
        assert _pending(person) is not None
        assert landing.arrival(person, first) == "/pairs/1"


def test_a_link_without_a_program_lands_on_any_launch_of_its_course(app, platform, lena):
    Participant(app, platform, "10", "Learner", "Lena Learner",
                **{LTI + "resource_link": {"id": "2", "title": "Another program"}})
    Participant(app, platform, "10", "Learner", "Lena Learner",
                **{LTI + "context": {"id": "9", "title": "Another course"},
                   LTI + "resource_link": {"id": "3", "title": "Elsewhere"}})
    with app.test_request_context():
        person = _person(lena)
        # Her last launch was in the other course: the link goes there.
        landing.arrive(landing.LinkData(person.id, None, "/"))
        assert _pending(person).course_id == _link("3").course_id
        assert landing.arrival(person, _link("2")) is None  # not that course
        assert landing.arrival(person, _link("3")) == "/"


def test_a_link_to_a_deleted_person_or_program_is_gone(ctx, lena):
    person = _person(lena)
    for data in (landing.LinkData(person.id + 100, None, "/"),
                 landing.LinkData(person.id, 999, "/")):
        with pytest.raises(landing.LinkRefused) as refused:
            landing.arrive(data)
        assert refused.value.reason == "gone"
