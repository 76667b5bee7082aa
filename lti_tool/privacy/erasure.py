"""Erasing one person's data in one course, on their request, in the caller's transaction.

What only concerns the person goes (their intake, enrolment, private recaps, their goals,
ticks, survey answers, stories, grade records and their queued notifications and scores).
What their partner also relies on stays readable for the partner: messages, shared recaps,
agreement versions, action items and meetings keep their place in the pair's history, with the
person's own words replaced by `REMOVED` and their authorship moved to a placeholder person
("Removed participant") that holds no personal data and is unique to this erasure, so nothing
links it to the person or to other courses. Active pairs are ended first, which frees the
mentor's place. The LMS still owns the enrolment: a later launch makes a fresh participant.
When the person has no other course on the platform, their profile row is deleted too.
"""

import logging
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa

from lti_tool.courses import landing
from lti_tool.courses.models import Course, Enrolment, Person, Program
from lti_tool.dbutil import rowcount
from lti_tool.extensions import db
from lti_tool.grades.models import GradeAudit, GradeRecord
from lti_tool.guides.models import Guide, GuideUse
from lti_tool.intake.models import Mentor, Profile
from lti_tool.journal.models import ActionItem, Message, Recap, ThreadState
from lti_tool.meetings.models import (
    Attendance,
    CalendarFeed,
    EventRsvp,
    Meeting,
    ProgramEvent,
)
from lti_tool.notify.models import PENDING, Notification
from lti_tool.pairs import services as pairs_services
from lti_tool.pairs.models import AvoidedPair, MatchRun, MentorRequest, Pair, Proposal
from lti_tool.privacy.services import PrivacyError
from lti_tool.relationships.models import Story
from lti_tool.security import audit
from lti_tool.surveys.models import SurveyReceipt, SurveyResponse
from lti_tool.web import submissions
from lti_tool.workspace.models import (
    AgreementTemplate,
    AgreementVersion,
    ChecklistTick,
    Goal,
)

log = logging.getLogger(__name__)
REMOVED = "[removed at the person's request]"
PLACEHOLDER_NAME = "Removed participant"
END_REASON = "Ended because a participant's data was erased on request."


@dataclass
class Erasure:
    """What one erasure did, as counts (no personal data): shown to staff and audited."""

    person_id: int
    course_id: int
    counts: dict[str, int] = field(default_factory=dict)
    profile_deleted: bool = False

    def add(self, key: str, number: int | None) -> None:
        if number:
            self.counts[key] = self.counts.get(key, 0) + number


def enrolment_in(course: Course, person_id: int) -> Enrolment:
    """The person's enrolment in `course`; refuses anyone else (another course or platform)."""
    enrolment = db.session.scalar(sa.select(Enrolment).filter_by(course_id=course.id,
                                                                person_id=person_id))
    if enrolment is None:
        raise PrivacyError("This person is not in this course.")
    return enrolment


def erase_person(course: Course, person: Person, *, actor: Person | None = None) -> Erasure:
    """Erase `person`'s data in `course`; the caller commits (or rolls back on error)."""
    enrolment_in(course, person.id)
    if actor is not None and actor.id == person.id:
        raise PrivacyError("You cannot erase your own data here: ask another instructor "
                           "or an administrator.")
    result = Erasure(person_id=person.id, course_id=course.id)
    program_ids = list(db.session.scalars(sa.select(Program.id).filter_by(course_id=course.id)))
    pairs = list(db.session.scalars(sa.select(Pair).where(
        Pair.program_id.in_(program_ids),
        sa.or_(Pair.mentee_id == person.id, Pair.mentor_id == person.id))))
    _end_active(pairs, result)
    _forget_notifications(person, program_ids, pairs, result)
    if pairs:
        placeholder = _placeholder(person.platform_id)
        for pair in pairs:
            _shared_history(pair, person, placeholder, result)
    _program_records(program_ids, person, result)
    result.add("form_submissions", submissions.erase(person.id))
    result.add("landing", landing.erase(person.id, course.id))
    _delete(result, "enrolment", sa.delete(Enrolment).filter_by(course_id=course.id,
                                                                person_id=person.id))
    _drop_person_if_unenrolled(person, result)
    audit.record("privacy.erased", actor=actor, course=course, target=f"person:{person.id}",
                 person_id=person.id, profile_deleted=result.profile_deleted,
                 counts=result.counts)
    log.info("privacy: erased person=%s course=%s %s", person.id, course.id, result.counts)
    return result


def _run(statement) -> int:
    return rowcount(db.session.execute(statement,
                                       execution_options={"synchronize_session": False})) or 0


def _delete(result: Erasure, key: str, statement) -> None:
    result.add(key, _run(statement))


def _end_active(pairs: list[Pair], result: Erasure) -> None:
    """End active pairs through the pairs lifecycle: the mentor's place is freed, the
    partner can be matched again, and the pair stays as history."""
    for pair in pairs:
        if pair.status == "active":
            pairs_services.end_pair(pair, "ended", END_REASON)
            result.add("pairs_ended", 1)
    db.session.flush()


def _placeholder(platform_id: int) -> Person:
    """A person with no personal data standing in for the erased one in the pairs' history."""
    placeholder = Person(platform_id=platform_id, subject=f"erased:{secrets.token_urlsafe(18)}",
                         name=PLACEHOLDER_NAME)
    db.session.add(placeholder)
    db.session.flush()
    return placeholder


def notification_keys(program_ids: list[int], pairs: list[Pair],
                      person: Person | None = None) -> list[str]:
    """The dedupe-key prefixes of the course's notifications that concern these pairs, and
    the mentor requests of these programs (only the person's, when one is given)."""
    pair_ids = [p.id for p in pairs]
    keys = [f"{kind}:{pid}:" for pid in pair_ids
            for kind in ("pair", "message", "agreement", "agreement-waiting", "survey")]
    requests = sa.select(MentorRequest.id).where(MentorRequest.program_id.in_(program_ids))
    if person is not None:
        requests = requests.where(sa.or_(MentorRequest.mentee_id == person.id,
                                         MentorRequest.mentor_id == person.id))
    keys += [f"request:{rid}:" for rid in db.session.scalars(requests)]
    if pair_ids:
        keys += [f"meeting:{mid}:" for mid in db.session.scalars(
            sa.select(Meeting.id).where(Meeting.pair_id.in_(pair_ids)))]
        keys += [f"action:{aid}:" for aid in db.session.scalars(
            sa.select(ActionItem.id).where(ActionItem.pair_id.in_(pair_ids)))]
    keys += [f"event:{eid}:" for eid in db.session.scalars(
        sa.select(ProgramEvent.id).where(ProgramEvent.program_id.in_(program_ids)))]
    return keys


def _forget_notifications(person: Person, program_ids: list[int], pairs: list[Pair],
                          result: Erasure) -> None:
    """Every notification of the course to the person, and any still waiting to go to the
    partner about these pairs (they would carry the person's name and words)."""
    keys = notification_keys(program_ids, pairs, person)
    if not keys:
        return
    about = sa.or_(*[Notification.dedupe_key.startswith(k, autoescape=True) for k in keys])
    _delete(result, "notifications", sa.delete(Notification).where(
        about, sa.or_(Notification.recipient_id == person.id, Notification.status == PENDING)))


def _shared_history(pair: Pair, person: Person, placeholder: Person, result: Erasure) -> None:
    """Keep the pair's history readable for the partner without the person in it."""
    mine = {"pair_id": pair.id}
    _delete(result, "private_recaps", sa.delete(Recap).filter_by(
        **mine, author_id=person.id, shared=False))
    result.add("shared_recaps_scrubbed", _run(sa.update(Recap).filter_by(
        **mine, author_id=person.id).values(takeaways=REMOVED, notes="",
                                            author_id=placeholder.id)))
    result.add("messages_scrubbed", _run(sa.update(Message).filter_by(
        **mine, author_id=person.id).values(body=REMOVED, author_id=placeholder.id)))
    result.add("action_items_scrubbed", _run(sa.update(ActionItem).filter_by(
        **mine, created_by_id=person.id).values(title=REMOVED, created_by_id=placeholder.id)))
    _run(sa.update(ActionItem).filter_by(**mine, owner_id=person.id)
         .values(owner_id=placeholder.id))
    _agreements(pair, person, placeholder, result)
    _goals(pair, person, placeholder, result)
    result.add("meetings_scrubbed", _run(sa.update(Meeting).filter_by(
        **mine, proposed_by_id=person.id).values(
            agenda=sa.case((Meeting.agenda == "", ""), else_=REMOVED),
            note=sa.case((Meeting.note == "", ""), else_=REMOVED),
            proposed_by_id=placeholder.id)))
    meeting_ids = sa.select(Meeting.id).filter_by(pair_id=pair.id).scalar_subquery()
    # Attendance stays (the partner's "held, confirmed by both" depends on it), unnamed.
    _run(sa.update(Attendance).where(Attendance.meeting_id.in_(meeting_ids),
                                     Attendance.person_id == person.id)
         .values(person_id=placeholder.id))
    _run(sa.update(GuideUse).filter_by(**mine, chosen_by_id=person.id)
         .values(chosen_by_id=placeholder.id))
    _run(sa.update(GuideUse).filter_by(**mine, covered_by_id=person.id)
         .values(covered_by_id=None))
    _delete(result, "checklist_ticks", sa.delete(ChecklistTick).filter_by(
        **mine, person_id=person.id))
    _delete(result, "message_settings", sa.delete(ThreadState).filter_by(
        **mine, person_id=person.id))
    _delete(result, "surveys_answered", sa.delete(SurveyReceipt).filter_by(
        **mine, person_id=person.id))
    side = "mentee_id" if pair.mentee_id == person.id else "mentor_id"
    setattr(pair, side, placeholder.id)
    pair.explanation, pair.slot = "", {}  # derived from the person's intake
    result.add("pairs_kept_as_history", 1)


def _agreements(pair: Pair, person: Person, placeholder: Person, result: Erasure) -> None:
    """Versions the person proposed lose the text they wrote (confidentiality, boundaries);
    the partner's hopes stay, being the partner's own. In every version, what the person
    hopes for goes (it is about them, whoever typed it)."""
    hopes = "mentee_hopes" if pair.mentee_id == person.id else "mentor_hopes"
    proposed = {name: sa.case((getattr(AgreementVersion, name) == "", ""), else_=REMOVED)
                for name in ("confidentiality", "boundaries", hopes)}
    result.add("agreement_versions_scrubbed", _run(
        sa.update(AgreementVersion).filter_by(pair_id=pair.id, proposed_by_id=person.id)
        .values(**proposed, proposed_by_id=placeholder.id)))
    column = getattr(AgreementVersion, hopes)
    _run(sa.update(AgreementVersion).where(AgreementVersion.pair_id == pair.id, column != "")
         .values({hopes: REMOVED}))


def _goals(pair: Pair, person: Person, placeholder: Person, result: Erasure) -> None:
    """Goals the person set are theirs and go (with their milestones); goals the partner set
    stay, without the person as their last editor or reviewer."""
    for goal in db.session.scalars(sa.select(Goal).filter_by(pair_id=pair.id,
                                                            created_by_id=person.id)):
        db.session.delete(goal)  # the ORM cascade removes the milestones
        result.add("goals", 1)
    db.session.flush()
    _run(sa.update(Goal).filter_by(pair_id=pair.id, updated_by_id=person.id)
         .values(updated_by_id=placeholder.id))
    _run(sa.update(Goal).filter_by(pair_id=pair.id, reviewed_by_id=person.id)
         .values(reviewed_by_id=None))


def _program_records(program_ids: list[int], person: Person, result: Erasure) -> None:
    """The person's own rows in the course's programs, and their name on staff's work."""
    pid = person.id
    for key, model, column in (("intake", Profile, "person_id"),
                               ("mentor_roles", Mentor, "person_id"),
                               ("stories", Story, "author_id"),
                               ("survey_answers", SurveyResponse, "person_id"),
                               ("grade_changes", GradeAudit, "person_id"),
                               ("grades", GradeRecord, "person_id")):
        _delete(result, key, sa.delete(model).where(
            model.program_id.in_(program_ids), getattr(model, column) == pid))
    for model in (MentorRequest, AvoidedPair):
        _delete(result, model.__tablename__.removeprefix("pairs_"), sa.delete(model).where(
            model.program_id.in_(program_ids),
            sa.or_(model.mentee_id == pid, model.mentor_id == pid)))
    _match_runs(program_ids, pid, result)
    events = sa.select(ProgramEvent.id).where(ProgramEvent.program_id.in_(program_ids))
    _delete(result, "event_answers", sa.delete(EventRsvp).where(
        EventRsvp.event_id.in_(events.scalar_subquery()), EventRsvp.person_id == pid))
    for model, column in ((ProgramEvent, "created_by_id"), (Guide, "updated_by_id"),
                          (AgreementTemplate, "updated_by_id"), (GradeAudit, "actor_id")):
        _run(sa.update(model).where(model.program_id.in_(program_ids),
                                    getattr(model, column) == pid).values({column: None}))


def _match_runs(program_ids: list[int], person_id: int, result: Erasure) -> None:
    """Proposals naming the person go; runs forget the person among those left out."""
    runs = list(db.session.scalars(sa.select(MatchRun).where(
        MatchRun.program_id.in_(program_ids))))
    run_ids = [r.id for r in runs]
    if run_ids:
        _delete(result, "match_proposals", sa.delete(Proposal).where(
            Proposal.run_id.in_(run_ids),
            sa.or_(Proposal.mentee_id == person_id, Proposal.mentor_id == person_id)))
    for run in runs:
        run.excluded = [p for p in run.excluded if p != person_id]
        run.unmatched = {k: v for k, v in run.unmatched.items() if k != str(person_id)}
        run.report, run.comparison = _report_without(run.report, run.comparison, person_id)
        if run.created_by_id == person_id:
            run.created_by_id = None


def _report_without(report: dict, comparison: dict, person_id: int) -> tuple[dict, dict]:
    """A run's cohort report and policy comparison (lti_tool/matching) without the person's
    id: the mentor loads, the lowest-scoring pairs and the mentees who moved."""
    key = str(person_id)
    report, comparison = dict(report or {}), dict(comparison or {})
    if "loads" in report:
        report["loads"] = {k: v for k, v in report["loads"].items() if k != key}
    if "lowest" in report:
        report["lowest"] = [row for row in report["lowest"] if person_id not in row[:2]]
    if "moves" in comparison:
        comparison["moves"] = {k: v for k, v in comparison["moves"].items()
                               if k != key and person_id not in (v or [])}
    for name in ("changed", "only_in_first", "only_in_second"):
        if name in comparison:
            comparison[name] = [p for p in comparison[name] if p != person_id]
    return report, comparison


def _drop_person_if_unenrolled(person: Person, result: Erasure) -> None:
    """With no course left on the platform, the LMS profile (name, e-mail) goes as well;
    the database removes what hangs on it elsewhere (feeds, mentor capacity, notifications)."""
    if db.session.scalar(sa.select(Enrolment.id).filter_by(person_id=person.id).limit(1)):
        return
    for model, column in ((MatchRun, "created_by_id"), (ProgramEvent, "created_by_id")):
        _run(sa.update(model).where(getattr(model, column) == person.id)
             .values({column: None}))
    _delete(result, "notifications", sa.delete(Notification).filter_by(recipient_id=person.id))
    _delete(result, "calendar_feed", sa.delete(CalendarFeed).filter_by(person_id=person.id))
    db.session.flush()
    db.session.delete(person)
    db.session.flush()
    result.profile_deleted = True
