"""Helpers for grade tests and `bench.grades`: a cohort built straight in both databases (the
tool's and the sandbox LMS's), meetings both members confirmed, a relaxed rubric, and
`Traffic`, which watches (and breaks, on request) the HTTP requests the live server answers."""

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO

import sqlalchemy as sa

from lti_tool.courses.models import Course, Enrolment, Person, Role
from lti_tool.extensions import db
from lti_tool.grades import services
from lti_tool.meetings.models import Attendance, Meeting
from lti_tool.pairs.models import Pair
from lti_tool.sandbox import lms
from lti_tool.sandbox.models import Membership, Score, User
from lti_tool.sandbox.seed import place_program

SCORES_PATH = "/lineitem/scores"


# --- HTTP traffic of the live server ----------------------------------------------------------

@dataclass
class Fault:
    path_part: str
    times: int
    status: int | None = None  # answer this instead of calling the app
    delay: float = 0.0  # or: call the app, then wait this long before answering


@dataclass
class Seen:
    method: str
    path: str
    query: str
    body: bytes


@dataclass
class Traffic:
    """Wraps `app.wsgi_app`: records every request and applies injected faults."""

    app: object
    seen: list[Seen] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self):
        self._inner = self.app.wsgi_app
        self._lock = threading.Lock()
        self.app.wsgi_app = self

    def fail(self, path_part: str, times: int = 1, status: int = 500) -> None:
        self.faults.append(Fault(path_part, times, status=status))

    def stall(self, path_part: str, times: int = 1, delay: float = 1.0) -> None:
        """Handle the request, then answer too late for the client (it times out)."""
        self.faults.append(Fault(path_part, times, delay=delay))

    def count(self, path_part: str, method: str = "POST") -> int:
        return sum(1 for s in self.seen if path_part in s.path and s.method == method)

    def score_posts(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST" and s.path.endswith(SCORES_PATH)]

    def _take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.path_part in path:
                    fault.times -= 1
                    return fault
        return None

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = BytesIO(body)
        path = environ.get("PATH_INFO", "")
        with self._lock:
            self.seen.append(Seen(environ["REQUEST_METHOD"], path,
                                  environ.get("QUERY_STRING", ""), body))
        fault = self._take(path)
        if fault is not None and fault.status is not None:
            start_response(f"{fault.status} Injected", [("Content-Type", "text/plain")])
            return [b"injected failure"]
        if fault is not None:
            captured = {}

            def capture(status, headers, exc_info=None):
                captured["status"], captured["headers"] = status, headers
                return lambda data: None

            answer = b"".join(self._inner(environ, capture))
            time.sleep(fault.delay)
            start_response(captured["status"], captured["headers"])
            return [answer]
        return self._inner(environ, start_response)


# --- A cohort in both databases ---------------------------------------------------------------

@dataclass
class Cohort:
    program_id: int
    link_id: int
    activity_id: int
    lineitem_id: int
    learner_ids: list[int]  # tool Person ids
    mentor_ids: list[int]
    pair_ids: list[int]


def build_cohort(learners: int, mentors: int = 0, *, first_user: int = 1000,
                 lineitem_url: bool = True, score_maximum: int = 100,
                 title: str = "Mentoring program") -> Cohort:
    """A program placed in the sandbox course as a graded activity (line item tagged as deep
    linking tags it), `learners` learners each paired with one of `mentors` mentors (at least
    one), enrolled on both sides. Call inside an app context after `setup_sandbox`; commits.
    `lineitem_url=False`: the tool knows the line-item container only (it finds the item)."""
    placed = place_program(title, score_maximum=score_maximum, lineitem_url=lineitem_url)
    course, program, link = placed.course, placed.program, placed.link
    lms_course = lms.get_course(lms.COURSE_ID)
    mentor_people = [_person(course, lms_course, first_user + learners + n, lms.MENTOR,
                             Role.MENTOR, f"Mentor{n}") for n in range(max(1, mentors))]
    learner_people = [_person(course, lms_course, first_user + n, lms.LEARNER, Role.LEARNER,
                              f"Learner{n}") for n in range(learners)]
    db.session.flush()
    pairs = [Pair(program_id=program.id, mentee_id=person.id,
                  mentor_id=mentor_people[n % len(mentor_people)].id)
             for n, person in enumerate(learner_people)]
    db.session.add_all(pairs)
    db.session.commit()
    return Cohort(program.id, link.id, placed.activity_id, placed.lineitem_id,
                  [p.id for p in learner_people], [p.id for p in mentor_people],
                  [p.id for p in pairs])


def _person(course: Course, lms_course, user_id: int, lms_role: str, role: Role,
            given: str) -> Person:
    subject = str(user_id)
    if db.session.get(User, subject) is None:
        db.session.add(User(id=subject, username=f"user{subject}", given_name=given,
                            family_name=f"Person{subject}", email=f"user{subject}@example.com"))
        db.session.add(Membership(course=lms_course, user_id=subject, role=lms_role))
    person = Person(platform_id=course.platform_id, subject=subject, given_name=given,
                    family_name=f"Person{subject}", email=f"user{subject}@example.com")
    db.session.add(person)
    db.session.add(Enrolment(course=course, person=person, role=role, source="roster",
                             lis_roles=[lms_role]))
    return person


def hold_meetings(pair: Pair, count: int, *, start: datetime | None = None,
                  confirmed_by: str = "both") -> list[Meeting]:
    """`count` past weekly meetings of the pair, each confirmed as held by `confirmed_by`
    ("both", "mentee" or "mentor"). Flushes."""
    first = start or datetime(2030, 1, 7, 17, 0, tzinfo=UTC)
    meetings = []
    for n in range(count):
        when = first + timedelta(weeks=n)
        meeting = Meeting(pair_id=pair.id, proposed_by_id=pair.mentee_id, status="scheduled",
                          start_at=when, minutes=45, timezone="UTC",
                          uid=f"{secrets.token_hex(8)}@pairwise.test")
        db.session.add(meeting)
        db.session.flush()
        who = {"both": (pair.mentee_id, pair.mentor_id), "mentee": (pair.mentee_id,),
               "mentor": (pair.mentor_id,)}[confirmed_by]
        for person_id in who:
            db.session.add(Attendance(meeting_id=meeting.id, occurrence_start=when,
                                      person_id=person_id, outcome="held"))
        meetings.append(meeting)
    db.session.flush()
    return meetings


def gradebook(lineitem_id: int) -> dict[str, Score]:
    """The sandbox's stored scores of a line item by user id (fresh from the database)."""
    db.session.rollback()
    return {s.user_id: s for s in db.session.scalars(
        sa.select(Score).where(Score.lineitem_id == lineitem_id))}


def relaxed(program, **values) -> None:
    """The default rubric with only meetings required to complete (no agreement)."""
    policy = services.policy_of(program)
    for name, value in {"require_agreement": False, "min_meetings": 3, "pass_score": 50,
                        **values}.items():
        setattr(policy, name, value)
    db.session.flush()
