"""The staff home's next step (issue 16, item 4): a setup checklist until the first pairs
are published, then the most urgent need or the dashboard; the other pages grouped."""

import re

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.homes.needs import Need
from lti_tool.homes.setup import SetupState, checklist, next_step, setup_state
from lti_tool.pairs import services as matching
from tests.support.clients import Participant
from tests.support.pairs import hours, profile

NEW = SetupState(settings_saved=False, mentors=0, volunteers_waiting=0, learners=0, intakes=0,
                 draft_proposals=0, mentee_choice=False, published=False)


def _state(**changes) -> SetupState:
    return SetupState(**{**NEW.__dict__, **changes})


@pytest.mark.parametrize(("state", "title", "path", "detail"), [
    (NEW, "Choose the matching settings", "/matching/settings", "Topics"),
    (_state(settings_saved=True, volunteers_waiting=2), "Designate or approve mentors",
     "/mentors", "2 volunteers wait for your approval."),
    (_state(settings_saved=True, mentors=3), "Learners fill in the intake", "/roster",
     "No learner has opened the activity yet"),
    (_state(settings_saved=True, mentors=3, learners=5), "Learners fill in the intake",
     "/roster", "0 of 5 learners have filled in the intake."),
    (_state(settings_saved=True, mentors=3, learners=5, intakes=1), "Propose matches",
     "/matching", "suggests a mentor"),
    (_state(settings_saved=True, mentors=3, learners=5, intakes=4, draft_proposals=4),
     "Publish the pairs", "/matching", "4 pairs proposed, waiting to be published."),
    (_state(settings_saved=True, mentors=3, learners=5, intakes=4, mentee_choice=True),
     "Learners choose their mentors", "/matching", "Mentee choice is on"),
])
def test_the_first_setup_step_not_done_comes_next(app, state, title, path, detail):
    with app.test_request_context():
        step = next_step(state, [])
    assert step.title == title and step.link == path and detail in step.detail


def test_the_checklist_marks_what_is_done(app):
    with app.test_request_context():
        steps = checklist(_state(settings_saved=True, mentors=2, learners=3, intakes=1))
    assert [(s.key, s.done) for s in steps] == [
        ("settings", True), ("mentors", True), ("intakes", True), ("propose", False),
        ("publish", False)]
    with app.test_request_context():
        chosen = checklist(_state(mentee_choice=True, published=True))
    assert [s.key for s in chosen] == ["settings", "mentors", "intakes", "choice"]


def test_after_the_first_publish_the_most_urgent_need_or_the_dashboard(app):
    published = _state(published=True)  # settings never saved: no longer asked for
    with app.test_request_context():
        urgent = next_step(published, [Need("unmatched", 3, "/matching")])
        calm = next_step(published, [])
    assert (urgent.title, urgent.link) == ("Start with: 3 learners without a mentor",
                                           "/matching")
    assert calm.link == "/dashboard" and "dashboard" in calm.title


def test_setup_state_reads_the_program(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    Participant(app, platform, "2", "Mentor", "Mona Mentor")
    Participant(app, platform, "10", "Learner", "Lena Learner")
    Participant(app, platform, "11", "Learner", "Leo Learner")
    with app.test_request_context():
        program = db.session.scalars(sa.select(Program)).one()
        people = {p.subject: p for p in db.session.scalars(sa.select(Person))}
        assert setup_state(program) == _state(mentors=1, learners=2)  # Mona: the LMS's mentor
        program.weights = {"topics": 1.0}  # what saving the matching settings stores
        profile(program, people["2"], expertise=["Leadership"], tz="Europe/Berlin",
                hours=hours(18, 20), mentor=True)
        profile(program, people["10"], topics=["Leadership"], tz="Europe/Berlin",
                hours=hours(18, 20))
        matching.propose(program, people["1"], "optimal")
        db.session.commit()
        assert setup_state(program) == _state(settings_saved=True, mentors=1, learners=2,
                                              intakes=1, draft_proposals=1)
    assert "Publish the pairs" in staff.get("/").data.decode()


def test_a_new_programs_home_shows_the_checklist_and_one_button(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    html = staff.get("/").data.decode()
    assert html.index("What needs you") < html.index("Next step")
    assert re.search(r'<a class="button" href="/matching/settings\?pw=[^"]+">Choose the '
                     r'matching settings</a>', html)
    items = re.findall(r'<li class="setup-(\w+) (done|todo)">', html)
    assert items == [("settings", "todo"), ("mentors", "todo"), ("intakes", "todo"),
                     ("propose", "todo"), ("publish", "todo")]
    assert html.count('class="button"') == 1  # not eleven equal buttons
    for group in ("People", "Making pairs", "Following the pairs", "What pairs work with"):
        assert f"<h3>{group}</h3>" in html
    for page in ("See the roster", "Dashboard", "Matching", "Participation grades"):
        assert f">{page}</a>" in html


def test_a_running_programs_home_has_no_checklist(app, pair):
    staff, mona, lena, pair_id = pair
    html = staff.get("/").data.decode()
    assert "Setting up the program" not in html and "Next step" in html
    assert "Follow the pairs on the dashboard" in html  # nothing waits: a new, quiet pair
