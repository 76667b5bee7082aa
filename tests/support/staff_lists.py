"""A staff member's program grown to any size, straight in the database, for the matching and
mentors pages at scale: learners with intakes, designated mentors (capacity 2 each), published
pairs and a draft run of proposals with varied scores. And `counted_queries`, which counts
the SQL statements a block runs."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, Person, Program, Role
from lti_tool.extensions import db
from lti_tool.intake.models import Mentor
from lti_tool.pairs.models import MatchRun, Pair, Proposal
from tests.support.clients import Participant
from tests.support.pairs import hours, profile


@dataclass
class Grown:
    program_id: int
    learners: list[int] = field(default_factory=list)  # person ids
    mentors: list[int] = field(default_factory=list)  # person ids
    mentor_rows: list[int] = field(default_factory=list)  # Mentor ids
    pairs: list[int] = field(default_factory=list)
    run_id: int | None = None
    proposals: list[int] = field(default_factory=list)


def staff_of_program(app, platform) -> tuple[Participant, int]:
    """Iris, signed in as the program's staff, and the program's id."""
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    with app.app_context():
        return staff, db.session.scalars(sa.select(Program.id)).one()


def grow(app, program_id: int, *, learners: int, mentors: int, paired: int = 0,
         proposed: int = 0, first: int = 5000) -> Grown:
    """`learners` learners with intakes, `mentors` designated mentors; the first `paired`
    learners in active pairs (round robin over the mentors), the next `proposed` in a draft
    run with scores 30, 40, ... 90 in turn. Names: "Learner<n> Person" / "Mentor<n> Person"."""
    with app.app_context():
        program = db.session.get(Program, program_id)
        grown = Grown(program_id)
        mentor_people = [_person(program, first + n, f"Mentor{n}", Role.MENTOR)
                         for n in range(mentors)]
        learner_people = [_person(program, first + mentors + n, f"Learner{n}", Role.LEARNER)
                          for n in range(learners)]
        db.session.flush()
        for person in mentor_people:
            profile(program, person, expertise=["Leadership"], tz="Europe/Berlin",
                    hours=hours(8, 20), mentor=True)
            db.session.add(Mentor(program=program, person=person, source="designated",
                                  approved=True, capacity=2))
        for person in learner_people:
            profile(program, person, topics=["Leadership"], tz="Europe/Berlin",
                    hours=hours(8, 20))
        db.session.flush()
        pairs = [Pair(program_id=program.id, mentee_id=person.id,
                      mentor_id=mentor_people[n % mentors].id, score=60.0)
                 for n, person in enumerate(learner_people[:paired])]
        db.session.add_all(pairs)
        if proposed:
            run = MatchRun(program_id=program.id, policy="optimal", excluded=[], unmatched={},
                           report={}, comparison={})
            db.session.add(run)
            run.proposals.extend(
                Proposal(mentee_id=person.id, mentor_id=mentor_people[n % mentors].id,
                         score=30.0 + 10 * (n % 7), breakdown={}, explanation="Both lead",
                         slot={})
                for n, person in enumerate(learner_people[paired:paired + proposed]))
            db.session.flush()
            grown.run_id, grown.proposals = run.id, [p.id for p in run.proposals]
        db.session.commit()
        grown.learners = [p.id for p in learner_people]
        grown.mentors = [p.id for p in mentor_people]
        grown.mentor_rows = list(db.session.scalars(sa.select(Mentor.id).where(
            Mentor.program_id == program.id, Mentor.person_id.in_(grown.mentors))))
        grown.pairs = [p.id for p in pairs]
        return grown


def _person(program: Program, subject: int, given: str, role: Role) -> Person:
    course = program.course
    person = Person(platform_id=course.platform_id, subject=str(subject), given_name=given,
                    family_name=f"Person{subject}", email=f"user{subject}@example.com")
    db.session.add(person)
    db.session.add(Enrolment(course=course, person=person, role=role, source="roster",
                             lis_roles=[], groups=[f"Group{subject % 3}"]))
    return person


@contextmanager
def counted_queries(app) -> Iterator[list[str]]:
    """The SQL statements run inside the block (on the app's engine)."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def health_as(app, program_id: int, statuses: dict[int, str]) -> None:
    """Assess the program's pairs as the dashboard does, then store `statuses` (pair id ->
    status) as their assessed health, still fresh for today."""
    from lti_tool.relationships.models import PairHealth
    from lti_tool.relationships.services import current_health

    with app.app_context():
        current_health(db.session.get(Program, program_id))
        for pair_id, status in statuses.items():
            db.session.execute(sa.update(PairHealth).where(PairHealth.pair_id == pair_id)
                               .values(status=status))
        db.session.commit()
