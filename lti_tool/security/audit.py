"""The audit log of staff and administrator actions: who did what, to what, when, from where.

`record()` adds one event inside the caller's transaction (it flushes, never commits), so an
event is kept exactly when the action it describes is. Action names are dotted, domain first
(`platform.registered`, `lti.key_rotated`, `pairs.published`, `grades.overridden`,
`export.downloaded`); `target` says what was acted on in words a person can read.
"""

import json
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request

from lti_tool.courses.models import Course, Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from lti_tool.security.models import AuditEvent

Actor = Person | Enrolment | int | None


def record(action: str, *, actor: Actor = None, program: Program | int | None = None,
           target: str = "", course: Course | int | None = None,
           platform: Platform | int | None = None, **details: Any) -> AuditEvent:
    """Record `action` by `actor` (a Person, an Enrolment or a person id; by default the
    person signed in to this request, if any). The course and platform are taken from the
    program, the course or the actor's enrolment when not given. `details` must be
    JSON-serialisable (other values are stored as their text)."""
    enrolment = _enrolment(actor)
    actor_id = _id(actor) if isinstance(actor, Person | int) else \
        (enrolment.person_id if enrolment is not None else None)
    program_id = _id(program)
    course_id = _id(course)
    if course_id is None and isinstance(program, Program):
        course_id = program.course_id
    elif course_id is None and program_id is not None:
        course_id = db.session.scalar(sa.select(Program.course_id).where(Program.id == program_id))
    if course_id is None and enrolment is not None:
        course_id = enrolment.course_id
    platform_id = _id(platform)
    if platform_id is None and course_id is not None:
        platform_id = db.session.scalar(sa.select(Course.platform_id).where(Course.id == course_id))
    event = AuditEvent(
        action=action[:64], target=str(target)[:255], actor_id=actor_id,
        platform_id=platform_id, course_id=course_id, program_id=program_id,
        details=json.loads(json.dumps(details, default=str)),
        ip=(request.remote_addr or None) if has_request_context() else None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def registration_saved(platform: Platform, changes: dict | None, via: str) -> AuditEvent:
    """A registration an administrator created (`changes` None) or changed ({field: [old,
    new]}), from the admin page or the CLI."""
    target = f"{platform.issuer} client {platform.client_id}"
    if changes is None:
        return record("platform.registered", platform=platform, target=target, via=via,
                      deployment_ids=platform.deployment_ids)
    return record("platform.updated", platform=platform, target=target, via=via,
                  changes=changes)


def _enrolment(actor: Actor) -> Enrolment | None:
    if isinstance(actor, Enrolment):
        return actor
    if actor is None and has_request_context():
        return g.get("enrolment")
    return None


def _id(value) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return value.id


def recent(limit: int = 50, action: str | None = None) -> list[AuditEvent]:
    """The newest events first."""
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    return list(db.session.scalars(query.limit(limit)))
