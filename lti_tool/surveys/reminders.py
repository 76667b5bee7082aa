"""Telling pair members that a survey waits for them: a check-in that became due, the
mid-point or end-of-program survey that opened.

What is due depends on the date and on what the member has answered (`services.due_for`), and
an extension moves the mid-point, so a daily `sweep` asks instead of scheduling ahead. Each
round has its own dedupe key (a check-in round is named by the day it opened, the mid-point and
end surveys have one round each), so a sweep run twice queues nothing new; a round already
answered is not due, and answering cancels the reminder still waiting (`services.answer`).
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.intake.services import zone_of
from lti_tool.meetings.services import other_member
from lti_tool.notify.compose import Message, Reader, links, page, tell
from lti_tool.notify.models import Notification
from lti_tool.pairs.models import Pair
from lti_tool.surveys import services
from lti_tool.timeutil import as_utc, utcnow

# A pair that ended lately may still owe its end-of-program survey.
ENDED_LATELY = timedelta(days=services.FINAL_WINDOW_DAYS)


def sweep(program: Program, now: datetime | None = None) -> int:
    """Queue a notification for each survey round that became due in `program` and was not
    told yet; returns how many were queued. The caller commits."""
    now = as_utc(now or utcnow())
    queued = 0
    with links():
        for pair in _pairs_to_ask(program, now):
            for person in (pair.mentee, pair.mentor):
                due = services.due_for(pair, person, now.date()) if person else None
                if due is not None and _remind(pair, person, due):
                    queued += 1
    return queued


def _pairs_to_ask(program: Program, now: datetime) -> list[Pair]:
    return list(db.session.scalars(sa.select(Pair).where(
        Pair.program_id == program.id,
        sa.or_(Pair.status == "active", Pair.ended_at >= now - ENDED_LATELY))
        .order_by(Pair.id)))


def _key_of(pair: Pair, person: Person, due: services.Due) -> str:
    """A check-in round is the day it opened; the mid-point and end surveys have one round."""
    round_ = str(due.opened_on) if due.kind == "checkin" else due.round
    return f"{services.reminders_of(pair, person, due.kind)}{round_}"


def _remind(pair: Pair, person: Person, due: services.Due) -> bool:
    """Tell `person` about `due` unless they were told already; whether it was queued now."""
    key = _key_of(pair, person, due)
    if db.session.scalar(sa.select(Notification.id).filter_by(dedupe_key=key)) is not None:
        return False
    partner = other_member(pair, person).display_name
    anonymous = services.settings_of(pair.program).anonymous
    compose = (_checkin(due, partner, anonymous) if due.kind == "checkin"
               else _survey(pair, due, partner, anonymous))
    tell(person, "checkin_due" if due.kind == "checkin" else "survey_open", compose,
         dedupe_key=key, program=pair.program, zone=zone_of(person, pair.program),
         destination=page("surveys.checkin", pair_id=pair.id))
    return True


def _checkin(due: services.Due, partner: str, anonymous: bool):
    def compose(reader: Reader) -> Message:
        facts = [(reader.gettext("Open since"), reader.day(due.opened_on))] \
            if due.opened_on else []
        return Message(
            subject=reader.gettext("Time for a check-in: how is your mentoring going?"),
            lines=[reader.gettext("How is your mentoring with %(name)s going? The check-in "
                                  "takes a minute: a rating from 1 to 5 and, if you like, a "
                                  "few words.", name=partner),
                   _privacy(reader, partner, anonymous)],
            facts=facts, action=reader.gettext("Answer the check-in"))
    return compose


def _survey(pair: Pair, due: services.Due, partner: str, anonymous: bool):
    def compose(reader: Reader) -> Message:
        if due.kind == "midpoint":
            subject = reader.gettext("The mid-point feedback survey is open")
            line = reader.gettext("You are half-way through your mentoring with %(name)s. "
                                  "Tell the program what has worked and what you would "
                                  "change: it takes five minutes.", name=partner)
        else:
            subject = reader.gettext("The end-of-program feedback survey is open")
            line = reader.gettext("Your mentoring with %(name)s is coming to its end. Tell "
                                  "the program what you gained and how it could be better: "
                                  "it takes five minutes.", name=partner)
        facts = [(reader.gettext("End of your mentoring"), reader.day(pair.ends_on))] \
            if pair.ends_on else []
        return Message(subject=subject, lines=[line, _privacy(reader, partner, anonymous)],
                       facts=facts, action=reader.gettext("Answer the survey"))
    return compose


def _privacy(reader: Reader, partner: str, anonymous: bool) -> str:
    """The check-in page's own words about who sees the answers."""
    if anonymous:
        return reader.gettext("Your answers are anonymous: program staff see totals and "
                              "comments, never who wrote them, and %(name)s does not see "
                              "them.", name=partner)
    return reader.gettext("Program staff see your answers with your name; %(name)s does not "
                          "see them.", name=partner)
