"""Reading and saving intakes, and deciding who mentors in a program."""

import sqlalchemy as sa
from flask_babel import gettext

from lti_tool.courses.models import Enrolment, Person, Program, Role
from lti_tool.dbutil import read_once
from lti_tool.extensions import db
from lti_tool.intake.models import Mentor, MentorPool, Profile, Question
from lti_tool.lti.roles import short_names
from lti_tool.timeutil import utcnow

MENTOR_LMS_ROLES = {"Mentor", "TeachingAssistant"}
DEFAULT_POOL_CAPACITY = 3


def profile_for(program: Program, person: Person) -> Profile | None:
    """The person's intake in the program (read once per request: a meetings page asks for
    both members' zones and availability several times)."""
    return read_once(("profile", program.id, person.id), lambda: db.session.scalars(
        sa.select(Profile).filter_by(program_id=program.id, person_id=person.id)).first())


def zone_of(person: Person, program: Program) -> str:
    """The zone a person reads times in: their intake's, else their LMS profile's, else UTC."""
    profile = profile_for(program, person)
    return (profile.timezone if profile else "") or person.timezone or "UTC"


_QUESTIONS = (sa.select(Question).where(Question.program_id == sa.bindparam("program_id"))
              .order_by(Question.position, Question.id))  # built once: every intake asks


def questions_for(program: Program) -> list[Question]:
    return list(db.session.scalars(_QUESTIONS, {"program_id": program.id}))


def save_intake(program: Program, person: Person, form) -> Profile:
    """Store a validated intake form; the caller commits."""
    profile = profile_for(program, person) or Profile(program=program, person=person)
    extra = (form.other_topic.data or "").strip()
    profile.topics = list(dict.fromkeys([*(form.topics.data or []), *([extra] if extra else [])]))
    profile.goals_text = (form.goals_text.data or "").strip()
    profile.expertise = list(form.expertise.data or []) if form.is_mentor else profile.expertise
    profile.bio = (form.bio.data or "").strip() if form.is_mentor else profile.bio
    profile.languages = list(form.languages.data)
    profile.timezone = form.timezone.data
    profile.availability = form.availability.data
    profile.modality = form.modality.data
    profile.preferences = (form.preferences.data or "").strip()
    profile.volunteers_to_mentor = bool(form.volunteers_to_mentor.data)
    profile.answers = {str(q.id): _answer(getattr(form, f"q_{q.id}").data) for q in form.questions}
    profile.completed_at = profile.completed_at or utcnow()
    db.session.add(profile)
    db.session.flush()
    if form.is_mentor and form.capacity.data:
        set_pool_capacity(person, form.capacity.data)
        mentor = mentor_row(program, person)
        if mentor is not None:  # what they can take here, within the program's bounds
            mentor.capacity = min(form.capacity.data, program.max_capacity)
    if profile.volunteers_to_mentor and "volunteer" in program.mentor_sources:
        _ensure_mentor(program, person, "volunteer", approved=False)
    return profile


def _answer(data) -> list[str]:
    if data is None:
        return []
    return [data] if isinstance(data, str) else list(data)


def is_lms_mentor(enrolment: Enrolment) -> bool:
    """A mentor by the LMS: the Mentor role (or one the platform's role mapping makes a
    mentor, courses/roles.py), or a teaching assistant."""
    return enrolment.role == Role.MENTOR or \
        bool(set(short_names(enrolment.lis_roles)) & MENTOR_LMS_ROLES)


def refresh_mentors(program: Program) -> None:
    """Add the mentors the program's sources name (LMS roles, volunteers); the caller commits.
    Those already mentors are skipped from one query (the pages' query count stays fixed)."""
    known = set(db.session.scalars(sa.select(Mentor.person_id).filter_by(program_id=program.id)))
    if "lms_role" in program.mentor_sources:
        for enrolment in _active_enrolments(program):
            if enrolment.person_id not in known and is_lms_mentor(enrolment):
                _ensure_mentor(program, enrolment.person, "lms_role", approved=True)
    if "volunteer" in program.mentor_sources:
        volunteers = db.session.scalars(sa.select(Profile).filter_by(
            program_id=program.id, volunteers_to_mentor=True))
        for profile in volunteers:
            if profile.person_id not in known:
                _ensure_mentor(program, profile.person, "volunteer", approved=False)


def designate_mentor(program: Program, person: Person) -> Mentor:
    return _ensure_mentor(program, person, "designated", approved=True)


def _ensure_mentor(program: Program, person: Person, source: str, approved: bool) -> Mentor:
    mentor = mentor_row(program, person)
    if mentor is None:
        mentor = Mentor(program=program, person=person, source=source, approved=approved,
                        capacity=_initial_capacity(program, person))
        db.session.add(mentor)
        db.session.flush()
    return mentor


def _initial_capacity(program: Program, person: Person) -> int:
    """The capacity the mentor stated in an intake (within the program's bounds), else the
    program's default."""
    stated = db.session.get(MentorPool, person.id)
    return min(stated.capacity, program.max_capacity) if stated else program.default_capacity


def mentor_row(program: Program, person: Person) -> Mentor | None:
    return db.session.scalars(
        sa.select(Mentor).filter_by(program_id=program.id, person_id=person.id)).first()


def mentors_of(program: Program, approved_only: bool = False) -> list[Mentor]:
    """The program's mentors by family name (read once per request: dbutil.read_once)."""
    return list(read_once(("mentors", program.id, approved_only),
                          lambda: _mentors_of(program, approved_only)))


def _mentors_of(program: Program, approved_only: bool) -> list[Mentor]:
    query = sa.select(Mentor).join(Person, Mentor.person_id == Person.id).where(
        Mentor.program_id == program.id).order_by(Person.family_name, Person.given_name)
    if approved_only:
        query = query.where(Mentor.approved.is_(True))
    return list(db.session.scalars(query))


def pool_capacity(person: Person) -> int:
    row = db.session.get(MentorPool, person.id)
    return row.capacity if row else DEFAULT_POOL_CAPACITY


def set_pool_capacity(person: Person, capacity: int) -> None:
    """The mentor's own limit across every course of their platform."""
    row = db.session.get(MentorPool, person.id) or MentorPool(person_id=person.id)
    row.capacity = capacity
    db.session.add(row)


def set_capacity(mentor: Mentor, capacity: int) -> None:
    """Within the program's bounds; raises ValueError with a message for the person."""
    program = mentor.program
    if not 0 <= capacity <= program.max_capacity:
        raise ValueError(gettext("Capacity must be between 0 and %(max)s.",
                                 max=program.max_capacity))
    mentor.capacity = capacity


def _active_enrolments(program: Program) -> list[Enrolment]:
    return list(read_once(("active enrolments", program.course_id), lambda: list(
        db.session.scalars(sa.select(Enrolment).where(Enrolment.course_id == program.course_id,
                                                      Enrolment.active.is_(True))))))


def mentees_of(program: Program) -> list[Enrolment]:
    """Active learners of the program's course (whether or not they completed the intake)."""
    return [e for e in _active_enrolments(program) if e.role == Role.LEARNER]


# --- For staff's "What needs you" (homes; read-only) ----------------------------------------

def volunteers_waiting(program: Program) -> list[Mentor]:
    """Learners who volunteered to mentor here and wait for staff's approval."""
    return [m for m in mentors_of(program) if m.source == "volunteer" and not m.approved]
