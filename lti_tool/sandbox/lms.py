"""The LMS side of the sandbox: the demo course, its people and their roles, and the
activities placed in it. Roles are stored as short LIS names; id_tokens get full URIs."""

from dataclasses import dataclass

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.sandbox.models import Activity, Course, Membership, ToolRegistration, User

COURSE_ID = "2"  # Moodle's first real course has id 2 (1 is the site)
COURSE_LABEL = "MENTOR101"
COURSE_TITLE = "Mentoring Program 101"

INSTRUCTOR, MENTOR, LEARNER, TEACHING_ASSISTANT = (
    "Instructor", "Mentor", "Learner", "TeachingAssistant"
)
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
# Full LIS URIs for id_tokens; a teaching assistant is a sub-role of Instructor.
ROLE_URIS = {
    INSTRUCTOR: f"{MEMBERSHIP}#Instructor",
    MENTOR: f"{MEMBERSHIP}#Mentor",
    LEARNER: f"{MEMBERSHIP}#Learner",
    TEACHING_ASSISTANT: f"{MEMBERSHIP}/Instructor#TeachingAssistant",
}
STAFF_ROLES = {INSTRUCTOR, TEACHING_ASSISTANT}
# Moodle grades only "gradable" roles (students); in a mentoring course mentors are
# enrolled as students too, so both get a gradebook row. Staff scores are refused (400).
GRADABLE_ROLES = {LEARNER, MENTOR}


@dataclass(frozen=True)
class Person:
    user_id: str
    username: str
    given_name: str
    family_name: str
    role: str
    groups: tuple[str, ...] = ()  # course group ids, as Moodle numbers them


# Two course groups, as a teacher might split a cohort: "11" (Mona's) and "12" (Mateo's).
DEMO_PEOPLE = (
    Person("3", "teacher1", "Iris", "Instructor", INSTRUCTOR),
    Person("4", "mentor1", "Mona", "Mentor", MENTOR, ("11",)),
    Person("5", "mentor2", "Mateo", "Mentor", MENTOR, ("12",)),
    Person("6", "student1", "Lena", "Learner", LEARNER, ("11",)),
    Person("7", "student2", "Luis", "Learner", LEARNER, ("11",)),
    Person("8", "student3", "Lucia", "Learner", LEARNER, ("12",)),
    Person("9", "student4", "Liam", "Learner", LEARNER, ("12",)),
    Person("10", "assistant1", "Tariq", "Assistant", TEACHING_ASSISTANT),
)


def ensure_demo_course() -> Course:
    """Create the course and its people if missing; leaves existing rows alone."""
    course = db.session.get(Course, COURSE_ID)
    if course is None:
        course = Course(id=COURSE_ID, label=COURSE_LABEL, title=COURSE_TITLE)
        db.session.add(course)
    for person in DEMO_PEOPLE:
        user = db.session.get(User, person.user_id) or _new_user(person)
        if membership(course.id, user.id) is None:
            db.session.add(Membership(course=course, user=user, role=person.role,
                                      groups=list(person.groups)))
    db.session.flush()
    return course


def _new_user(person: Person) -> User:
    user = User(id=person.user_id, username=person.username, given_name=person.given_name,
                family_name=person.family_name, email=f"{person.username}@example.com")
    db.session.add(user)
    return user


def get_course(course_id: str) -> Course | None:
    return db.session.get(Course, course_id)


def membership(course_id: str, user_id: str) -> Membership | None:
    return db.session.scalars(
        sa.select(Membership).where(Membership.course_id == course_id,
                                    Membership.user_id == user_id)
    ).first()


def members(course_id: str) -> list[Membership]:
    """The course's members ordered by user id as a number (Moodle order)."""
    rows = db.session.scalars(sa.select(Membership).where(Membership.course_id == course_id))
    return sorted(rows, key=lambda m: (len(m.user_id), m.user_id))


def gradable_members(course_id: str) -> list[Membership]:
    return [m for m in members(course_id) if m.role in GRADABLE_ROLES]


def is_gradable(course_id: str, user_id: str) -> bool:
    found = membership(course_id, str(user_id))
    return found is not None and found.role in GRADABLE_ROLES


def role_uris(role: str) -> list[str]:
    return [ROLE_URIS[role]]


def activities(course_id: str) -> list[Activity]:
    return list(db.session.scalars(
        sa.select(Activity).where(Activity.course_id == course_id).order_by(Activity.id)
    ))


def get_activity(activity_id: int | str | None) -> Activity | None:
    try:
        number = int(activity_id)
    except (TypeError, ValueError):
        return None
    # Out of the id column's range PostgreSQL raises rather than finding nothing.
    return db.session.get(Activity, number) if 0 < number < 2**31 else None


def add_activity(course: Course, registration: ToolRegistration, title: str, url: str,
                 text: str = "", custom: dict | None = None) -> Activity:
    activity = Activity(course=course, registration=registration, title=title or "Activity",
                        url=url, text=text, custom=dict(custom or {}))
    db.session.add(activity)
    db.session.flush()
    return activity
