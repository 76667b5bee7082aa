"""Recording a launch: platform → course → person → enrolment → resource link, in the
caller's transaction, so that a launch that fails later leaves nothing behind.

A launch reads what exists in two queries (the course with the launched link and its
program; the person with their enrolment in that course, their pending landing and when they
last launched the link) and writes only what changed: a returning person whose claims are
the same causes no write but, at most every LAUNCH_STAMP_SECONDS, the time of the launch."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager, load_only
from sqlalchemy.orm.attributes import set_committed_value

from lti_tool.courses import landing
from lti_tool.courses.models import (
    Course,
    Enrolment,
    LaunchedLink,
    PendingLanding,
    Person,
    Program,
    ResourceLink,
    Role,
)
from lti_tool.courses.roles import role_for
from lti_tool.extensions import db
from lti_tool.lti import caches
from lti_tool.lti.context import PROGRAM_PARAM, SUBSTITUTIONS, LaunchContext
from lti_tool.lti.models import Platform
from lti_tool.lti.registrations import Registered, registration
from lti_tool.lti.rejections import LaunchRejected
from lti_tool.timeutil import as_utc, utcnow

# Staff first, then mentors, then learners.
ROLE_ORDER = sa.case({Role.STAFF.value: 0, Role.MENTOR.value: 1, Role.LEARNER.value: 2},
                     value=sa.cast(Enrolment.role, sa.String))


@dataclass
class RecordedLaunch:
    enrolment: Enrolment
    resource_link: ResourceLink | None
    # The page a `/go` link asked for, as loaded with the person (courses/landing.py).
    pending: PendingLanding | None = None
    # The person's first launch on this platform: they have answered nothing yet.
    new_person: bool = False


@dataclass
class ExistingRecords:
    """What the database already holds for this launch."""

    course: Course | None = None
    link: ResourceLink | None = None
    person: Person | None = None
    enrolment: Enrolment | None = None
    pending: PendingLanding | None = None
    launched: LaunchedLink | None = None


def existing_records(ctx: LaunchContext, platform: Registered | None) -> ExistingRecords:
    """What the database already holds for this launch, read before the launch writes
    (launches/views.py); `platform` is the registration the launch was validated against."""
    return _existing(_in_course(platform, ctx), ctx)


def record_launch(ctx: LaunchContext, platform: Registered | None = None,
                  found: ExistingRecords | None = None) -> RecordedLaunch:
    """Record the launch; `platform` is the registration the launch was validated against
    (looked up again when not given), `found` what `existing_records` read for it."""
    platform = _in_course(platform or registration(ctx.issuer, ctx.client_id), ctx)
    found = found or _existing(platform, ctx)
    _note_platform(platform, ctx)
    now = utcnow()
    course = _update_course(found.course or _new(Course(platform_id=platform.id,
                                                        context_id=ctx.context_id)), ctx)
    person = _update_person(found.person or _new(Person(platform_id=platform.id,
                                                        subject=ctx.subject)), ctx)
    enrolment = _update_enrolment(found.enrolment or _new(Enrolment(course=course,
                                                                    person=person)),
                                  platform, ctx, now)
    link = None
    if ctx.resource_link_id:
        link = _update_resource_link(
            found.link or _new(ResourceLink(course=course, link_id=ctx.resource_link_id)),
            course, platform, ctx)
    db.session.flush()
    if link is not None and _stale(found.launched.launched_at if found.launched else None,
                                   now):
        landing.note_launch(person, link, now, new=found.person is None)
    return RecordedLaunch(enrolment, link, found.pending, new_person=found.person is None)


def _in_course(platform: Registered | None, ctx: LaunchContext) -> Registered:
    if platform is None or not ctx.context_id:
        raise LaunchRejected(400, "no_context", "Pairwise opens from inside a course.",
                             "Add the tool as an activity in a course, not at site level.")
    return platform


def _new(row):
    db.session.add(row)
    return row


# A launch's reads, built once (a launch spent a tenth of its time building them again): the
# course with the launched activity and its program; the person with their enrolment in that
# course, their pending landing and when they last launched the activity.
_COURSE = sa.select(Course).where(Course.platform_id == sa.bindparam("platform_id"),
                                  Course.context_id == sa.bindparam("context_id"))
_COURSE_AND_LINK = (
    sa.select(Course, ResourceLink, Program)
    .outerjoin(ResourceLink, sa.and_(ResourceLink.course_id == Course.id,
                                     ResourceLink.link_id == sa.bindparam("link_id")))
    .outerjoin(Program, Program.id == ResourceLink.program_id)
    .where(Course.platform_id == sa.bindparam("platform_id"),
           Course.context_id == sa.bindparam("context_id")))
_PERSON = (
    sa.select(Person, Enrolment, PendingLanding, LaunchedLink)
    .outerjoin(Enrolment, sa.and_(Enrolment.person_id == Person.id,
                                  Enrolment.course_id == sa.bindparam("course_id")))
    .outerjoin(PendingLanding, PendingLanding.person_id == Person.id)
    .outerjoin(LaunchedLink, sa.and_(LaunchedLink.person_id == Person.id,
                                     LaunchedLink.resource_link_id == sa.bindparam("link_row")))
    .where(Person.platform_id == sa.bindparam("platform_id"),
           Person.subject == sa.bindparam("subject")))


def _existing(platform: Registered, ctx: LaunchContext) -> ExistingRecords:
    found = ExistingRecords()
    found.course, found.link = _existing_course(platform, ctx)
    row = db.session.execute(_PERSON, {
        "course_id": _id(found.course), "link_row": _id(found.link),
        "platform_id": platform.id, "subject": ctx.subject}).first()
    if row is not None:
        found.person, found.enrolment, found.pending, found.launched = row
        if found.enrolment is not None:
            # Loaded together: set as loaded, or their lazy loads would query again.
            set_committed_value(found.enrolment, "person", found.person)
            set_committed_value(found.enrolment, "course", found.course)
    return found


def _existing_course(platform: Registered, ctx: LaunchContext
                     ) -> tuple[Course | None, ResourceLink | None]:
    """The course, with the launched link and its program when there is one."""
    where = {"platform_id": platform.id, "context_id": ctx.context_id}
    if not ctx.resource_link_id:
        return db.session.scalars(_COURSE, where).first(), None
    row = db.session.execute(_COURSE_AND_LINK, {**where, "link_id": ctx.resource_link_id}
                             ).first()
    if row is None:
        return None, None
    course, link, program = row
    if link is not None:
        set_committed_value(link, "course", course)
        set_committed_value(link, "program", program)
    return course, link


def _id(row: Course | ResourceLink | None) -> int | None:
    return row.id if row is not None else None


def _stale(stamp: datetime | None, now: datetime) -> bool:
    """Whether a launch time recorded at `stamp` is worth writing again at `now`."""
    interval = timedelta(seconds=current_app.config["LAUNCH_STAMP_SECONDS"])
    return stamp is None or as_utc(stamp) + interval <= now


def _note_platform(platform: Registered, ctx: LaunchContext) -> None:
    if ctx.product_family and platform.product_family != ctx.product_family:
        db.session.execute(sa.update(Platform).where(Platform.id == platform.id)
                           .values(product_family=ctx.product_family))
        caches.note_change(db.session)


def _one(model, **keys):
    return db.session.scalars(sa.select(model).filter_by(**keys)).first()


def _set(row, name: str, value) -> None:
    """Assign only a different value: an equal one must not make the row dirty."""
    if getattr(row, name) != value:
        setattr(row, name, value)


def _update_course(course: Course, ctx: LaunchContext) -> Course:
    _set(course, "label", ctx.context_label or course.label or "")
    _set(course, "title", ctx.context_title or course.title or "")
    _set(course, "nrps_url", ctx.nrps_url or course.nrps_url)
    return course


def _update_person(person: Person, ctx: LaunchContext) -> Person:
    # Platforms send names and e-mail only when their privacy settings allow: keep what we had.
    for field in ("name", "given_name", "family_name", "email", "username", "locale",
                  "timezone"):
        value = getattr(ctx, field)
        if value:
            _set(person, field, value)
    return person


def _update_enrolment(enrolment: Enrolment, platform: Registered, ctx: LaunchContext,
                      now: datetime) -> Enrolment:
    _set(enrolment, "lis_roles", list(ctx.lis_roles))
    _set(enrolment, "active", True)
    _set(enrolment, "source", "launch")
    if _stale(enrolment.last_launch_at, now):
        enrolment.last_launch_at = now
    # The launch's roles with what the roster said and the platform's mapping (roles.py).
    role = role_for(enrolment, platform) or ctx.role
    if role is not None:
        _set(enrolment, "role", role)
    if ctx.groups is not None:
        _set(enrolment, "groups", list(ctx.groups))
    return enrolment


def _update_resource_link(link: ResourceLink, course: Course, platform: Registered,
                          ctx: LaunchContext) -> ResourceLink:
    _set(link, "deployment_id", platform.deployments.get(ctx.deployment_id))
    _set(link, "title", ctx.resource_link_title or link.title or "")
    # The activity's own parameters; the substituted ones describe the person, not the link.
    _set(link, "custom", {k: v for k, v in ctx.custom.items() if k not in SUBSTITUTIONS})
    # Where the LMS's pages are, for the links e-mails send back to it (courses/landing.py).
    _set(link, "lms_web_root", landing.web_root(ctx.issuer, ctx.return_url,
                                                ctx.product_family or platform.product_family)
         or link.lms_web_root)
    if ctx.ags:
        _set(link, "ags_lineitems_url", ctx.ags.lineitems_url)
        _set(link, "ags_lineitem_url", ctx.ags.lineitem_url)
        _set(link, "ags_scopes", list(ctx.ags.scopes))
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


_ROSTER_COLUMNS = (Enrolment.course_id, Enrolment.person_id, Enrolment.role, Enrolment.active,
                   Enrolment.source, Enrolment.last_launch_at)


def course_roster(course: Course) -> list[Enrolment]:
    """The course's enrolments with their people (loaded by the same join: one query for
    any size of course), staff first, then by name. Without the LMS's role lists and groups,
    which the roster pages do not show (three JSON values a row were a third of the cost of
    the largest pages); reading one of them from a row loaded here raises, never queries."""
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .join(Person)
            .options(contains_eager(Enrolment.person),
                     load_only(*_ROSTER_COLUMNS, raiseload=True))
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
