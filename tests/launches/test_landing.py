"""An e-mail's link through the LMS, with real signed launches (the Moodle double signs them):
`/go/<token>` records the page and sends the browser to the activity in the person's LMS; the
person's next launch of the program opens that page instead of their home page, once, with
no cookie (the session travels in the page's URL, as with third-party cookies blocked)."""

import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from lti_tool.courses import landing
from lti_tool.courses.models import PendingLanding, Person, Program, ResourceLink
from lti_tool.extensions import db
from tests.support.clients import Participant
from tests.support.pairs import PublishedPair
from tests.support.platform import LTI, landed_at

ISSUER = "https://moodle.example.test"  # the platform double's
PRESENTATION = LTI + "launch_presentation"


def _link_for(app, subject: str, destination: str, *, program: bool = True) -> str:
    """The path of the `/go` link an e-mail to the person `subject` would carry."""
    with app.test_request_context():
        person = db.session.scalars(sa.select(Person).filter_by(subject=subject)).one()
        found = db.session.scalars(sa.select(Program).order_by(Program.id)).first()
        link = landing.link_for(person, found if program else None, destination)
    return urlsplit(link).path


def _follow(app, path: str):
    """The link opened in a browser that has never seen the tool (no cookie, no token)."""
    return app.test_client(use_cookies=False).get(path)


def _pending(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(sa.select(Person.subject, PendingLanding.destination)
                                  .join(Person, Person.id == PendingLanding.person_id))
        return sorted(tuple(row) for row in rows)


def _launch_lena(app, platform, **claims) -> Participant:
    return Participant(app, platform, "10", "Learner", "Lena Learner", launch=True, **claims)


def _lands_on(person: Participant) -> str:
    """Where the person's launch left them (the path, with the session token removed): a
    redirect's address, or that of the page the launch answered with (the intake)."""
    location = landed_at(person.response)
    assert f"pw={person.token}" in location  # the session travels with the address
    return location.split("?")[0]


def test_a_link_then_a_launch_lands_on_the_page(app, platform, pair: PublishedPair):
    hub = f"/pairs/{pair.pair_id}"
    followed = _follow(app, _link_for(app, "10", hub))
    assert followed.status_code == 303
    assert followed.headers["Location"] == f"{ISSUER}/mod/lti/view.php?l=1"
    assert followed.headers["Cache-Control"] == "no-store"
    assert _pending(app) == [("10", hub)]

    lena = _launch_lena(app, platform)  # no cookie: the session is in the URL
    assert _lands_on(lena) == hub
    page = lena.get(hub)
    assert page.status_code == 200 and b"You and Mona Mentor" in page.data
    assert _pending(app) == []  # used once: the next launch opens the home page
    assert _lands_on(_launch_lena(app, platform)) == "/"


def test_the_page_keeps_its_query_and_fragment(app, platform, pair: PublishedPair):
    page = f"/pairs/{pair.pair_id}/messages?tab=all#latest"
    _follow(app, _link_for(app, "10", page))
    location = _launch_lena(app, platform).response.headers["Location"]
    parts = urlsplit(location)
    assert parts.path == f"/pairs/{pair.pair_id}/messages" and parts.fragment == "latest"
    assert parts.query.startswith("tab=all&pw=")


def test_after_ten_minutes_the_launch_opens_the_home_page(app, platform, pair: PublishedPair):
    _follow(app, _link_for(app, "10", f"/pairs/{pair.pair_id}"))
    with app.app_context():
        pending = db.session.scalars(sa.select(PendingLanding)).one()
        pending.created_at -= timedelta(minutes=10, seconds=5)
        db.session.commit()
    assert _lands_on(_launch_lena(app, platform)) == "/"
    assert _pending(app) == []


def test_another_persons_launch_does_not_use_it(app, platform, pair: PublishedPair):
    hub = f"/pairs/{pair.pair_id}"
    _follow(app, _link_for(app, "10", hub))  # Lena's link, opened (or forwarded to Mona)
    mona = Participant(app, platform, "2", "Mentor", "Mona Mentor", launch=True)
    assert _lands_on(mona) == "/"
    assert _pending(app) == [("10", hub)]
    assert _lands_on(_launch_lena(app, platform)) == hub


def test_a_launch_of_another_program_leaves_it_waiting(app, platform, pair: PublishedPair):
    hub = f"/pairs/{pair.pair_id}"
    _follow(app, _link_for(app, "10", hub))
    other = _launch_lena(app, platform, **{
        LTI + "resource_link": {"id": "2", "title": "Another program"}})
    assert _lands_on(other) == "/intake"  # a new program: its intake first, not the link's page
    assert _pending(app) == [("10", hub)]
    assert _lands_on(_launch_lena(app, platform)) == hub


def test_a_second_link_replaces_the_first(app, platform, pair: PublishedPair):
    _follow(app, _link_for(app, "10", f"/pairs/{pair.pair_id}"))
    _follow(app, _link_for(app, "10", f"/pairs/{pair.pair_id}/messages"))
    assert _pending(app) == [("10", f"/pairs/{pair.pair_id}/messages")]
    assert _lands_on(_launch_lena(app, platform)) == f"/pairs/{pair.pair_id}/messages"


def test_a_deep_linking_launch_does_not_use_it(app, platform, pair: PublishedPair):
    _follow(app, _link_for(app, "1", "/roster"))
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor", launch=True,
                        fixture="deep-linking-request")
    assert staff.response.headers["Location"].startswith("/deep-link")
    assert _pending(app) == [("1", "/roster")]


# --- Where the link sends the browser ---------------------------------------------------------

def test_moodles_wwwroot_comes_from_the_return_url_on_the_issuers_origin(app, platform):
    _launch_lena(app, platform, **{PRESENTATION: {
        "locale": "en", "document_target": "iframe",
        "return_url": f"{ISSUER}/lms/mod/lti/return.php?course=2&instanceid=1&sesskey=s3"}})
    with app.app_context():
        assert db.session.scalars(sa.select(ResourceLink)).one().lms_web_root == \
            f"{ISSUER}/lms"
    followed = _follow(app, _link_for(app, "10", "/"))
    assert followed.headers["Location"] == f"{ISSUER}/lms/mod/lti/view.php?l=1"


def test_a_return_url_on_another_origin_is_ignored(app, platform):
    _launch_lena(app, platform, **{PRESENTATION: {
        "locale": "en", "return_url": "https://evil.example/mod/lti/return.php?instanceid=1"}})
    with app.app_context():
        assert db.session.scalars(sa.select(ResourceLink)).one().lms_web_root is None
    followed = _follow(app, _link_for(app, "10", "/"))
    assert followed.headers["Location"] == f"{ISSUER}/mod/lti/view.php?l=1"


def test_an_lms_without_activity_addresses_gets_a_page_saying_where_to_look(app, platform):
    _launch_lena(app, platform, **{
        LTI + "tool_platform": {"product_family_code": "canvas"},
        LTI + "context": {"id": "2", "title": "Mentoring <b>101</b>"},
        LTI + "resource_link": {"id": "1", "title": "Find a mentor"},
        PRESENTATION: {"locale": "en", "return_url": f"{ISSUER}/courses/2/external_tools/x"}})
    page = _follow(app, _link_for(app, "10", "/"))
    assert page.status_code == 200
    text = page.data.decode()
    assert "Open the course “Mentoring &lt;b&gt;101&lt;/b&gt;”." in text
    assert "Open the activity “Find a mentor”." in text
    assert f'href="{ISSUER}" rel="noopener noreferrer">Test Moodle</a>' in text
    assert "If you open it within 10 minutes, Pairwise takes you straight" in text
    assert _pending(app) == [("10", "/")]  # the launch they make by hand still lands


def test_no_lms_address_is_offered_unless_a_launch_showed_it(app, platform):
    _launch_lena(app, platform, **{
        LTI + "tool_platform": {"product_family_code": "sakai"},
        PRESENTATION: {"locale": "en", "return_url": "https://elsewhere.example/portal"}})
    page = _follow(app, _link_for(app, "10", "/"))
    assert page.status_code == 200
    assert "https://elsewhere.example" not in page.data.decode()
    assert f'href="{ISSUER}' not in page.data.decode()


# --- Links that lead nowhere ------------------------------------------------------------------

@pytest.mark.parametrize(("mangle", "status", "title"), [
    (lambda token: token[:-3], 400, "This link does not work"),
    (lambda token: "A" + token[1:], 400, "This link does not work"),
])
def test_an_altered_link_gets_a_clear_page_and_a_log_line(app, platform, caplog, mangle,
                                                         status, title):
    _launch_lena(app, platform)
    path = _link_for(app, "10", "/")
    caplog.set_level(logging.INFO, logger="lti_tool.launches.landing")
    token = path.removeprefix("/go/")
    page = _follow(app, f"/go/{mangle(token)}")
    assert page.status_code == status and title in page.data.decode()
    assert "landing link refused: reason=invalid" in caplog.text
    assert token not in caplog.text
    assert _pending(app) == []


def test_an_expired_link_says_so(app, platform, monkeypatch):
    _launch_lena(app, platform)
    sixty_one_days_ago = time.time() - 61 * 86400
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: sixty_one_days_ago)
        path = _link_for(app, "10", "/")
    page = _follow(app, path)
    assert page.status_code == 410
    assert "This link has expired" in page.data.decode()


def test_a_link_to_someone_no_longer_there_is_gone(app, platform):
    _launch_lena(app, platform)
    path = _link_for(app, "10", "/")
    with app.app_context():
        db.session.delete(db.session.scalars(sa.select(Person)).one())
        db.session.commit()
    page = _follow(app, path)
    assert page.status_code == 410 and "no longer leads anywhere" in page.data.decode()


def test_the_go_page_opens_no_other_site(app, platform):
    """Whatever the path holds, the redirect goes to the platform the person launched from."""
    _launch_lena(app, platform)
    browser = app.test_client(use_cookies=False)
    for path in ("/go/https:%2F%2Fevil.example", "/go/%2F%2Fevil.example", "/go/",
                 "/go/evil.example"):
        response = browser.get(path, follow_redirects=True)
        assert response.status_code in (400, 404)
        for step in response.history:  # Werkzeug's own redirects: merged slashes
            assert urlsplit(step.headers["Location"]).netloc in ("", "localhost")  # the test host
