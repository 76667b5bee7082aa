"""Mentee choice: a mentee sees their top three recommended mentors with the reasons, asks
one, and the mentor accepts or declines by a deadline (a request left unanswered lapses).

Each step is told (`messages`): the mentor hears of the request, the mentee of the answer. The
lapse notices to both are queued for the deadline (with the request, or by the daily sweep as a
far deadline nears) and cancelled by the answer; an answer once the deadline has passed (or
once a lapse notice went out) is refused, so what people were told and the request's status
agree. A request past its deadline is recorded as lapsed by the first read of the program's
requests, or by the daily sweep (`reminders.py`), which queue its notices if they were not.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext

from lti_tool.courses.models import Person, Program
from lti_tool.dbutil import read_once
from lti_tool.extensions import db
from lti_tool.matching import explain, scoring
from lti_tool.pairs import messages, services
from lti_tool.pairs.models import MentorRequest, Pair
from lti_tool.timeutil import as_utc, utcnow

RECOMMENDATIONS = 3


def recommendations(program: Program, mentee: Person) -> list[dict]:
    """Up to three feasible mentors with places left, best first, with reasons."""
    cohort = services.gather(program, mentee_ids={mentee.id})
    me = next((p for p in cohort.mentees if p.id == mentee.id), None)
    mentors = [m for m in cohort.mentors if m.capacity > 0 and m.id != mentee.id]
    if me is None or not mentors:
        return []
    declined = {r.mentor_id for r in requests_of(program, mentee) if r.status != "pending"}
    table = scoring.score_all([me], mentors, services.weights_for(program),
                              services.constraints_for(program, services.avoid_set(program)),
                              services.reference_week())
    order = sorted(range(len(mentors)), key=lambda j: -float(table.total[0, j]))
    picks = [j for j in order if table.feasible[0, j] and mentors[j].id not in declined]
    return [{"mentor_id": mentors[j].id, "name": mentors[j].name,
             "score": round(float(table.total[0, j]), 1),
             "explanation": explain.explain(table.pair(0, j), me, mentors[j])}
            for j in picks[:RECOMMENDATIONS]]


def requests_of(program: Program, mentee: Person) -> list[MentorRequest]:
    """The mentee's requests, oldest first (read once per request: a home page's list and
    its "What needs you" both ask)."""
    def load() -> list[MentorRequest]:
        lapse_overdue(program)
        return list(db.session.scalars(sa.select(MentorRequest).filter_by(
            program_id=program.id, mentee_id=mentee.id).order_by(MentorRequest.id)))
    return list(read_once(("requests of", program.id, mentee.id), load))


def requests_to(program: Program, mentor: Person) -> list[MentorRequest]:
    """The requests waiting for the mentor's answer (read once per request)."""
    def load() -> list[MentorRequest]:
        lapse_overdue(program)
        return list(db.session.scalars(sa.select(MentorRequest).filter_by(
            program_id=program.id, mentor_id=mentor.id, status="pending")))
    return list(read_once(("requests to", program.id, mentor.id), load))


def ask(program: Program, mentee: Person, mentor_id: int, message: str) -> MentorRequest:
    if not program.mentee_choice:
        raise services.MatchingError(gettext("In this program, staff make the matches."))
    if any(r.status == "pending" for r in requests_of(program, mentee)):
        raise services.MatchingError(gettext("Wait for the answer to your current request first."))
    if services.pairs_of(mentee, program):
        raise services.MatchingError(gettext("You already have a mentor in this program."))
    pick = next((r for r in recommendations(program, mentee) if r["mentor_id"] == mentor_id),
                None)
    if pick is None:
        raise services.MatchingError(gettext("That mentor is not among your recommendations."))
    request = MentorRequest(program_id=program.id, mentee_id=mentee.id, mentor_id=mentor_id,
                            message=message.strip()[:1000], explanation=pick["explanation"],
                            score=pick["score"],
                            respond_by=utcnow() + timedelta(days=program.request_days))
    db.session.add(request)
    db.session.flush()
    messages.request_received(request)
    return request


def answer(request: MentorRequest, mentor: Person, accept: bool) -> Pair | None:
    """The mentor's answer, told to the mentee; refused once the request has lapsed."""
    if request.mentor_id != mentor.id or request.status != "pending" \
            or _overdue(request, utcnow()) or not messages.withdraw_lapse(request):
        raise services.MatchingError(gettext("This request is no longer waiting for your answer."))
    request.responded_at = utcnow()
    if not accept:
        request.status = "declined"
        messages.request_declined(request)
        return None
    program = db.session.get(Program, request.program_id)
    mentor_row = next((m for m in services.intake.mentors_of(program, approved_only=True)
                       if m.person_id == mentor.id), None)
    if mentor_row is None or services.remaining_capacity(mentor_row) < 1:
        raise services.MatchingError(gettext("You have no place left for another mentee."))
    request.status = "accepted"
    pair = Pair(program_id=program.id, mentee_id=request.mentee_id, mentor_id=mentor.id,
                score=request.score, explanation=request.explanation,
                ends_on=services.term_end(program))
    db.session.add(pair)
    db.session.flush()
    messages.request_accepted(request, pair)
    return pair


def _overdue(request: MentorRequest, now: datetime) -> bool:
    return as_utc(request.respond_by) <= now


def lapse_overdue(program: Program, now: datetime | None = None) -> int:
    """Record the program's unanswered requests past their deadline as lapsed, with the lapse
    notices to both (already queued for the deadline, unless the request is older than they
    are). Returns how many notices were queued now."""
    now = now or utcnow()
    queued = 0
    # Only the overdue ones are read: every participant's home runs this.
    for request in db.session.scalars(sa.select(MentorRequest).filter_by(
            program_id=program.id, status="pending").where(MentorRequest.respond_by <= now)
            .order_by(MentorRequest.id)):
        request.status = "lapsed"
        queued += messages.request_lapsed(request, now)
    return queued
