"""For tests of the homes: "What needs you" as a home page shows it, and rows that make
something wait for someone (built directly: what the features do to get there is their tests')."""

import html
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from lti_tool.courses.models import Course, Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.meetings.models import Attendance, Meeting
from lti_tool.pairs.models import Pair

NEED = re.compile(r'<li class="need need-([a-z_]+)( overdue)?">\s*<a href="([^"]+)">([^<]*)</a>'
                  r'(.*?)</li>', re.S)
TOKEN = re.compile(r"[?&]pw=[^#&]*")


@dataclass(frozen=True)
class Shown:
    """One item of "What needs you": its label, its link (without the session token), whether
    it is marked overdue, and the text after the link (whose pair, the date)."""

    label: str
    link: str
    overdue: bool
    after: str


def needs_on(person) -> dict[str, Shown]:
    """The items on the person's home, by kind (e.g. "proposals"); {} for the empty state."""
    response = person.get("/")
    assert response.status_code == 200, response.data[:300]
    page = response.data.decode()
    assert '<h2 id="needs-h">What needs you</h2>' in page
    shown = {kind: Shown(html.unescape(label), TOKEN.sub("", html.unescape(link)),
                         bool(overdue), " ".join(html.unescape(re.sub("<[^>]+>", " ", after))
                                                 .split()))
             for kind, overdue, link, label, after in NEED.findall(page)}
    assert bool(shown) != ("Nothing needs you right now." in page)
    return shown


def program_of(person_sub: str, course_context: str | None = None) -> Program:
    """The program of the course the person is enrolled in (the first, or the one whose LTI
    context id is `course_context`)."""
    query = (sa.select(Program).join(Course, Program.course_id == Course.id)
             .join(Enrolment, Enrolment.course_id == Course.id)
             .join(Person, Enrolment.person_id == Person.id).where(Person.subject == person_sub))
    if course_context is not None:
        query = query.where(Course.context_id == course_context)
    return db.session.scalars(query.order_by(Program.id)).first()


def meeting(pair: Pair, start: datetime, minutes: int = 45, status: str = "scheduled",
            answers: dict[int, str] | None = None) -> Meeting:
    """A one-off meeting of the pair (UTC), with each member's word on it (person id: outcome).
    Flushes."""
    row = Meeting(pair_id=pair.id, proposed_by_id=pair.mentee_id, status=status,
                  start_at=start, minutes=minutes, timezone="UTC",
                  uid=f"{secrets.token_hex(8)}@pairwise.test")
    db.session.add(row)
    db.session.flush()
    for person_id, outcome in (answers or {}).items():
        db.session.add(Attendance(meeting_id=row.id, occurrence_start=start,
                                  person_id=person_id, outcome=outcome))
    db.session.flush()
    return row
