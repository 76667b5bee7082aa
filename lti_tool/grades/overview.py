"""The rows of the staff grades page (`/grades`) read in a fixed number of queries, whatever
the program's size: the records with their people (one join), the newest outbox row of each
(one grouped query) and who is still enrolled (one query). Each row is what
`services.row_of` gives for one person."""

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from lti_tool.courses.models import Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.grades.models import GradeRecord, GradeSync
from lti_tool.grades.services import STATUS_TEXT, Row


def program_rows(program: Program) -> list[Row]:
    """Every graded person of the program with their latest outbox row, by name."""
    records = list(db.session.scalars(
        sa.select(GradeRecord).join(Person, GradeRecord.person_id == Person.id)
        .options(contains_eager(GradeRecord.person))
        .where(GradeRecord.program_id == program.id)
        .order_by(GradeRecord.role, Person.family_name, Person.given_name, Person.name,
                  Person.subject)))
    if not records:
        return []
    latest = _latest_syncs(program)
    active = _active_people(program)
    return [Row(r, r.person, r.person_id in active, latest.get(r.id)) for r in records]


def _latest_syncs(program: Program) -> dict[int, GradeSync]:
    """{record id: its newest outbox row}: selected by the program, not by a list of ids,
    so the statement is the same for any number of people."""
    newest = (sa.select(sa.func.max(GradeSync.id))
              .join(GradeRecord, GradeSync.record_id == GradeRecord.id)
              .where(GradeRecord.program_id == program.id)
              .group_by(GradeSync.record_id))
    return {row.record_id: row for row in db.session.scalars(
        sa.select(GradeSync).where(GradeSync.id.in_(newest)))}


def _active_people(program: Program) -> set[int]:
    """The ids of the graded people still actively enrolled in the program's course."""
    graded = sa.select(GradeRecord.person_id).where(GradeRecord.program_id == program.id)
    return set(db.session.scalars(sa.select(Enrolment.person_id).where(
        Enrolment.course_id == program.course_id, Enrolment.person_id.in_(graded),
        Enrolment.active.is_(True))))


def status_texts() -> dict[str, str]:
    """Each outbox status in words (`Row.status_text`), translated once for the whole page."""
    return {status: _(text) for status, text in STATUS_TEXT.items()}
