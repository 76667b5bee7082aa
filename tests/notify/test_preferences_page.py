"""The Notifications page: anyone launched into a course reaches it from the site's header,
sees the topics that concern them (the staff topic for staff only), with what "off" still
sends for essential topics, and changes only their own choices, with a CSRF token."""

import re

import sqlalchemy as sa

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.notify.models import Preference
from lti_tool.web.sessions import read_token
from tests.support.clients import Participant

PAGE = "/notifications/"
TOPICS = ("pairing", "meetings", "agreement", "checkins", "messages", "actions", "events")


def person_id(app, sub: str) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(Person.id).filter_by(subject=sub)).one()


def stored(app) -> dict[tuple[int, str], str]:
    with app.app_context():
        return {(p.person_id, p.topic): p.mode for p in db.session.scalars(
            sa.select(Preference))}


def checked(page: str, topic: str) -> str:
    """The value of the topic's checked radio button."""
    return re.search(rf'<input checked id="{topic}-\d" name="{topic}"[^>]* value="(\w+)"',
                     page).group(1)


def choices(**changed) -> dict[str, str]:
    return {**dict.fromkeys(TOPICS, "email"), **changed}


def test_participants_see_their_topics_staff_also_the_staff_topic(app, platform):
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    iris = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    page = lena.get(PAGE).get_data(as_text=True)
    assert "<h1>Notifications</h1>" in page
    assert 'name="pairing"' in page and 'name="checkins"' in page and 'name="staff"' not in page
    assert page.count('type="radio"') == 3 * len(TOPICS)
    assert all(checked(page, topic) == "email" for topic in TOPICS)  # the default
    # "Off" is explained where something essential still comes, and plain elsewhere.
    assert "Off, except what is essential" in page
    assert "Off still sends what is essential: meeting invitations, changes and " \
           "cancellations." in page
    assert "Off sends nothing about this topic." in page
    staff_page = iris.get(PAGE).get_data(as_text=True)
    assert 'name="staff"' in staff_page and "a pair closed for inactivity" in staff_page


def test_the_header_of_every_page_links_to_it(app, platform):
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    for path in ("/privacy/", PAGE):
        page = lena.get(path).get_data(as_text=True)
        link = re.search(rf'<a class="notifications" href="{PAGE}\?pw=([\w.-]+)">'
                         r"Notifications</a>", page)
        # The token is signed again for each page (its timestamp may differ by a second):
        # what matters is that it opens Lena's session.
        with app.test_request_context():
            assert read_token(link.group(1)) == read_token(lena.token) is not None


def test_choices_are_saved_for_the_person_only(app, platform):
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    mona = Participant(app, platform, "2", "Mentor", "Mona Mentor")
    lena_id, mona_id = person_id(app, "10"), person_id(app, "2")
    response = lena.post(PAGE, {**choices(messages="digest", checkins="off"),
                                "person_id": str(mona_id)}, page=PAGE)
    assert response.status_code == 303 and response.headers["Location"].startswith(PAGE)
    assert stored(app) == {(lena_id, "messages"): "digest", (lena_id, "checkins"): "off"}
    page = lena.get(PAGE).get_data(as_text=True)
    assert "Your notification choices are saved." in page
    assert (checked(page, "messages"), checked(page, "checkins")) == ("digest", "off")
    mona.post(PAGE, choices(messages="off"), page=PAGE)
    assert stored(app) == {(lena_id, "messages"): "digest", (lena_id, "checkins"): "off",
                           (mona_id, "messages"): "off"}


def test_a_participant_cannot_choose_the_staff_topic(app, platform):
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    lena.post(PAGE, {**choices(), "staff": "off"}, page=PAGE)
    assert stored(app) == {}  # the field is not on their form: ignored


def test_a_choice_that_does_not_exist_is_refused(app, platform):
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    response = lena.post(PAGE, choices(messages="hourly"), page=PAGE)
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    response = lena.post(PAGE, {k: v for k, v in choices().items() if k != "events"},
                         page=PAGE)
    assert response.status_code == 400 and "Choose one." in response.get_data(as_text=True)
    assert stored(app) == {}


def test_a_post_without_its_csrf_token_changes_nothing(app, platform):
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    response = lena.client.post(lena.url(PAGE), data=choices(messages="off"))
    assert response.status_code == 400
    assert stored(app) == {}


def test_without_a_launch_the_page_is_closed(client):
    assert client.get(PAGE).status_code == 401
    assert client.post(PAGE, data=choices()).status_code in (400, 401)
