"""The pairing's daily sweep (`flask program sweep` runs every package's `sweep`).

Pairing notices are queued when their event happens (`messages`): a request's lapse notices
for its deadline, and a pair's notice a week before its end when that is near. The sweep does
what time alone brings: it queues the end notices that have come within `PLAN_AHEAD` (an
e-mail's link is signed when queued and must still work when it is read), records requests
past their deadline as "lapsed" (the status their notices already told), and queues what an
older row never had (a request from before these notices). The same dedupe keys: nothing is
told twice.
"""

from datetime import datetime

import sqlalchemy as sa

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.pairs import choice, messages
from lti_tool.pairs.models import MentorRequest, Pair
from lti_tool.timeutil import as_utc, utcnow


def sweep(program: Program, now: datetime | None = None) -> int:
    """Lapse `program`'s overdue requests, queue the lapse notices of those whose deadline
    nears and the end notices of pairs whose end nears; returns how many notifications were
    queued. The caller commits."""
    now = as_utc(now or utcnow())
    with messages.links():
        queued = choice.lapse_overdue(program, now)
        for request in db.session.scalars(sa.select(MentorRequest).filter_by(
                program_id=program.id, status="pending").order_by(MentorRequest.id)):
            queued += messages.request_lapsed(request, now)
        for pair in db.session.scalars(sa.select(Pair).where(
                Pair.program_id == program.id, Pair.status == "active",
                Pair.ends_on.is_not(None)).order_by(Pair.id)):
            queued += messages.plan_ending(pair, now)
    return queued
