"""What Pairwise holds about one person on one platform, as a JSON document they download.

The person is the unit: a `Person` belongs to one platform, so the export covers every course
of that platform they are enrolled in, and nothing of another platform. Other people appear
only as what the person already sees in their pair (the partner's display name, and what the
pair wrote together). Anonymous survey answers carry no person and are never included or linked.
"""

import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from lti_tool.courses import landing
from lti_tool.courses.models import Course, Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.grades.models import GradeAudit, GradeRecord
from lti_tool.guides.models import Guide, GuideUse
from lti_tool.intake.models import Mentor, MentorPool, Profile
from lti_tool.journal.models import ActionItem, Message, Recap, ThreadState
from lti_tool.lti.models import Platform
from lti_tool.meetings.models import Attendance, CalendarFeed, EventRsvp, Meeting, ProgramEvent
from lti_tool.notify import preferences as notify_preferences
from lti_tool.notify.models import Notification
from lti_tool.pairs.models import AvoidedPair, MatchRun, MentorRequest, Pair, Proposal
from lti_tool.relationships.models import Story
from lti_tool.surveys.models import SurveyReceipt, SurveyResponse
from lti_tool.timeutil import utcnow
from lti_tool.web import submissions
from lti_tool.workspace.models import (
    AgreementTemplate,
    AgreementVersion,
    ChecklistTick,
    Goal,
)

FORMAT = "pairwise-personal-data/1"
TERM_FIELDS = ("frequency", "minutes", "preferred_channel", "fallback_channel", "response_time",
               "confidentiality", "boundaries", "mentee_hopes", "mentor_hopes")


class PrivacyError(ValueError):
    """A request the privacy services refuse, with a message for the person asking."""


def _all(query) -> list:
    return list(db.session.scalars(query))


def _fields(row, names) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def _program_title(program_id: int | None) -> str:
    program = db.session.get(Program, program_id) if program_id is not None else None
    return program.title if program is not None else ""


def export_person(person: Person) -> dict[str, Any]:
    """Everything about `person` on their platform, ready for `json.dumps(..., default=str)`."""
    pairs = _all(sa.select(Pair).where(sa.or_(Pair.mentee_id == person.id,
                                              Pair.mentor_id == person.id)).order_by(Pair.id))
    return {
        "format": FORMAT,
        "generated_at": utcnow(),
        "about": "Everything Pairwise holds about you on this learning platform. Your partners"
                 " appear only by the name you see in your pair.",
        "platform": {"name": person_platform.name, "issuer": person_platform.issuer}
        if (person_platform := db.session.get(Platform, person.platform_id)) else None,
        "person": _fields(person, ("subject", "name", "given_name", "family_name", "email",
                                   "username", "locale", "timezone")),
        "enrolments": _enrolments(person),
        "intake": _intake(person),
        "mentor_roles": [{"program": _program_title(m.program_id), "source": m.source,
                          "approved": m.approved, "capacity": m.capacity}
                         for m in _all(sa.select(Mentor).filter_by(person_id=person.id))],
        "mentor_capacity": db.session.scalar(sa.select(MentorPool.capacity)
                                             .filter_by(person_id=person.id)),
        "calendar_feed": _calendar_feed(person),
        "pairs": [_pair(pair, person) for pair in pairs],
        "mentor_requests": _requests(person),
        "match_proposals": _proposals(person),
        "never_pair_rules": [{"program": _program_title(r.program_id), "reason": r.reason,
                              "created_at": r.created_at}
                             for r in _all(sa.select(AvoidedPair).where(sa.or_(
                                 AvoidedPair.mentee_id == person.id,
                                 AvoidedPair.mentor_id == person.id)))],
        "event_answers": _rsvps(person),
        "survey_answers": _survey_answers(person),
        "surveys_answered": [_fields(r, ("pair_id", "kind", "round")) for r in _all(
            sa.select(SurveyReceipt).filter_by(person_id=person.id).order_by(SurveyReceipt.id))],
        "stories": [{"program": _program_title(s.program_id),
                     **_fields(s, ("title", "body", "show_name", "role", "status",
                                   "created_at", "decided_at"))}
                    for s in _all(sa.select(Story).filter_by(author_id=person.id))],
        "grades": _grades(person),
        "notifications": [_fields(n, ("kind", "subject", "body", "link", "status",
                                      "to_address", "created_at", "sent_at"))
                          for n in _all(sa.select(Notification).filter_by(
                              recipient_id=person.id).order_by(Notification.id))],
        "staff_actions": _staff_actions(person),
        "form_submissions": submissions.export_of(person.id),
        "notification_settings": notify_preferences.export_of(person.id),
        "landing": landing.export_of(person.id),
    }


def _enrolments(person: Person) -> list[dict[str, Any]]:
    enrolments = _all(sa.select(Enrolment).filter_by(person_id=person.id)
                      .order_by(Enrolment.id))
    return [{"course": e.course.title or e.course.label, "course_id_in_lms": e.course.context_id,
             "role": e.role.value, **_fields(e, ("lis_roles", "roster_roles", "active", "source",
                                                  "last_launch_at", "groups"))}
            for e in enrolments]


def _intake(person: Person) -> list[dict[str, Any]]:
    return [{"program": _program_title(p.program_id),
             **_fields(p, ("topics", "goals_text", "expertise", "bio", "languages", "timezone",
                           "availability", "modality", "preferences", "answers",
                           "volunteers_to_mentor", "completed_at", "updated_at"))}
            for p in _all(sa.select(Profile).filter_by(person_id=person.id))]


def _calendar_feed(person: Person) -> dict[str, Any] | None:
    feed = db.session.scalar(sa.select(CalendarFeed).filter_by(person_id=person.id))
    return None if feed is None else {"created_at": feed.created_at,
                                      "note": "A private calendar feed URL exists for you."}


def _pair(pair: Pair, person: Person) -> dict[str, Any]:
    """One of the person's pairs, as its members see it."""
    partner = pair.mentor if pair.mentee_id == person.id else pair.mentee

    def name(person_id: int | None) -> str | None:
        if person_id is None:
            return None
        return "you" if person_id == person.id else partner.display_name

    return {
        "program": _program_title(pair.program_id),
        "your_role": "mentee" if pair.mentee_id == person.id else "mentor",
        "partner": partner.display_name,
        **_fields(pair, ("status", "started_at", "ends_on", "ended_at", "end_reason",
                         "explanation")),
        "agreement_versions": [
            {"number": v.number, "proposed_by": name(v.proposed_by_id),
             "created_at": v.created_at, "signed_at": v.signed_at,
             **_fields(v, TERM_FIELDS)}
            for v in _all(sa.select(AgreementVersion).filter_by(pair_id=pair.id)
                          .order_by(AgreementVersion.number))],
        "goals": [
            {**_fields(g, ("title", "description", "success_measure", "target_date",
                           "progress", "status", "reviewed_at", "created_at", "updated_at")),
             "created_by": name(g.created_by_id),
             "milestones": [_fields(m, ("title", "done", "done_at")) for m in g.milestones]}
            for g in _all(sa.select(Goal).filter_by(pair_id=pair.id).order_by(Goal.id))],
        "checklist": [_fields(t, ("item", "checked_at")) for t in _all(
            sa.select(ChecklistTick).filter_by(pair_id=pair.id, person_id=person.id))],
        "meetings": [_meeting(m, person, name) for m in _all(
            sa.select(Meeting).filter_by(pair_id=pair.id).order_by(Meeting.id))],
        "guides_used": [{"guide": u.guide.title, "chosen_by": name(u.chosen_by_id),
                         "chosen_at": u.chosen_at, "covered_at": u.covered_at}
                        for u in _all(sa.select(GuideUse).filter_by(pair_id=pair.id))],
        "recaps": [{"author": name(r.author_id), **_fields(
                    r, ("takeaways", "notes", "shared", "occurrence_start", "created_at",
                        "updated_at"))}
                   for r in _all(sa.select(Recap).filter_by(pair_id=pair.id)
                                 .order_by(Recap.id))],
        "action_items": [{"owner": name(a.owner_id), "created_by": name(a.created_by_id),
                          **_fields(a, ("title", "due_on", "status", "created_at",
                                        "done_at"))}
                         for a in _all(sa.select(ActionItem).filter_by(pair_id=pair.id)
                                       .order_by(ActionItem.id))],
        "messages": [{"from": name(m.author_id), "body": m.body, "at": m.created_at}
                     for m in _all(sa.select(Message).filter_by(pair_id=pair.id)
                                   .order_by(Message.id))],
        "message_settings": [{"email_new_messages": s.email} for s in _all(
            sa.select(ThreadState).filter_by(pair_id=pair.id, person_id=person.id))],
    }


def _meeting(meeting: Meeting, person: Person, name) -> dict[str, Any]:
    own = _all(sa.select(Attendance).filter_by(meeting_id=meeting.id, person_id=person.id)
               .order_by(Attendance.occurrence_start))
    return {"proposed_by": name(meeting.proposed_by_id),
            **_fields(meeting, ("status", "start_at", "minutes", "timezone", "modality", "url",
                                "location", "agenda", "recurrence", "note", "created_at")),
            "attendance": [_fields(a, ("occurrence_start", "outcome", "recorded_at"))
                           for a in own]}


def _requests(person: Person) -> list[dict[str, Any]]:
    rows = _all(sa.select(MentorRequest).where(sa.or_(
        MentorRequest.mentee_id == person.id, MentorRequest.mentor_id == person.id)))
    return [{"program": _program_title(r.program_id),
             "you_asked": r.mentee_id == person.id,
             "other": (r.mentor if r.mentee_id == person.id else r.mentee).display_name,
             **_fields(r, ("status", "message", "created_at", "respond_by", "responded_at"))}
            for r in rows]


def _proposals(person: Person) -> list[dict[str, Any]]:
    """Staff's matching proposals that included the person; the other candidate is not named
    (a draft proposal is staff's working material, not something the person saw)."""
    rows = db.session.execute(
        sa.select(Proposal, MatchRun).join(MatchRun, Proposal.run_id == MatchRun.id)
        .where(sa.or_(Proposal.mentee_id == person.id, Proposal.mentor_id == person.id)))
    return [{"program": _program_title(run.program_id), "run_status": run.status,
             "as": "mentee" if proposal.mentee_id == person.id else "mentor",
             "score": proposal.score, "created_at": run.created_at}
            for proposal, run in rows]


def _rsvps(person: Person) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(EventRsvp, ProgramEvent).join(ProgramEvent, EventRsvp.event_id ==
                                                ProgramEvent.id)
        .where(EventRsvp.person_id == person.id))
    return [{"event": event.title, "start_at": event.start_at, "answer": rsvp.answer,
             "answered_at": rsvp.answered_at} for rsvp, event in rows]


def _survey_answers(person: Person) -> list[dict[str, Any]]:
    """Answers the person gave in programs that are not anonymous. Anonymous answers carry
    no person: they cannot be found here, by design."""
    return [{"program": _program_title(r.program_id),
             **_fields(r, ("kind", "rating", "comment", "answers", "answered_on", "role"))}
            for r in _all(sa.select(SurveyResponse).filter_by(person_id=person.id)
                          .order_by(SurveyResponse.id))]


def _grades(person: Person) -> list[dict[str, Any]]:
    records = _all(sa.select(GradeRecord).filter_by(person_id=person.id))
    return [{"program": _program_title(r.program_id),
             **_fields(r, ("role", "score", "override_score", "effective_score", "completed",
                           "comment", "missing", "computed_at", "sync_status",
                           "last_sent_score", "last_sent_at")),
             "changes": [_fields(a, ("action", "old_score", "new_score", "created_at"))
                         for a in _all(sa.select(GradeAudit).filter_by(
                             program_id=r.program_id, person_id=person.id))]}
            for r in records]


def _staff_actions(person: Person) -> dict[str, list[dict[str, Any]]]:
    """What the person did as staff, without the other people it concerned."""
    return {
        "match_runs": [{"program": _program_title(r.program_id),
                        **_fields(r, ("status", "created_at", "published_at"))}
                       for r in _all(sa.select(MatchRun).filter_by(created_by_id=person.id))],
        "program_events": [{"program": _program_title(e.program_id), "title": e.title,
                            "start_at": e.start_at}
                           for e in _all(sa.select(ProgramEvent)
                                         .filter_by(created_by_id=person.id))],
        "guides_edited": [{"program": _program_title(g.program_id), "title": g.title,
                           "updated_at": g.updated_at}
                          for g in _all(sa.select(Guide).filter_by(updated_by_id=person.id))],
        "agreement_templates_edited": [
            {"program": _program_title(t.program_id), "updated_at": t.updated_at}
            for t in _all(sa.select(AgreementTemplate).filter_by(updated_by_id=person.id))],
        "grade_changes": [{"program": _program_title(a.program_id), "action": a.action,
                           "created_at": a.created_at}
                          for a in _all(sa.select(GradeAudit).filter_by(actor_id=person.id))],
    }


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def export_json(person: Person) -> str:
    """The download's text: indented, readable UTF-8."""
    return json.dumps(export_person(person), default=_json_default, indent=2,
                      ensure_ascii=False)


def export_filename(course: Course | None, today: date | None = None) -> str:
    """`pairwise-my-data-2026-11-27.json`: says what it is and when it was taken."""
    return f"pairwise-my-data-{(today or utcnow().date()).isoformat()}.json"
