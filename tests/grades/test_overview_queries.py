"""The staff grades page (`/grades`) reads a fixed number of SQL statements whatever the
program's size (`grades/overview.py`: the people come with their records, the newest outbox
row and who is enrolled in one query each), and shows the same rows as before: everyone graded,
their score, completion and what the LMS has."""

import re

import sqlalchemy as sa

from lti_tool.courses.models import Course, Person, Program, Role
from lti_tool.extensions import db
from lti_tool.grades import overview, services
from lti_tool.pairs.models import Pair
from tests.support.clients import Participant
from tests.support.grades import hold_meetings
from tests.support.queries import QueryCounter, add_members

ROW = re.compile(r"<tr(?: class=\"overdue\")?>\s*(<td>.*?)</tr>", re.S)
TAG = re.compile(r"<[^>]+>")


def grow(app, learners: int, first: int) -> None:
    """`learners` more learners paired with a new mentor (every third one has left the
    course), the first with two meetings held, the second's score overridden and the third's
    held; mentors graded too; scores recomputed and queued."""
    with app.app_context():
        course = db.session.scalars(sa.select(Course)).one()
        program = db.session.scalars(sa.select(Program)).one()
        services.policy_of(program).grade_mentors = True
        mentor, = add_members(course, 1, prefix="Mentor", role=Role.MENTOR, first=first)
        people = add_members(course, learners, prefix="Learner", first=first,
                             inactive_every=3)
        pairs = [Pair(program_id=program.id, mentee_id=p.id, mentor_id=mentor.id)
                 for p in people]
        db.session.add_all(pairs)
        db.session.flush()
        hold_meetings(pairs[0], 2)
        services.queue_recompute(program)
        staff = db.session.scalars(sa.select(Person).filter_by(subject="1")).one()
        services.override(services.record_of(program, people[1].id), staff, 80, "Extra work")
        services.hold(services.record_of(program, people[2].id), staff, "Check first")
        db.session.commit()


def grades_rows(staff: Participant) -> tuple[dict[str, str], int]:
    """{person: their row's text} of the page and the statements a repeat view took."""
    staff.get("/grades")
    with QueryCounter() as counted:
        page = staff.get("/grades")
    assert page.status_code == 200
    rows = {}
    for row in ROW.findall(page.get_data(as_text=True)):
        name, _, rest = TAG.sub(" ", row).strip().partition(" ")
        rows[name] = " ".join(rest.split())
    return rows, counted.count


def test_grades_page_queries_do_not_grow_with_the_program(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    grow(app, learners=3, first=0)
    small, small_queries = grades_rows(staff)
    grow(app, learners=15, first=100)
    large, large_queries = grades_rows(staff)
    assert (len(small), len(large)) == (4, 20)  # learners and their mentor(s)
    assert large_queries == small_queries


def test_grades_page_shows_scores_completion_and_status(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    grow(app, learners=3, first=0)
    rows, _ = grades_rows(staff)
    assert set(rows) == {"Learner0", "Learner1", "Learner2", "Mentor0"}
    assert "(mentor)" in rows["Mentor0"]
    assert "2 meetings held of 3 needed" in rows["Learner0"]
    assert "Waiting to be sent" in rows["Learner0"]
    assert rows["Learner0"].count("Resend") == 1
    assert "80 / 100 (set by staff)" in rows["Learner1"]
    assert "Left the course: not graded" in rows["Learner2"]  # every third one left
    assert "Resend" not in rows["Learner2"]
    assert "Not yet" in rows["Learner1"]


def test_overview_rows_equal_the_per_person_rows(app, platform):
    Participant(app, platform, "1", "Instructor", "Iris Instructor")
    grow(app, learners=7, first=0)
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        rows = overview.program_rows(program)
        expected = [(r.record.id, r.person.id, r.active, r.latest and r.latest.id, r.status)
                    for r in (services.row_of(row.record) for row in rows)]
        batched = [(r.record.id, r.person.id, r.active, r.latest and r.latest.id, r.status)
                   for r in rows]
        assert batched == expected and len(batched) == 8
        assert {r.status for r in overview.program_rows(program)} >= {"pending", "left"}
        assert overview.status_texts()["left"] == "Left the course: not graded"
