"""For tests that a page reads a fixed number of SQL statements whatever the program's size:
`QueryCounter` counts what the engine sends while it listens, and `add_members` enrols more
people in the staff's course straight as rows (as a roster sync leaves them), each given name
`<prefix><n>`, so a test can render a page, grow the cohort and render it again."""

import sqlalchemy as sa

from lti_tool.courses.models import Course, Enrolment, Person, Role
from lti_tool.extensions import db


class QueryCounter:
    """Counts the SQL statements sent while it listens (`with QueryCounter() as counted`)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args) -> None:
        self.count += 1

    def __enter__(self) -> "QueryCounter":
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc) -> None:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", self)


def add_members(course: Course, count: int, *, prefix: str, role: Role = Role.LEARNER,
                first: int = 0, inactive_every: int = 0) -> list[Person]:
    """`count` people enrolled in `course` from the roster (every `inactive_every`th one no
    longer active). Flushes, does not commit."""
    people = []
    for n in range(first, first + count):
        person = Person(platform_id=course.platform_id, subject=f"{prefix}-{n}",
                        given_name=f"{prefix}{n}", family_name="Member",
                        email=f"{prefix.lower()}{n}@example.com")
        active = not (inactive_every and n % inactive_every == inactive_every - 1)
        db.session.add(Enrolment(course=course, person=person, role=role, source="roster",
                                 active=active, lis_roles=["Learner"]))
        people.append(person)
    db.session.flush()
    return people
