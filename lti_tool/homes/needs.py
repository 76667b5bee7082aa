"""What waits for a person now: "What needs you" at the top of each home, and the staff's weekly
digest (digest.py). Each `Need` is a count, a label and the link to the page where it is done;
the label is worded when it is read, so a page reads it in its reader's language and an e-mail
in its recipient's.

The rules are the features' own (who answers a proposal, when a check-in is due, which score
the LMS refused...): this module only asks them. Queries: for staff, a fixed number whatever
the size of the program; for a participant, a fixed number plus a few per pair they belong to
(at most their mentoring capacity)."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import format_date, gettext, ngettext

from lti_tool.catalogue import N_
from lti_tool.courses.models import Person, Program
from lti_tool.grades import services as grades
from lti_tool.intake import services as intake
from lti_tool.journal import services as journal
from lti_tool.journal.models import ActionItem
from lti_tool.meetings import services as meetings
from lti_tool.meetings.models import Meeting
from lti_tool.pairs import choice
from lti_tool.pairs.models import MentorRequest, Pair
from lti_tool.pairs.services import pairs_of, unmatched_learners
from lti_tool.relationships import services as health
from lti_tool.relationships.signals import AT_RISK, INACTIVE
from lti_tool.surveys import services as surveys
from lti_tool.timeutil import as_utc, utcnow
from lti_tool.workspace import services as workspace

# Every kind of need with its label; on the home, overdue ones first, then in this order.
LABELS: dict[str, Callable[[int], str]] = {
    # A participant's
    "requests": lambda n: ngettext("%(num)d mentee asks you to be their mentor",
                                   "%(num)d mentees ask you to be their mentor", n),
    "proposals": lambda n: ngettext("%(num)d meeting proposal to answer",
                                    "%(num)d meeting proposals to answer", n),
    "agreement": lambda n: ngettext("%(num)d mentoring agreement to accept",
                                    "%(num)d mentoring agreements to accept", n),
    "actions_overdue": lambda n: ngettext("%(num)d action item overdue",
                                          "%(num)d action items overdue", n),
    "actions_due": lambda n: ngettext("%(num)d action item due soon",
                                      "%(num)d action items due soon", n),
    "checkin": lambda n: ngettext("%(num)d check-in to answer", "%(num)d check-ins to answer", n),
    "survey": lambda n: ngettext("%(num)d feedback survey to answer",
                                 "%(num)d feedback surveys to answer", n),
    "unconfirmed": lambda n: ngettext("%(num)d meeting to confirm: did it happen?",
                                      "%(num)d meetings to confirm: did they happen?", n),
    "messages": lambda n: ngettext("%(num)d new message", "%(num)d new messages", n),
    "my_request": lambda n: ngettext("%(num)d request waiting for a mentor's answer",
                                     "%(num)d requests waiting for a mentor's answer", n),
    # Staff's
    "unmatched": lambda n: ngettext("%(num)d learner without a mentor",
                                    "%(num)d learners without a mentor", n),
    "volunteers": lambda n: ngettext("%(num)d volunteer mentor to approve",
                                     "%(num)d volunteer mentors to approve", n),
    "at_risk": lambda n: ngettext("%(num)d pair at risk or inactive",
                                  "%(num)d pairs at risk or inactive", n),
    "disagreements": lambda n: ngettext("%(num)d meeting the pair describe differently",
                                        "%(num)d meetings the pairs describe differently", n),
    "refused": lambda n: ngettext("%(num)d score the LMS refused",
                                  "%(num)d scores the LMS refused", n),
}
ORDER = list(LABELS)
DUE: dict[str, Callable[[str], str]] = {
    "requests": lambda day: gettext("answer by %(day)s", day=day),
    "my_request": lambda day: gettext("an answer is due by %(day)s", day=day),
    "proposals": lambda day: gettext("first time offered: %(day)s", day=day),
    "actions_overdue": lambda day: gettext("was due %(day)s", day=day),
    "actions_due": lambda day: gettext("due %(day)s", day=day),
}
# Where staff find each of theirs (the digest names the page; the home links to it).
PAGES = {"unmatched": N_("Matching"), "volunteers": N_("Mentors"), "at_risk": N_("Dashboard"),
         "disagreements": N_("Your home page"), "refused": N_("Participation grades")}


@dataclass(frozen=True)
class Need:
    kind: str  # a key of LABELS
    count: int
    link: str  # the tool's page (in a launched session, with its token)
    pair_id: int | None = None
    partner: str = ""  # the pair's other member, for a person in several pairs
    due: date | None = None
    overdue: bool = False

    @property
    def label(self) -> str:
        """The count and what it counts, in the current language."""
        return LABELS[self.kind](self.count)

    @property
    def due_text(self) -> str:
        if self.due is None or self.kind not in DUE:
            return ""
        return DUE[self.kind](format_date(self.due, "EEEE d MMMM"))

    @property
    def page(self) -> str:
        return gettext(PAGES[self.kind]) if self.kind in PAGES else ""


def _ordered(needs: Iterable[Need]) -> list[Need]:
    return sorted(needs, key=lambda need: (not need.overdue, ORDER.index(need.kind)))


# --- A participant's ---------------------------------------------------------------------------

def participant_needs(person: Person, program: Program | None, pairs: list[Pair] | None = None,
                      today: date | None = None) -> list[Need]:
    """What waits for a mentor or a learner in the program; `pairs`: their active pairs, when
    the caller has them already."""
    if program is None:
        return []
    pairs = pairs_of(person, program) if pairs is None else pairs
    today = today or utcnow().date()
    ids = [pair.id for pair in pairs]
    waiting = _Waiting(
        proposals=_by_pair(meetings.awaiting_answer(person, ids)),
        actions=_by_pair(journal.due_actions(person, ids, today)),
        unconfirmed=_by_pair(meeting for meeting, _ in meetings.unconfirmed(person, ids)))
    found = _requests(person, program)
    for pair in pairs:
        partner = meetings.other_member(pair, person).display_name if len(pairs) > 1 else ""
        found += [Need(kind, count, link, pair.id, partner, due, overdue)
                  for kind, count, link, due, overdue in _in_pair(person, pair, today, waiting)
                  if count]
    return _ordered(found)


@dataclass
class _Waiting:
    """What the features found for all the person's pairs at once, by pair id."""

    proposals: dict[int, list[Meeting]]
    actions: dict[int, list[ActionItem]]
    unconfirmed: dict[int, list[Meeting]]


def _by_pair(rows: Iterable) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[row.pair_id].append(row)
    return grouped


def _requests(person: Person, program: Program) -> list[Need]:
    """Requests to this mentor, with the nearest deadline; a mentee's own pending request."""
    asking = choice.requests_to(program, person)
    mine = ([r for r in choice.requests_of(program, person) if r.status == "pending"]
            if program.mentee_choice else [])
    return [Need(kind, len(rows), url_for("homes.home", _anchor=anchor), due=_earliest(rows))
            for kind, anchor, rows in (("requests", "requests-h", asking),
                                       ("my_request", "my-requests-h", mine)) if rows]


def _earliest(requests: list[MentorRequest]) -> date | None:
    return min((as_utc(r.respond_by).date() for r in requests), default=None)


def _in_pair(person: Person, pair: Pair, today: date, waiting: _Waiting) -> list[tuple]:
    """(kind, count, link, due, overdue) of each kind in one pair; counts may be 0."""
    proposals = waiting.proposals[pair.id]
    first_offered = min((as_utc(o.start_at).date() for m in proposals for o in m.options),
                        default=None)
    version = workspace.latest_version(pair)
    signer = workspace.awaiting(version) if version is not None else None
    survey = surveys.due_for(pair, person, today)
    late = [i for i in waiting.actions[pair.id] if i.due_on is not None and i.due_on < today]
    soon = [i for i in waiting.actions[pair.id] if i not in late]
    journal_page = url_for("journal.pair_journal", pair_id=pair.id)
    meetings_page = url_for("meetings.pair_meetings", pair_id=pair.id)
    return [
        ("proposals", len(proposals), meetings_page, first_offered, False),
        ("agreement", int(signer is not None and signer.id == person.id),
         url_for("workspace.agreement", pair_id=pair.id), None, False),
        ("actions_overdue", len(late), journal_page, late[0].due_on if late else None, True),
        ("actions_due", len(soon), journal_page, soon[0].due_on if soon else None, False),
        ("checkin" if survey is None or survey.kind == "checkin" else "survey",
         int(survey is not None), url_for("surveys.checkin", pair_id=pair.id), None, False),
        ("unconfirmed", len(waiting.unconfirmed[pair.id]),
         url_for("meetings.pair_meetings", pair_id=pair.id, _anchor="past-h"), None, False),
        ("messages", journal.unread_count(pair, person),
         url_for("journal.messages", pair_id=pair.id), None, False),
    ]


# --- Staff's -------------------------------------------------------------------------------------

def staff_needs(program: Program | None) -> list[Need]:
    """What waits for the program's staff, in a fixed number of queries. Health assessments
    made on the way are stored (relationships.current_health): the caller commits."""
    if program is None:
        return []
    at_risk = sum(1 for status in health.current_health(program)
                  if status.status in (AT_RISK, INACTIVE))
    counts = (
        ("unmatched", len(unmatched_learners(program)), url_for("pairs.matching")),
        ("volunteers", len(intake.volunteers_waiting(program)), url_for("pairs.mentors")),
        ("at_risk", at_risk, url_for("relationships.dashboard")),
        ("disagreements", meetings.disputed_count(program),
         url_for("homes.home", _anchor="disputed-h")),
        ("refused", grades.refused_count(program), url_for("grades.index")),
    )
    return _ordered(Need(kind, count, link) for kind, count, link in counts if count)
