"""Participation grades in the tool: the program's rubric, recomputing scores from what people
did, queueing every change for the LMS, and staff's overrides, holds and resends.

Other features call `queue_recompute(program or pair)` inside their own transaction whenever
something that counts changes (a meeting confirmed, an agreement signed...): the affected
people's scores are recomputed there and then, and each score that moved gets a `GradeSync`
outbox row in the same transaction (flushed, never committed here). Posting to the LMS happens
later, outside any request, in `lti_tool.grades.sync`. `flask grades recompute` (cron) catches
changes of features that do not call it yet.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from flask_babel import gettext as _

from lti_tool.catalogue import N_
from lti_tool.courses.models import Course, Enrolment, Person, Program, ResourceLink
from lti_tool.dbutil import insert_unless_present
from lti_tool.extensions import db
from lti_tool.grades import facts as gather
from lti_tool.grades.models import (
    CONFLICT,
    FAILED,
    FORBIDDEN,
    HELD,
    LEFT,
    MENTEE,
    MENTOR,
    NO_SERVICE,
    NOT_FOUND,
    PENDING,
    REJECTED,
    SENDING,
    SENT,
    GradeAudit,
    GradeRecord,
    GradeSync,
    GradingPolicy,
)
from lti_tool.grades.rubric import (
    COMPLETED,
    MENTOR_FIELDS,
    ParticipationFacts,
    Rubric,
    activity_progress,
    assess,
    comment,
    mentor_defaults,
    passes,
)
from lti_tool.pairs.models import Pair
from lti_tool.security import audit
from lti_tool.timeutil import utcnow

log = logging.getLogger(__name__)

FULLY_GRADED, PENDING_GRADE = "FullyGraded", "Pending"
MAX_REASON = 1000


class GradeError(ValueError):
    """A refused staff action; the message says why."""


# --- The policy -----------------------------------------------------------------------------

def policy_of(program: Program) -> GradingPolicy:
    """The program's policy, created with the defaults (scaled to its maximum) if missing.
    Flushes, does not commit."""
    policy = db.session.scalars(
        sa.select(GradingPolicy).filter_by(program_id=program.id)).first()
    if policy is None:
        policy = GradingPolicy(program=program, **_default_points(program.score_maximum),
                               mentor_rubric=mentor_defaults(program.score_maximum))
        db.session.add(policy)
        db.session.flush()
    return policy


def _default_points(maximum: float) -> dict:
    """The default rubric adds up to 100: scale its points to the program's maximum."""
    scale = (maximum or 100) / 100
    return {"points_per_meeting": round(10 * scale, 2), "points_per_recap": round(2 * scale, 2),
            "agreement_points": round(10 * scale, 2), "points_per_goal": round(2 * scale, 2),
            "points_per_action": round(1 * scale, 2), "points_per_survey": 0,
            "reflection_points": round(10 * scale, 2), "pass_score": round(50 * scale, 2)}


def update_policy(program: Program, actor: Person | None, values: dict,
                  maximum: int | None = None) -> int:
    """Save staff's rubric (and the program's maximum), audit it and recompute everyone.
    Returns how many score changes were queued. Flushes, does not commit."""
    policy = policy_of(program)
    if "mentor_rubric" in values:  # what staff left empty keeps its value
        current, given = policy.rubric(MENTOR), values["mentor_rubric"]
        values = {**values, "mentor_rubric": {name: given.get(name, getattr(current, name))
                                              for name in MENTOR_FIELDS}}
    new_maximum = maximum if maximum is not None else program.score_maximum
    pass_score = values.get("pass_score", policy.pass_score)
    if not 0 < pass_score <= new_maximum:
        raise GradeError(_("The grade to pass must be above 0 and at most the maximum."))
    changed = [name for name, value in values.items()
               if name in (*GradingPolicy.RUBRIC_FIELDS, "grade_mentors", "mentor_rubric")
               and getattr(policy, name) != value]
    for name in changed:
        setattr(policy, name, values[name])
    if new_maximum != program.score_maximum:
        changed.append("maximum")
        program.score_maximum = new_maximum
    if changed:
        db.session.add(GradeAudit(program_id=program.id, actor_id=actor.id if actor else None,
                                  action="rubric", reason="Changed: " + ", ".join(changed)))
    db.session.flush()
    return queue_recompute(program, trigger="rubric")


def mentor_form_data(policy: GradingPolicy) -> dict:
    """The mentors' rubric as PolicyForm data (`mentor_` fields)."""
    values = policy.rubric(MENTOR)
    return {f"mentor_{name}": getattr(values, name) for name in MENTOR_FIELDS}


# --- Who is graded, and recomputing ---------------------------------------------------------

def _pairs_by_person(program: Program, policy: GradingPolicy,
                     person_ids: set[int] | None = None) -> dict[int, tuple[str, list[Pair]]]:
    """{person id: (role, their pairs)} of everyone graded in the program (or of the people
    in `person_ids`: then only their pairs are read): every mentee (ended pairs too: their
    meetings count), and mentors if the policy says so."""
    query = sa.select(Pair).where(Pair.program_id == program.id).order_by(Pair.id)
    if person_ids is not None:
        query = query.where(sa.or_(Pair.mentee_id.in_(person_ids),
                                   Pair.mentor_id.in_(person_ids)))
    pairs = list(db.session.scalars(query))
    graded: dict[int, tuple[str, list[Pair]]] = {}
    for pair in pairs:
        graded.setdefault(pair.mentee_id, (MENTEE, []))[1].append(pair)
    if policy.grade_mentors:
        for pair in pairs:
            if pair.mentor_id not in graded or graded[pair.mentor_id][0] == MENTOR:
                graded.setdefault(pair.mentor_id, (MENTOR, []))[1].append(pair)
    return graded


def queue_recompute(target: Program | Pair, *, trigger: str = "change") -> int:
    """Recompute the scores `target` affects (a whole program, or a pair's members) and queue
    each one that moved for the LMS, in the caller's transaction. Returns the rows queued."""
    if isinstance(target, Pair):
        # A pair not flushed yet may name its program by id only; the program exists (FK).
        program = target.program or db.session.get_one(Program, target.program_id)
        return recompute(program, person_ids={target.mentee_id, target.mentor_id},
                         trigger=trigger)
    return recompute(target, trigger=trigger)


def recompute(program: Program, person_ids: set[int] | None = None, *,
              trigger: str = "change", now: datetime | None = None) -> int:
    """Recompute (some of) the program's graded people; queue moved scores. Flushes."""
    policy = policy_of(program)
    rubrics = {MENTEE: policy.rubric(MENTEE), MENTOR: policy.rubric(MENTOR)}
    graded = _pairs_by_person(program, policy, person_ids)
    records = _records(program, person_ids)
    wanted = set(graded) | {pid for pid, r in records.items() if r.role == MENTEE}
    if person_ids is not None:
        wanted &= set(person_ids)
    if not wanted:
        return 0
    _create_missing(program, {pid: graded.get(pid, (MENTEE, []))[0] for pid in wanted
                              if pid not in records})
    records = _records(program, wanted)
    people = {p.id: p for p in db.session.scalars(sa.select(Person).where(
        Person.id.in_(wanted)))}
    all_pairs = [pair for pid in wanted for pair in graded.get(pid, (MENTEE, []))[1]]
    if person_ids is None:
        held = gather.held_meetings(program_id=program.id)
    else:
        held = gather.held_meetings({p.id for p in all_pairs}) if all_pairs else {}
    when = now or utcnow()
    active = _active_people(program.course_id, wanted)
    queued = 0
    for person_id in sorted(wanted):
        role, pairs = graded.get(person_id, (records[person_id].role, []))
        facts = gather.facts_for(pairs, people[person_id], mentor=role == MENTOR, held=held)
        record = records[person_id]
        record.role = role
        _apply(record, rubrics[role], facts, when)
        queued += _queue_if_moved(record, program, trigger, when, left=person_id not in active,
                                  rubric=rubrics[role]) is not None
    db.session.flush()
    if queued:
        log.info("grades: program=%s queued %s score changes (%s)", program.id, queued, trigger)
    return queued


def _records(program: Program, person_ids: set[int] | None = None
             ) -> dict[int, GradeRecord]:
    """The program's grade records (only those of `person_ids` when given: a change
    recomputes two people, and must not read a large program's every record)."""
    query = sa.select(GradeRecord).where(GradeRecord.program_id == program.id)
    if person_ids is not None:
        query = query.where(GradeRecord.person_id.in_(person_ids))
    return {r.person_id: r for r in db.session.scalars(query)}


def _create_missing(program: Program, roles: dict[int, str]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: two requests recomputing the same person at once
    neither fail nor make a second record."""
    if not roles:
        return
    values = [{"program_id": program.id, "person_id": pid, "role": role, "facts": {},
               "breakdown": [], "missing": []} for pid, role in roles.items()]
    insert_unless_present(GradeRecord, ["program_id", "person_id"], values)


def _active_people(course_id: int, person_ids: set[int]) -> set[int]:
    return set(db.session.scalars(sa.select(Enrolment.person_id).where(
        Enrolment.course_id == course_id, Enrolment.person_id.in_(person_ids),
        Enrolment.active.is_(True))))


def _apply(record: GradeRecord, rubric, facts: ParticipationFacts, when: datetime) -> None:
    result = assess(rubric, facts)
    record.facts = facts.as_dict()
    record.breakdown = result.breakdown()
    record.score = result.score
    record.completed = result.completed
    record.comment = result.comment
    record.activity_progress = result.activity_progress
    record.missing = list(result.missing)
    record.computed_at = when


# --- Queueing -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Payload:
    score_given: float
    score_maximum: float
    activity_progress: str
    grading_progress: str
    comment: str


def payload_of(record: GradeRecord, program: Program, rubric: Rubric | None = None) -> Payload:
    """What the LMS should hold for this person now. The comment and the activity progress
    follow completion as the LMS sees it (`completed_in_lms`): a staff override that lifts
    the score to the grade to pass completes the activity, and the comment says so."""
    rubric = rubric or policy_of(program).rubric(record.role)
    completed = completed_in_lms(record, rubric)
    facts = ParticipationFacts.from_dict(record.facts)
    text = comment(rubric, facts, completed) + ("; score set by staff" if record.overridden
                                                 else "")
    progress = record.activity_progress
    if completed != (progress == COMPLETED):
        progress = COMPLETED if completed else activity_progress(facts, False)
    return Payload(score_given=record.effective_score,
                   score_maximum=float(program.score_maximum),
                   activity_progress=progress,
                   grading_progress=PENDING_GRADE if record.held else FULLY_GRADED,
                   comment=text)


def completed_in_lms(record: GradeRecord, rubric: Rubric) -> bool:
    """The rubric's completion, unless staff overrode the score and completion follows the
    grade to pass (`gate_pass`): then whether the override reaches it, as in the LMS."""
    if record.overridden and record.override_score is not None:
        passed = passes(rubric, record.override_score)
        if passed is not None:
            return passed
    return record.completed


def _queued(record: GradeRecord) -> tuple:
    return (record.queued_score, record.queued_maximum, record.queued_progress,
            record.queued_grading, record.queued_comment)


def _queue_if_moved(record: GradeRecord, program: Program, trigger: str, when: datetime,
                    *, force: bool = False, left: bool = False,
                    rubric: Rubric | None = None) -> GradeSync | None:
    """A GradeSync row when the payload differs from the one last queued (or `force`)."""
    payload = payload_of(record, program, rubric)
    current = (payload.score_given, payload.score_maximum, payload.activity_progress,
               payload.grading_progress, payload.comment)
    if left and record.sync_status == LEFT:
        return None  # already flagged; nothing is sent while they are away
    # Back in the course: their current score goes out again.
    force = force or (not left and record.sync_status == LEFT)
    if current == _queued(record) and not force:
        return None
    row = GradeSync(record=record, program_id=program.id, trigger=trigger,
                    score_given=payload.score_given, score_maximum=payload.score_maximum,
                    activity_progress=payload.activity_progress,
                    grading_progress=payload.grading_progress, comment=payload.comment,
                    timestamp=when, next_attempt_at=when, status=PENDING, failures=[])
    db.session.add(row)
    _remember_queued(record, current)
    if left:
        row.status, row.last_error = LEFT, "Not enrolled in the course (left or inactive)."
        record.sync_status, record.sync_error = LEFT, row.last_error
    elif record.held:
        row.status, row.last_error = HELD, "Held by staff for review: not sent."
        record.sync_status, record.sync_error = HELD, row.last_error
    else:
        record.sync_status, record.sync_error = PENDING, ""
    return row


def _remember_queued(record: GradeRecord, current: tuple) -> None:
    (record.queued_score, record.queued_maximum, record.queued_progress,
     record.queued_grading, record.queued_comment) = current


# --- Staff actions --------------------------------------------------------------------------

def record_of(program: Program, person_id: int) -> GradeRecord | None:
    return db.session.scalars(sa.select(GradeRecord).filter_by(
        program_id=program.id, person_id=person_id)).first()


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise GradeError(_("Give a reason: it is kept in the audit log."))
    if len(reason) > MAX_REASON:
        raise GradeError(_("Keep the reason under %(limit)s characters.", limit=MAX_REASON))
    return reason


def _audit(record: GradeRecord, actor: Person | None, action: str, old: float | None,
           new: float | None, reason: str = "") -> None:
    db.session.add(GradeAudit(program_id=record.program_id, person_id=record.person_id,
                              actor_id=actor.id if actor else None, action=action,
                              old_score=old, new_score=new, reason=reason))
    audit.record(f"grades.{action}", actor=actor, program=record.program_id,
                 target=f"person:{record.person_id}", old_score=old, new_score=new,
                 reason=reason)


def override(record: GradeRecord, actor: Person, score: float, reason: str,
             now: datetime | None = None) -> GradeSync | None:
    """Staff's score instead of the rubric's, with a reason for the audit log."""
    maximum = record.program.score_maximum
    if score is None or not 0 <= score <= maximum:
        raise GradeError(_("The score must be between 0 and %(maximum)s.", maximum=maximum))
    reason = _reason(reason)
    _audit(record, actor, "override", record.effective_score, score, reason)
    record.override_score, record.override_reason = float(score), reason
    return _queue_if_moved(record, record.program, "override", now or utcnow(),
                           left=_left(record))


def clear_override(record: GradeRecord, actor: Person, reason: str,
                   now: datetime | None = None) -> GradeSync | None:
    if not record.overridden:
        raise GradeError(_("This score is not overridden."))
    reason = _reason(reason)
    _audit(record, actor, "clear_override", record.effective_score, record.score, reason)
    record.override_score, record.override_reason = None, ""
    return _queue_if_moved(record, record.program, "clear_override", now or utcnow(),
                           left=_left(record))


def hold(record: GradeRecord, actor: Person, reason: str,
         now: datetime | None = None) -> GradeSync | None:
    """Keep the score in the tool for review: not posted until released."""
    if record.held:
        raise GradeError(_("This score is already held."))
    reason = _reason(reason)
    _audit(record, actor, "hold", record.effective_score, record.effective_score, reason)
    record.held = True
    return _queue_if_moved(record, record.program, "hold", now or utcnow(), left=_left(record))


def release(record: GradeRecord, actor: Person, reason: str = "",
            now: datetime | None = None) -> GradeSync | None:
    if not record.held:
        raise GradeError(_("This score is not held."))
    _audit(record, actor, "release", record.effective_score, record.effective_score,
           (reason or "").strip()[:MAX_REASON])
    record.held = False
    return _queue_if_moved(record, record.program, "release", now or utcnow(),
                           left=_left(record))


def resend(record: GradeRecord, actor: Person | None,
           now: datetime | None = None) -> GradeSync:
    """Queue the current score again (after staff fixed what made the LMS refuse it)."""
    if record.held:
        raise GradeError(_("Release the held score first."))
    if _left(record):
        raise GradeError(_("%(name)s is no longer enrolled in the course: people who left "
                           "are not graded.", name=record.person.display_name))
    _audit(record, actor, "resend", record.effective_score, record.effective_score)
    # Forced and not `left`: _queue_if_moved always queues a row then.
    return cast(GradeSync, _queue_if_moved(record, record.program, "resend", now or utcnow(),
                                           force=True))


def _left(record: GradeRecord) -> bool:
    return record.person_id not in _active_people(record.program.course_id,
                                                  {record.person_id})


# --- Reading (the staff page, `flask grades status`) ----------------------------------------

STATUS_TEXT = {
    "": N_("Not queued yet"),
    PENDING: N_("Waiting to be sent"),
    SENDING: N_("Being sent"),
    SENT: N_("Sent"),
    CONFLICT: N_("Sent (the LMS already had a newer score)"),
    REJECTED: N_("Refused by the LMS"),
    FORBIDDEN: N_("The LMS refused the tool access"),
    NOT_FOUND: N_("The grade item no longer exists in the LMS"),
    NO_SERVICE: N_("Grades are not enabled for this activity"),
    FAILED: N_("Failed"),
    LEFT: N_("Left the course: not graded"),
    HELD: N_("Held for review: not sent"),
}
PROBLEMS = (REJECTED, FORBIDDEN, NOT_FOUND, NO_SERVICE, FAILED)

FACT_LABELS = {"meetings_held": "meetings held", "recaps": "recaps",
               "agreement_signed": "the mentoring agreement", "goals_set": "goals",
               "actions_done": "action items", "surveys_answered": "check-in surveys",
               "reflection_submitted": "the final reflection"}


def untracked() -> list[str]:
    """What this installation cannot count yet, in words."""
    return [FACT_LABELS[name] for name, found in gather.tracked().items() if not found]


@dataclass
class Row:
    record: GradeRecord
    person: Person
    active: bool
    latest: GradeSync | None

    @property
    def status(self) -> str:
        if not self.active:
            return LEFT
        return self.record.sync_status

    @property
    def status_text(self) -> str:
        return _(STATUS_TEXT[self.status]) if self.status in STATUS_TEXT else self.status

    @property
    def problem(self) -> bool:
        return self.status in PROBLEMS

    @property
    def retrying(self) -> bool:
        return self.status == PENDING and bool(self.latest and self.latest.attempts)


def row_of(record: GradeRecord) -> Row:
    latest = db.session.scalars(sa.select(GradeSync).where(GradeSync.record_id == record.id)
                                .order_by(GradeSync.id.desc()).limit(1)).first()
    return Row(record, record.person, not _left(record), latest)


def history(record: GradeRecord, limit: int = 20) -> list[GradeSync]:
    return list(db.session.scalars(sa.select(GradeSync).where(GradeSync.record_id == record.id)
                                   .order_by(GradeSync.id.desc()).limit(limit)))


def audit_log(program: Program, person_id: int | None = None,
              limit: int = 100) -> list[GradeAudit]:
    query = sa.select(GradeAudit).where(GradeAudit.program_id == program.id)
    if person_id is not None:
        query = query.where(GradeAudit.person_id == person_id)
    return list(db.session.scalars(query.order_by(GradeAudit.id.desc()).limit(limit)))


def target_link(program_id: int) -> ResourceLink | None:
    """The activity whose line item gets the program's grades: the first with a line item the
    platform named, else the first with a line-item container (the item is found or created
    there). A program placed twice in a course grades into its first placement."""
    return db.session.scalars(
        sa.select(ResourceLink).where(
            ResourceLink.program_id == program_id,
            sa.or_(ResourceLink.ags_lineitem_url.is_not(None),
                   ResourceLink.ags_lineitems_url.is_not(None)))
        .order_by(ResourceLink.ags_lineitem_url.is_(None), ResourceLink.id)).first()


def counts(program: Program | None = None) -> dict[str, int]:
    """Outbox rows per status (all programs, or one)."""
    query = sa.select(GradeSync.status, sa.func.count()).group_by(GradeSync.status)
    if program is not None:
        query = query.where(GradeSync.program_id == program.id)
    return dict(db.session.execute(query).all())


def programs_with_pairs() -> list[Program]:
    return list(db.session.scalars(sa.select(Program).where(
        Program.id.in_(sa.select(Pair.program_id))).order_by(Program.id)))


def roster_courses() -> list[Course]:
    """Courses whose platform gave a membership service (NRPS) URL."""
    return list(db.session.scalars(sa.select(Course).where(Course.nrps_url.is_not(None))
                                   .order_by(Course.id)))


# --- For staff's "What needs you" (homes; read-only) ----------------------------------------

def refused_count(program: Program) -> int:
    """How many people still in the course have a score the LMS refused or could not take
    (PROBLEMS: the staff page's problems), in one query."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(GradeRecord)
        .join(Enrolment, sa.and_(Enrolment.person_id == GradeRecord.person_id,
                                 Enrolment.course_id == program.course_id))
        .where(GradeRecord.program_id == program.id, GradeRecord.sync_status.in_(PROBLEMS),
               Enrolment.active.is_(True))) or 0
