"""The staff roster (`/roster`) reads a fixed number of SQL statements whatever the course's
size (the people come with their enrolments, not one query each), and still shows everyone
with their role, e-mail, status and where Pairwise knows them from."""

import re

import sqlalchemy as sa

from lti_tool.courses.models import Course, Role
from lti_tool.extensions import db
from tests.support.clients import Participant
from tests.support.queries import QueryCounter, add_members

ROW = re.compile(r"<tr>\s*(.*?)</tr>", re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


def roster_rows(staff: Participant) -> tuple[list[list[str]], int]:
    """The roster table's rows (each a list of cell texts) and the statements a repeat view
    took (the first view of a session may refresh it)."""
    staff.get("/roster")
    with QueryCounter() as counted:
        page = staff.get("/roster")
    assert page.status_code == 200
    body = page.get_data(as_text=True).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [CELL.findall(row) for row in ROW.findall(body)], counted.count


def grow(app, learners: int, mentors: int, first: int) -> None:
    with app.app_context():
        course = db.session.scalars(sa.select(Course)).one()
        add_members(course, learners, prefix="Learner", first=first, inactive_every=3)
        add_members(course, mentors, prefix="Mentor", role=Role.MENTOR, first=first)
        db.session.commit()


def test_roster_queries_do_not_grow_with_the_course(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    Participant(app, platform, "10", "Learner", "Lena Launched")
    grow(app, learners=3, mentors=1, first=0)
    small, small_queries = roster_rows(staff)
    grow(app, learners=24, mentors=6, first=100)
    large, large_queries = roster_rows(staff)
    assert (len(small), len(large)) == (6, 36)
    assert large_queries == small_queries


def test_roster_shows_everyone_with_role_email_status_and_source(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    Participant(app, platform, "10", "Learner", "Lena Launched")
    grow(app, learners=3, mentors=1, first=0)
    rows, _ = roster_rows(staff)
    by_name = {cells[0]: cells[1:] for cells in rows}
    assert rows[0][0] == "Iris Instructor" and rows[0][1] == "Staff"  # staff first
    assert by_name["Lena Launched"][0] == "Learner"
    assert by_name["Lena Launched"][2:] == ["Active", "Launched Pairwise"]
    assert by_name["Mentor0 Member"] == ["Mentor", "mentor0@example.com", "Active",
                                         "Platform roster"]
    assert by_name["Learner1 Member"] == ["Learner", "learner1@example.com", "Active",
                                          "Platform roster"]
    assert by_name["Learner2 Member"][2] == "Not enrolled"  # every third one left
