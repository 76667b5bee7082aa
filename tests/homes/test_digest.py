"""The weekly staff digest: to each staff member still in the program's course, once per ISO
week, what needs them (the list at the top of their home), each item with the page where it
is dealt with; its one link opens the staff home through the LMS."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, Person
from lti_tool.extensions import db
from lti_tool.homes.digest import send_digest, week_of
from lti_tool.intake.models import Mentor
from tests.support.clients import Participant
from tests.support.homes import program_of
from tests.support.notified import LINK, LinkRecorder, told
from tests.support.pairs import person_id

MONDAY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # ISO week 2026-W10
ELSEWHERE = {"id": "other-course", "title": "Elsewhere"}


def _staff_and_learners(app, platform):
    """Tom (a second teacher), Gina (a teacher who left the course), Luis and Vera (learners
    without a mentor; Vera volunteers to mentor), and Olga, teacher of another course."""
    Participant(app, platform, "3", "Instructor", "Tom Teacher")
    Participant(app, platform, "4", "Instructor", "Gina Gone")
    Participant(app, platform, "11", "Learner", "Luis Learner")
    Participant(app, platform, "12", "Learner", "Vera Volunteer")
    Participant(app, platform, "50", "Instructor", "Olga Other", context=ELSEWHERE)
    with app.app_context():
        gina = db.session.scalars(sa.select(Enrolment).join(Person).filter(
            Person.subject == "4")).one()
        gina.active = False
        program = program_of("1")
        db.session.add(Mentor(program_id=program.id, person_id=person_id(app, "12"),
                              source="volunteer", approved=False))
        db.session.commit()


def test_each_staff_member_of_the_program_gets_it_once_a_week(app, platform, pair):
    _staff_and_learners(app, platform)
    with app.test_request_context():
        program = program_of("1")
        assert send_digest(program, MONDAY) == 2
        assert send_digest(program, MONDAY + timedelta(days=6, hours=17)) == 0  # Sunday
        db.session.commit()
        assert {row.recipient.subject for row in told("staff_digest")} == {"1", "3"}
        assert send_digest(program, MONDAY + timedelta(days=7)) == 2  # the next week
        assert send_digest(program_of("50", ELSEWHERE["id"]), MONDAY) == 0  # nothing waits
        db.session.commit()
        rows = told("staff_digest")
    assert [row.dedupe_key.rsplit(":", 1)[1] for row in rows] == [
        "2026-W10", "2026-W10", "2026-W11", "2026-W11"]
    assert week_of(datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"  # ISO years


def test_nothing_waiting_means_no_digest(app, pair):
    with app.test_request_context():
        assert send_digest(program_of("1"), MONDAY) == 0
        assert told("staff_digest") == []


def test_it_lists_each_need_with_its_page_and_opens_the_staff_home(
        app, platform, pair, monkeypatch):
    links = LinkRecorder().install(monkeypatch)
    _staff_and_learners(app, platform)
    with app.app_context():
        db.session.get(Person, person_id(app, "3")).locale = "de-DE"
        db.session.commit()
    with app.test_request_context():
        program = program_of("1")
        send_digest(program, MONDAY)
        iris, tom = told("staff_digest")
        title = program.title
    assert iris.subject == f"What needs you in {title} this week"
    assert "2 learners without a mentor: Matching" in iris.body
    assert "1 volunteer mentor to approve: Mentors" in iris.body
    assert "2 learners without a mentor</th><td" in iris.html
    assert iris.link.startswith(LINK) and f"Open your home page: {iris.link}" in iris.body
    assert links.destinations(person_id(app, "1")) == ["/"]
    assert 'lang="de-DE"' in tom.html and 'lang="de-DE"' not in iris.html  # each its reader's
