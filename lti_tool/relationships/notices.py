"""What the program team's care for a pair tells people: a nudge or a check-in request from
the dashboard, the warning to an inactive pair, and the alert to staff when a pair is closed
for inactivity (its members hear of the end from `pairs.messages.pair_ended`).

Written for each reader by `notify.compose.tell` (`pairs.messages.told`); keys start with
"pair:<id>:", like every notice about a pair:

    pair:<id>:<nudge|checkin>:<day>:<person>   at most one of each kind a day
    pair:<id>:inactive-warning:<day>:<person>  each warning (a pair may be warned again after
                                               its activity resumed and stopped again)
    pair:<id>:closed-inactive:<staff member>
"""

from datetime import date

from lti_tool.courses.models import Person
from lti_tool.courses.services import staff_of
from lti_tool.notify.compose import Message, Reader
from lti_tool.pairs import messages
from lti_tool.pairs.members import other_member
from lti_tool.pairs.models import Pair


def nudge(pair: Pair, kind: str, day: date) -> int:
    """A nudge ("nudge") or a check-in request ("checkin") to both members, at most once a day
    for each kind; returns how many were queued now."""
    compose = {"nudge": _nudge, "checkin": _checkin}[kind]
    with messages.links():
        destination = (messages.hub(pair) if kind == "nudge"
                       else messages.page("surveys.checkin", pair_id=pair.id))
        return sum(messages.told(person, f"pair_{kind}", compose(other_member(pair, person)),
                                 key=f"pair:{pair.id}:{kind}:{day.isoformat()}:{person.id}",
                                 program=pair.program, destination=destination)
                   for person in (pair.mentee, pair.mentor))


def _nudge(partner: Person):
    name = partner.display_name

    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("A nudge from your mentoring program"),
            lines=[r.gettext("Your program team is checking in: it has been a while since you "
                             "and %(name)s last met or wrote. A short message or a 30-minute "
                             "call keeps the routine going.", name=name)],
            action=r.gettext("Open your workspace"))
    return compose


def _checkin(partner: Person):
    name = partner.display_name

    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("How is your mentoring going?"),
            lines=[r.gettext("Your program team would like to hear how your mentoring "
                             "relationship with %(name)s is going: please answer the short "
                             "check-in.", name=name)],
            action=r.gettext("Answer the check-in"))
    return compose


def inactivity_warning(pair: Pair, day: date, close_on: date) -> None:
    """Both members hear that the pair will be closed on `close_on` unless they meet or write."""
    with messages.links():
        for person in (pair.mentee, pair.mentor):
            messages.told(person, "pair_inactive", _warning(other_member(pair, person), close_on),
                          key=f"pair:{pair.id}:inactive-warning:{day.isoformat()}:{person.id}",
                          program=pair.program, destination=messages.hub(pair))


def _warning(partner: Person, close_on: date):
    name = partner.display_name

    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("Your mentoring pair is inactive"),
            lines=[r.gettext("Nothing has happened in your mentoring pair with %(name)s "
                             "lately. Unless you meet or write before %(date)s, the program will "
                             "close the pair.", name=name, date=r.day(close_on))],
            facts=[(r.gettext("Closes on"), r.day(close_on))],
            action=r.gettext("Get back in touch"))
    return compose


def closed_for_inactivity(pair: Pair, warned_on: date) -> int:
    """The program's staff hear that the pair was closed; returns how many were told now."""
    with messages.links():
        destination = messages.page("pairs.matching")  # the ended pair, and rematching, are there
        return sum(messages.told(person, "staff_pair_closed", _closed(pair, warned_on),
                                 key=f"pair:{pair.id}:closed-inactive:{person.id}",
                                 program=pair.program, destination=destination)
                   for person in staff_of(pair.program))


def _closed(pair: Pair, warned_on: date):
    mentee, mentor = pair.mentee.display_name, pair.mentor.display_name
    closed_on = pair.ended_at.date() if pair.ended_at else warned_on

    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("A pair was closed for inactivity: %(mentee)s and %(mentor)s",
                              mentee=mentee, mentor=mentor),
            lines=[r.gettext("Pairwise closed the mentoring pair of %(mentee)s (mentee) and "
                             "%(mentor)s (mentor) in %(program)s: nothing happened in it after "
                             "its members were warned.", mentee=mentee, mentor=mentor,
                             program=pair.program.title),
                   r.gettext("%(mentee)s can be matched again; you can also pair them with "
                             "%(mentor)s again from the matching page.", mentee=mentee,
                             mentor=mentor)],
            facts=[(r.gettext("Warned on"), r.day(warned_on)),
                   (r.gettext("Closed on"), r.day(closed_on))],
            action=r.gettext("Open the matching page"))
    return compose
