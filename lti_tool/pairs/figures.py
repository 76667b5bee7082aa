"""The one source of the matching figures staff read: a mentor's places (here and across
courses) and who waits for what. The matching and mentors pages, the capacity checks of
publishing, rematching and mentee choice, and anything that e-mails these numbers use these
functions, so a number never differs between two places. Each function runs a fixed number
of queries whatever the size of the cohort."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from lti_tool.courses.models import Enrolment, Person, Program
from lti_tool.dbutil import read_once
from lti_tool.extensions import db
from lti_tool.intake import services as intake
from lti_tool.intake.models import Mentor, MentorPool, Profile
from lti_tool.pairs.models import Pair


@dataclass(frozen=True)
class Places:
    """A mentor's places: `capacity_here` in this program, `pool` across every course of the
    platform (the mentor's own limit), and the active pairs counted against each."""

    capacity_here: int
    taken_here: int
    pool: int
    taken_everywhere: int

    @property
    def left_across(self) -> int:
        return max(0, self.pool - self.taken_everywhere)

    @property
    def left_here(self) -> int:
        """What matching may still give this mentor here: both limits hold."""
        return max(0, min(self.capacity_here - self.taken_here, self.left_across))

    @property
    def full_here(self) -> bool:
        return self.left_here == 0


def places(mentors: Iterable[Mentor]) -> dict[int, Places]:
    """Places of each mentor row, keyed by Mentor.id, in two queries."""
    rows = list(mentors)
    person_ids = {m.person_id for m in rows}
    if not person_ids:
        return {}
    pairs = db.session.execute(sa.select(Pair.mentor_id, Pair.program_id).where(
        Pair.status == "active", Pair.mentor_id.in_(person_ids))).all()
    everywhere = Counter(mentor_id for mentor_id, _program in pairs)
    here = Counter((mentor_id, program_id) for mentor_id, program_id in pairs)
    pools = dict(db.session.execute(sa.select(MentorPool.person_id, MentorPool.capacity).where(
        MentorPool.person_id.in_(person_ids))).all())
    return {m.id: Places(capacity_here=m.capacity, taken_here=here[(m.person_id, m.program_id)],
                         pool=pools.get(m.person_id, intake.DEFAULT_POOL_CAPACITY),
                         taken_everywhere=everywhere[m.person_id])
            for m in rows}


def places_of(mentor: Mentor) -> Places:
    return places([mentor])[mentor.id]


def remaining_capacity(mentor: Mentor) -> int:
    return places_of(mentor).left_here


@dataclass
class Waiting:
    """The course's people and where each stands, counted from the same lists that are shown:
    `ready` learners can be matched, `learners_without_intake` cannot yet, `paired` learners
    have an active pair; `mentors_without_intake` are approved mentors who cannot be matched
    until they fill theirs."""

    ready: list[Person] = field(default_factory=list)
    learners_without_intake: list[Person] = field(default_factory=list)
    paired: list[Person] = field(default_factory=list)
    mentors_without_intake: list[Person] = field(default_factory=list)

    @property
    def without_pair(self) -> int:
        """Every learner waiting for a mentor, whether or not they filled the intake."""
        return len(self.ready) + len(self.learners_without_intake)


def paired_mentee_ids(program: Program) -> set[int]:
    """The program's mentees in an active pair (read once per request: the matching page's
    figures and its cohort both ask). Not to be changed by the caller."""
    return read_once(("paired mentees", program.id), lambda: set(db.session.scalars(
        sa.select(Pair.mentee_id).where(Pair.program_id == program.id,
                                        Pair.status == "active"))))


def course_groups(program: Program) -> dict[int, list[str] | None]:
    """Each person's LMS groups in the program's course, None when the platform never said
    (read once per request; not to be changed by the caller)."""
    return read_once(("course groups", program.course_id), lambda: dict(db.session.execute(
        sa.select(Enrolment.person_id, Enrolment.groups)
        .where(Enrolment.course_id == program.course_id)).all()))


def waiting(program: Program) -> Waiting:
    """Who waits for what in the program, in five queries."""
    expertise = dict(db.session.execute(sa.select(Profile.person_id, Profile.expertise).where(
        Profile.program_id == program.id)).all())
    paired = paired_mentee_ids(program)
    result = Waiting()
    for enrolment in _learners(program):
        person = enrolment.person
        if person.id in paired:
            result.paired.append(person)
        elif person.id in expertise:
            result.ready.append(person)
        else:
            result.learners_without_intake.append(person)
    for mentor in _approved_mentors(program):
        if not expertise.get(mentor.person_id):
            result.mentors_without_intake.append(mentor.person)
    return result


def _learners(program: Program) -> list[Enrolment]:
    """The course's active learners with their people loaded (two queries)."""
    learners = intake.mentees_of(program)
    people = load_people(e.person_id for e in learners)
    for enrolment in learners:
        set_committed_value(enrolment, "person", people[enrolment.person_id])
    return learners


def _approved_mentors(program: Program) -> list[Mentor]:
    mentors = intake.mentors_of(program, approved_only=True)
    people = load_people(m.person_id for m in mentors)
    for mentor in mentors:
        set_committed_value(mentor, "person", people[mentor.person_id])
    return mentors


def load_people(ids: Iterable[int]) -> dict[int, Person]:
    """The people with these ids, in one query."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(wanted)))}
