"""Recording a launch: platform → course → person → enrolment → resource link, in the
caller's transaction, so that a launch that fails later leaves nothing behind."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from lti_tool.courses import landing
from lti_tool.courses.models import Course, Enrolment, Person, Program, ResourceLink, Role
from lti_tool.courses.roles import settle_role
from lti_tool.extensions import db
from lti_tool.lti.context import PROGRAM_PARAM, SUBSTITUTIONS, LaunchContext
from lti_tool.lti.models import Deployment, Platform
from lti_tool.lti.registrations import find_platform
from lti_tool.lti.rejections import LaunchRejected
from lti_tool.timeutil import utcnow

# Staff first, then mentors, then learners.
ROLE_ORDER = sa.case({Role.STAFF.value: 0, Role.MENTOR.value: 1, Role.LEARNER.value: 2},
                     value=sa.cast(Enrolment.role, sa.String))


@dataclass
class RecordedLaunch:
    enrolment: Enrolment
    resource_link: ResourceLink | None


def record_launch(ctx: LaunchContext) -> RecordedLaunch:
    platform = find_platform(ctx.issuer, ctx.client_id)
    if platform is None or not ctx.context_id:
        raise LaunchRejected(400, "no_context", "Pairwise opens from inside a course.",
                             "Add the tool as an activity in a course, not at site level.")
    _note_platform(platform, ctx)
    course = _upsert_course(platform, ctx)
    person = _upsert_person(platform, ctx)
    enrolment = _upsert_enrolment(platform, course, person, ctx)
    link = _upsert_resource_link(course, platform, ctx) if ctx.resource_link_id else None
    db.session.flush()
    if link is not None:
        landing.note_launch(person, link)
    return RecordedLaunch(enrolment, link)


def _note_platform(platform: Platform, ctx: LaunchContext) -> None:
    if ctx.product_family and platform.product_family != ctx.product_family:
        platform.product_family = ctx.product_family


def _one(model, **keys):
    return db.session.scalars(sa.select(model).filter_by(**keys)).first()


def _upsert_course(platform: Platform, ctx: LaunchContext) -> Course:
    course = _one(Course, platform_id=platform.id, context_id=ctx.context_id)
    if course is None:
        course = Course(platform_id=platform.id, context_id=ctx.context_id)
        db.session.add(course)
    course.label = ctx.context_label or course.label or ""
    course.title = ctx.context_title or course.title or ""
    course.nrps_url = ctx.nrps_url or course.nrps_url
    return course


def _upsert_person(platform: Platform, ctx: LaunchContext) -> Person:
    person = _one(Person, platform_id=platform.id, subject=ctx.subject)
    if person is None:
        person = Person(platform_id=platform.id, subject=ctx.subject)
        db.session.add(person)
    # Platforms send names and e-mail only when their privacy settings allow: keep what we had.
    for field in ("name", "given_name", "family_name", "email", "username", "locale",
                  "timezone"):
        value = getattr(ctx, field)
        if value:
            setattr(person, field, value)
    return person


def _upsert_enrolment(platform: Platform, course: Course, person: Person,
                      ctx: LaunchContext) -> Enrolment:
    db.session.flush()
    enrolment = _one(Enrolment, course_id=course.id, person_id=person.id)
    if enrolment is None:
        enrolment = Enrolment(course=course, person=person)
        db.session.add(enrolment)
    enrolment.lis_roles = list(ctx.lis_roles)
    enrolment.active = True
    enrolment.source = "launch"
    enrolment.last_launch_at = utcnow()
    # The launch's roles with what the roster said and the platform's mapping (roles.py).
    if settle_role(enrolment, platform) is None and ctx.role is not None:
        enrolment.role = ctx.role
    if ctx.groups is not None:
        enrolment.groups = list(ctx.groups)
    return enrolment


def _upsert_resource_link(course: Course, platform: Platform, ctx: LaunchContext) -> ResourceLink:
    deployment = _one(Deployment, platform_id=platform.id, deployment_id=ctx.deployment_id)
    link = _one(ResourceLink, course_id=course.id, link_id=ctx.resource_link_id)
    if link is None:
        link = ResourceLink(course=course, link_id=ctx.resource_link_id)
        db.session.add(link)
    link.deployment = deployment
    link.title = ctx.resource_link_title or link.title or ""
    # The activity's own parameters; the substituted ones describe the person, not the link.
    link.custom = {k: v for k, v in ctx.custom.items() if k not in SUBSTITUTIONS}
    # Where the LMS's pages are, for the links e-mails send back to it (courses/landing.py).
    link.lms_web_root = landing.web_root(ctx.issuer, ctx.return_url,
                                         ctx.product_family or platform.product_family) \
        or link.lms_web_root
    if ctx.ags:
        link.ags_lineitems_url = ctx.ags.lineitems_url
        link.ags_lineitem_url = ctx.ags.lineitem_url
        link.ags_scopes = list(ctx.ags.scopes)
    if link.program is None:
        link.program = _program_for(course, ctx)
    return link


def _program_for(course: Course, ctx: LaunchContext) -> Program:
    """The program deep linking created (named by a custom parameter), else a new one. A key
    from another course (the activity was copied by a course backup) gives that course its
    own copy of the settings: programs never span courses."""
    key = ctx.custom.get(PROGRAM_PARAM, "")
    source = _one(Program, key=key) if key else None
    if source is not None and source.course_id == course.id:
        return source
    program = Program(course=course, title=ctx.resource_link_title or "Mentoring program")
    if source is not None:
        program.title, program.description = source.title, source.description
        program.score_maximum = source.score_maximum
        program.meeting_minutes = source.meeting_minutes
    db.session.add(program)
    return program


def create_program(course: Course, title: str, description: str, score_maximum: int,
                   meeting_minutes: int) -> Program:
    program = Program(course=course, title=title, description=description,
                      score_maximum=score_maximum, meeting_minutes=meeting_minutes)
    db.session.add(program)
    db.session.flush()
    return program


def course_roster(course: Course) -> list[Enrolment]:
    """The course's enrolments with their people (loaded by the same join: one query for
    any size of course), staff first, then by name."""
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .join(Person)
            .options(contains_eager(Enrolment.person))
            .where(Enrolment.course_id == course.id)
            .order_by(ROLE_ORDER, Person.family_name, Person.given_name, Person.subject)
        )
    )


def staff_of(program: Program) -> list[Person]:
    """The people with the staff role in the program's course (active enrolments)."""
    return list(db.session.scalars(
        sa.select(Person).join(Enrolment, Enrolment.person_id == Person.id)
        .where(Enrolment.course_id == program.course_id, Enrolment.role == Role.STAFF,
               Enrolment.active.is_(True)).order_by(Person.id)))
