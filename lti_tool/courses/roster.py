"""The course roster from the platform (NRPS), so that people who never launched the tool
(for example mentors staff designate) are known too. Paging follows `rel=next` links. The
roster adds people and may raise a role, never lowers one a launch gave (courses/roles.py)."""

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from lti_tool.courses.models import Course, Enrolment, Person, Role
from lti_tool.courses.roles import settle_role
from lti_tool.extensions import db
from lti_tool.lti import roles as lis
from lti_tool.lti.advantage import roster_service
from lti_tool.lti.context import email_address
from lti_tool.timeutil import utcnow

log = logging.getLogger(__name__)
NAME_FIELDS = ("name", "given_name", "family_name")
MAX_TEXT = 255  # the person columns' length


@dataclass
class RosterSync:
    members: int
    added: int
    deactivated: int


def sync_roster(course: Course) -> RosterSync:
    """Read every page of the membership and upsert people and enrolments. The caller
    commits; nothing is written if any page fails."""
    members = roster_service(course).get_members()
    seen: set[int] = set()
    added = 0
    for member in members:
        enrolment, created = _apply_member(course, member)
        if enrolment is not None:
            seen.add(enrolment.id)
            added += created
    deactivated = _deactivate_missing(course, seen)
    course.roster_synced_at = utcnow()
    log.info("roster synced: course=%s members=%s added=%s deactivated=%s",
             course.id, len(members), added, deactivated)
    return RosterSync(len(members), added, deactivated)


def _apply_member(course: Course, member: dict) -> tuple[Enrolment | None, bool]:
    user_id = str(member.get("user_id") or "")
    roles = [str(r) for r in member.get("roles") or []]
    known = lis.mapped_role(set(lis.short_names(roles)), course.platform.role_mapping)
    if not user_id or len(user_id) > MAX_TEXT or known is None:  # LTI user ids: 255 at most
        return None, False
    person = _person(course.platform_id, user_id)
    for field in NAME_FIELDS:
        if member.get(field):
            setattr(person, field, str(member[field])[:MAX_TEXT])  # as a launch cuts them
    # As in a launch: an address that is not one is not stored, and the member still counts.
    email = email_address(member.get("email"), f"platform={course.platform_id} "
                                               f"user_id={user_id!r}")
    if email:
        person.email = email
    if member.get("ext_user_username"):
        person.username = str(member["ext_user_username"])[:MAX_TEXT]
    db.session.flush()
    enrolment = db.session.scalars(
        sa.select(Enrolment).filter_by(course_id=course.id, person_id=person.id)
    ).first()
    created = enrolment is None
    if created:
        enrolment = Enrolment(course=course, person=person, source="roster", role=known)
        db.session.add(enrolment)
    enrolment.roster_roles = roles
    if enrolment.last_launch_at is None:  # else the launch's roles stay (courses/roles.py)
        enrolment.lis_roles = roles
    settle_role(enrolment, course.platform)
    enrolment.active = member.get("status", "Active") == "Active"
    db.session.flush()
    return enrolment, created


def _person(platform_id: int, subject: str) -> Person:
    person = db.session.scalars(
        sa.select(Person).filter_by(platform_id=platform_id, subject=subject)
    ).first()
    if person is None:
        person = Person(platform_id=platform_id, subject=subject)
        db.session.add(person)
    return person


def _deactivate_missing(course: Course, seen: set[int]) -> int:
    missing = db.session.scalars(
        sa.select(Enrolment).where(
            Enrolment.course_id == course.id,
            Enrolment.active.is_(True),
            Enrolment.id.not_in(seen),
            # Site admins launch courses they are not enrolled in: never lock staff out.
            Enrolment.role != Role.STAFF,
        )
    ).all()
    for enrolment in missing:
        enrolment.active = False
    return len(missing)
