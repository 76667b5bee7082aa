"""Retention: a program may have its pairs' private writing removed some days after it ended.

When a program has ended: it has no active pair left, and its end is the latest of its term
(created + `term_weeks`) and the dates its pairs actually ended. `retention_days` after that
day, `purge()` replaces what people wrote (messages, recaps, action items, agreement texts,
goals and milestones, meeting agendas and notes, intake free text, survey comments, requests
to mentors, stories never published) and deletes the program's notifications. Rows, dates,
statuses, ratings and grades stay, so the dashboard's counts and the gradebook do not move.
Running it again changes nothing: it is safe from a timer.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from lti_tool.courses.models import Program
from lti_tool.dbutil import rowcount
from lti_tool.extensions import db
from lti_tool.intake.models import Profile
from lti_tool.journal.models import ActionItem, Message, Recap
from lti_tool.meetings.models import Meeting
from lti_tool.notify.models import Notification
from lti_tool.pairs.models import MentorRequest, Pair
from lti_tool.privacy.erasure import notification_keys
from lti_tool.relationships.models import Story
from lti_tool.security import audit
from lti_tool.surveys.models import SurveyResponse
from lti_tool.timeutil import as_utc, utcnow
from lti_tool.workspace.models import AgreementVersion, Goal, Milestone

log = logging.getLogger(__name__)
PURGED = "[removed after the retention period]"
MAX_RETENTION_DAYS = 3650


@dataclass
class Purge:
    program_id: int
    program_title: str
    ended_on: date
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def ended_on(program: Program, today: date | None = None) -> date | None:
    """The day the program ended; None while it runs (a pair is active, or its term is not
    over yet)."""
    rows = db.session.execute(sa.select(Pair.status, Pair.ended_at)
                              .filter_by(program_id=program.id)).all()
    if any(status == "active" for status, _ in rows):
        return None
    term_end = as_utc(program.created_at).date() + timedelta(weeks=program.term_weeks)
    end = max([term_end, *(as_utc(ended).date() for _, ended in rows if ended is not None)])
    return end if end <= (today or utcnow().date()) else None


def purge_due_on(program: Program, today: date | None = None) -> date | None:
    """The first day `purge()` removes the program's private writing; None: never (yet)."""
    end = ended_on(program, today)
    if end is None or program.retention_days is None:
        return None
    return end + timedelta(days=program.retention_days)


def purge(now: datetime | None = None) -> list[Purge]:
    """Purge every program past its retention; the caller commits."""
    today = (now or utcnow()).date()
    done = []
    for program in db.session.scalars(sa.select(Program).where(
            Program.retention_days.is_not(None)).order_by(Program.id)):
        due = purge_due_on(program, today)
        if due is None or due > today:
            continue
        result = Purge(program.id, program.title, ended_on(program, today))
        purge_program(program, result)
        if result.total:
            audit.record("privacy.purged", program=program, target=f"program:{program.id}",
                         counts=result.counts)
            log.info("privacy: purged program=%s %s", program.id, result.counts)
        done.append(result)
    return done


def _run(result: Purge, key: str, statement) -> None:
    count = rowcount(db.session.execute(statement,
                                        execution_options={"synchronize_session": False})) or 0
    if count:
        result.counts[key] = result.counts.get(key, 0) + count


def _replace(result: Purge, key: str, model, column: str, pair_ids, value: str) -> None:
    """Set `column` to `value` where it still holds someone's words."""
    attribute = getattr(model, column)
    _run(result, key, sa.update(model).where(model.pair_id.in_(pair_ids),
                                             attribute.not_in(("", value)))
         .values({column: value}))


def purge_program(program: Program, result: Purge) -> None:
    """Remove the program's private writing, keeping rows, dates, ratings and grades."""
    pair_ids = sa.select(Pair.id).filter_by(program_id=program.id).scalar_subquery()
    _replace(result, "messages", Message, "body", pair_ids, PURGED)
    _replace(result, "recaps", Recap, "takeaways", pair_ids, PURGED)
    _replace(result, "recap_notes", Recap, "notes", pair_ids, "")
    _replace(result, "action_items", ActionItem, "title", pair_ids, PURGED)
    for column in ("confidentiality", "boundaries", "mentee_hopes", "mentor_hopes"):
        _replace(result, "agreement_texts", AgreementVersion, column, pair_ids, PURGED)
    _replace(result, "goals", Goal, "title", pair_ids, PURGED)
    for column in ("description", "success_measure"):
        _replace(result, "goal_texts", Goal, column, pair_ids, "")
    goal_ids = sa.select(Goal.id).where(Goal.pair_id.in_(pair_ids)).scalar_subquery()
    _run(result, "milestones", sa.update(Milestone).where(
        Milestone.goal_id.in_(goal_ids), Milestone.title != PURGED).values(title=PURGED))
    for column in ("agenda", "note"):
        _replace(result, "meeting_notes", Meeting, column, pair_ids, "")
    _program_texts(program, result)
    _survey_texts(program, result)
    _notifications(program, result)


def _program_texts(program: Program, result: Purge) -> None:
    for column in ("goals_text", "preferences", "bio"):
        _run(result, "intake_texts", sa.update(Profile).where(
            Profile.program_id == program.id, getattr(Profile, column) != "")
            .values({column: ""}))
    _run(result, "mentor_requests", sa.update(MentorRequest).where(
        MentorRequest.program_id == program.id, MentorRequest.message != "").values(message=""))
    _run(result, "unpublished_stories", sa.update(Story).where(
        Story.program_id == program.id, Story.status != "approved", Story.body != PURGED)
        .values(body=PURGED))


def _survey_texts(program: Program, result: Purge) -> None:
    """Comments and written answers go; ratings and scale answers stay for the trends."""
    for response in db.session.scalars(sa.select(SurveyResponse).filter_by(
            program_id=program.id)):
        kept = {k: v for k, v in (response.answers or {}).items() if not isinstance(v, str)}
        if response.comment or kept != (response.answers or {}):
            response.comment, response.answers = "", kept
            result.counts["survey_comments"] = result.counts.get("survey_comments", 0) + 1
    db.session.flush()


def _notifications(program: Program, result: Purge) -> None:
    pairs = list(db.session.scalars(sa.select(Pair).filter_by(program_id=program.id)))
    keys = notification_keys([program.id], pairs)
    if keys:
        _run(result, "notifications", sa.delete(Notification).where(sa.or_(
            *[Notification.dedupe_key.startswith(k, autoescape=True) for k in keys])))
