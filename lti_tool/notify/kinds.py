"""Every kind of notification Pairwise sends, with what a reader may choose about it.

`topic` groups kinds on the Notifications page, where a person chooses for each topic: each
e-mail, a daily digest, or off. An `essential` kind (a deadline, a change to the person's
program) cannot be turned off, only gathered into the digest. An `urgent` kind has a deadline
close enough that it skips the one-e-mail-per-hour limit and the digest.
"""

from dataclasses import dataclass

from lti_tool.catalogue import N_

PAIRING = "pairing"
MEETINGS = "meetings"
AGREEMENT = "agreement"
CHECKINS = "checkins"
MESSAGES = "messages"
ACTIONS = "actions"
EVENTS = "events"
STAFF = "staff"

TOPICS = {
    PAIRING: N_("Matches, requests and changes to your pair"),
    MEETINGS: N_("Meetings: invitations, changes, reminders"),
    AGREEMENT: N_("The mentoring agreement"),
    CHECKINS: N_("Check-ins and surveys"),
    MESSAGES: N_("Messages from your partner"),
    ACTIONS: N_("Action items that are due"),
    EVENTS: N_("Program events"),
    STAFF: N_("Program staff: digest and alerts"),
}


@dataclass(frozen=True)
class Kind:
    name: str
    topic: str
    essential: bool = False
    urgent: bool = False


def _kinds(*kinds: Kind) -> dict[str, Kind]:
    return {kind.name: kind for kind in kinds}


KINDS = _kinds(
    # Pairing (pairs/)
    Kind("match_published", PAIRING, essential=True),
    Kind("request_received", PAIRING, essential=True, urgent=True),
    Kind("request_accepted", PAIRING, essential=True),
    Kind("request_declined", PAIRING, essential=True),
    Kind("request_lapsed", PAIRING, essential=True),
    Kind("pair_extended", PAIRING, essential=True),
    Kind("pair_ending", PAIRING, essential=True),
    Kind("pair_ended", PAIRING, essential=True),
    Kind("pair_inactive", PAIRING, essential=True),
    Kind("pair_nudge", PAIRING),
    # Meetings (meetings/)
    Kind("meeting_proposed", MEETINGS, essential=True),
    Kind("meeting_accepted", MEETINGS, essential=True),
    Kind("meeting_declined", MEETINGS, essential=True),
    Kind("meeting_booked", MEETINGS, essential=True),
    Kind("meeting_moved", MEETINGS, essential=True),
    Kind("meeting_cancelled", MEETINGS, essential=True, urgent=True),
    Kind("meeting_reminder", MEETINGS, urgent=True),
    Kind("meeting_unanswered", MEETINGS),
    Kind("meeting_outcome", MEETINGS),
    # The agreement (workspace/)
    Kind("agreement_proposed", AGREEMENT, essential=True),
    Kind("agreement_waiting", AGREEMENT),
    Kind("agreement_signed", AGREEMENT),
    # Check-ins and surveys (relationships/, surveys/)
    Kind("pair_checkin", CHECKINS),
    Kind("checkin_due", CHECKINS),
    Kind("survey_open", CHECKINS),
    # Messages and action items (journal/)
    Kind("message", MESSAGES),
    Kind("action_reminder", ACTIONS),
    # Program events (meetings/calendars.py)
    Kind("program_event", EVENTS),
    Kind("program_event_cancelled", EVENTS, essential=True),
    # Staff
    Kind("staff_digest", STAFF),
    Kind("staff_pair_closed", STAFF, essential=True),
)


def kind(name: str) -> Kind:
    """The kind called `name`; an unknown name is a programming error."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"Unknown notification kind {name!r}: add it to notify/kinds.py") from None
