"""What the meeting e-mails say, written for their reader (`notify.compose`): each function
returns the `compose(reader)` that `tell` runs in the recipient's language and zone. Times are
the reader's, with the other member's local time beside them when the two differ. Services
decide who is told and when (services.py, calendars.py); this module only words it."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from lti_tool.i18n import N_
from lti_tool.meetings.models import MODALITY_LABELS
from lti_tool.notify.compose import Message, Reader

Compose = Callable[[Reader], Message]

REPEATS = {"weekly": N_("Every week"), "biweekly": N_("Every two weeks"),
           "monthly": N_("Every month")}


@dataclass(frozen=True)
class About:
    """A meeting as a message to one member tells it: `name` is the other member (who acted,
    or whom the reader meets) and `their_zone` the zone they read times in."""

    name: str
    their_zone: str
    modality: str
    minutes: int
    url: str | None = None
    location: str | None = None
    agenda: str = ""
    repeats: str = ""  # the series' frequency; "" for a one-off (or one meeting of a series)


def proposed(about: About, starts: Sequence[datetime]) -> Compose:
    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("%(name)s proposed a meeting", name=about.name),
            lines=[r.gettext("%(name)s would like to meet (%(how)s). Choose one of these times "
                             "in Pairwise, or say that none suits you.", name=about.name,
                             how=_how(r, about))],
            facts=_options(r, starts) + _repeats(r, about),
            quote=about.agenda, quote_by=r.gettext("Agenda") if about.agenda else "",
            action=r.gettext("Choose a time"))
    return compose


def unanswered(about: About, starts: Sequence[datetime]) -> Compose:
    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("%(name)s is waiting for your answer about a meeting",
                              name=about.name),
            lines=[r.gettext("Two days ago %(name)s proposed a meeting. Choose one of the "
                             "times still ahead, or say that none suits you so that they can "
                             "offer others.", name=about.name)],
            facts=_options(r, starts), action=r.gettext("Answer the proposal"))
    return compose


def declined(about: About) -> Compose:
    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("%(name)s declined your meeting proposal", name=about.name),
            lines=[r.gettext("%(name)s could not make any of the times you offered. Propose "
                             "others in Pairwise.", name=about.name)],
            action=r.gettext("Propose other times"))
    return compose


# kind -> (subject to the other member, subject to the one who acted)
_SCHEDULED = {
    "meeting_accepted": (N_("%(name)s accepted your meeting proposal"),
                         N_("Your meeting with %(name)s is scheduled")),
    "meeting_booked": (N_("%(name)s booked a meeting with you"),
                       N_("Your meeting with %(name)s is booked")),
    "meeting_moved": (N_("%(name)s moved your meeting"),
                      N_("You moved your meeting with %(name)s")),
}


def scheduled(kind: str, about: About, start: datetime, reason: str = "", *, own: bool,
              attached: bool) -> Compose:
    """A meeting accepted, booked or moved; `own` is the copy for the member who did it,
    `attached` says whether an iTIP invitation goes with it."""
    subject = _SCHEDULED[kind][1 if own else 0]

    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext(subject, name=about.name),
            lines=[r.gettext("The invitation attached adds it to your calendar (or updates "
                             "it there).") if attached else
                   r.gettext("Pairwise offers it as a calendar file on your meetings page.")],
            facts=_when(r, about, start) + _repeats(r, about)
            + _venue(r, about.url, about.location) + _reason(r, reason),
            action=r.gettext("See your meetings"))
    return compose


# what was cancelled -> (subject to the other member, subject to the one who cancelled)
_CANCELLED = {
    "meeting": (N_("%(name)s cancelled your meeting"),
                N_("You cancelled your meeting with %(name)s")),
    "occurrence": (N_("%(name)s cancelled one meeting of your series"),
                   N_("You cancelled one meeting of your series with %(name)s")),
    "series": (N_("%(name)s cancelled your series of meetings"),
               N_("You cancelled your series of meetings with %(name)s")),
}


def cancelled(what: str, about: About, start: datetime, reason: str, *, own: bool,
              attached: bool) -> Compose:
    """`what`: "meeting", "occurrence" (one of a series, at `start`) or "series"."""
    subject = _CANCELLED[what][1 if own else 0]

    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext(subject, name=about.name),
            lines=[r.gettext("The cancellation attached takes it out of your calendar.")
                   if attached else r.gettext("Take it out of your calendar if it is there.")],
            facts=_when(r, about, start) + _repeats(r, about) + _reason(r, reason),
            action=r.gettext("See your meetings"))
    return compose


def pair_ended(about: About, start: datetime, *, attached: bool) -> Compose:
    """The pair has ended: the meeting (or what was left of a series, from `start`) is
    cancelled. Told with the calendar update, beside the pair's own end notice."""
    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("Your coming meetings with %(name)s are cancelled",
                              name=about.name),
            lines=[r.gettext("Your mentoring relationship with %(name)s has ended, so the "
                             "meetings still to come are cancelled.", name=about.name),
                   r.gettext("The update attached takes them out of your calendar.")
                   if attached else r.gettext("Take them out of your calendar if they are "
                                              "there.")],
            facts=[(r.gettext("From"), r.when(start))] + _repeats(r, about),
            action=r.gettext("See your meetings"))
    return compose


def reminder(about: About, start: datetime, ahead: str) -> Compose:
    """`ahead`: "24h" or "1h"."""
    def compose(r: Reader) -> Message:
        subject = (r.gettext("Reminder: meeting with %(name)s tomorrow", name=about.name)
                   if ahead == "24h" else
                   r.gettext("Reminder: meeting with %(name)s in one hour", name=about.name))
        return Message(subject=subject, lines=[r.gettext("You meet %(name)s soon.",
                                                         name=about.name)],
                       facts=_when(r, about, start) + _venue(r, about.url, about.location),
                       action=r.gettext("See your meetings"))
    return compose


def outcome(about: About, start: datetime) -> Compose:
    """After a meeting: did it happen?"""
    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("Did your meeting with %(name)s happen?", name=about.name),
            lines=[r.gettext("Say in Pairwise whether your meeting with %(name)s took place. "
                             "It takes a moment, and it is how your program knows which "
                             "meetings were held.", name=about.name)],
            facts=_when(r, about, start), action=r.gettext("Say whether it happened"))
    return compose


def event_posted(title: str, description: str, start: datetime, *, url: str | None,
                 location: str | None) -> Compose:
    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("New event: %(title)s", title=title),
            lines=[r.gettext("Your program staff posted an event for everyone in the "
                             "program. Say in Pairwise whether you will come.")]
            + ([description] if description else []),
            facts=[(r.gettext("When"), r.when(start))]
            + _venue(r, url, location),
            action=r.gettext("Say whether you come"))
    return compose


def event_cancelled(title: str, start: datetime) -> Compose:
    def compose(r: Reader) -> Message:
        return Message(
            subject=r.gettext("Cancelled: %(title)s", title=title),
            lines=[r.gettext("%(title)s will not take place.", title=title)],
            facts=[(r.gettext("When"), r.when(start))], action=r.gettext("See the events"))
    return compose


# --- Facts -----------------------------------------------------------------------------------

Facts = list[tuple[str, str]]


def _how(r: Reader, about: About) -> str:
    return r.gettext("%(modality)s, %(minutes)s min", modality=r.gettext(
        MODALITY_LABELS[about.modality]), minutes=about.minutes)


def _options(r: Reader, starts: Sequence[datetime]) -> Facts:
    return [(r.gettext("Time %(number)s", number=number), r.when(start))
            for number, start in enumerate(starts, 1)]


def _when(r: Reader, about: About, start: datetime) -> Facts:
    facts = [(r.gettext("When"), r.when(start))]
    if about.their_zone and about.their_zone != r.zone:
        facts.append((r.gettext("For %(name)s", name=about.name),
                      replace(r, zone=about.their_zone).when(start)))
    return facts + [(r.gettext("How"), _how(r, about))]


def _repeats(r: Reader, about: About) -> Facts:
    if about.repeats not in REPEATS:
        return []
    return [(r.gettext("Repeats"), r.gettext(REPEATS[about.repeats]))]


def _venue(r: Reader, url: str | None, location: str | None) -> Facts:
    return (([(r.gettext("Join"), url)] if url else [])
            + ([(r.gettext("Where"), location)] if location else []))


def _reason(r: Reader, reason: str) -> Facts:
    return [(r.gettext("Reason"), reason.strip())] if reason.strip() else []
