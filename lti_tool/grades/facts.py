"""What each graded person did: `facts_for(program, person)` gathers `ParticipationFacts`.

Meetings come from lti_tool.meetings: an occurrence counts as held when BOTH members of the
pair recorded the outcome "held" (one query per program, not per person).

Everything else comes from modules that are written alongside this one and may not be
installed yet. Each is looked up by name when it is needed (`importlib` + `getattr`), and a
fact whose module or function is missing stays `None` ("not tracked yet") instead of failing,
so grading works today and picks each source up as soon as it exists:

| fact                 | looked up as                                                       |
|----------------------|--------------------------------------------------------------------|
| agreement_signed     | lti_tool.workspace.services.agreement_signed(pair) -> bool         |
| goals_set            | lti_tool.workspace.services.goals_of(pair) -> list                 |
| reflection_submitted | lti_tool.workspace.services.reflection_submitted(pair, person)     |
| recaps               | lti_tool.journal.services.recaps_of(pair) -> list                  |
| actions_done         | lti_tool.journal.services.actions_of(pair, status="done") -> list, |
|                      | counting the items the person owns (`owner_id`)                    |
| surveys_answered     | lti_tool.surveys.services.answered_count(pair, person) -> int, else |
|                      | the person's rows in lti_tool.surveys.models.SurveyReceipt         |

Only a *missing* module is treated as "not tracked"; an error inside an installed one is
raised, as any other bug.

A person's facts add up over all their pairs in the program (a mentee who was rematched keeps
the meetings of the first pair). A mentor with several mentees is graded per pair on average
(rounded down), and "signed"/"submitted" only when true for every pair, so mentoring three
mentees does not reach the meeting cap three times faster.
"""

import functools
import importlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.grades.rubric import ParticipationFacts
from lti_tool.meetings.models import Attendance, Meeting
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc

log = logging.getLogger(__name__)
HELD = "held"


@functools.cache
def optional(module: str, name: str) -> Callable | None:
    """`module.name` if that module is installed and has it, else None."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            return None
        raise
    function = getattr(found, name, None)
    return function if callable(function) else None


# --- Meetings: one query for many pairs -----------------------------------------------------

def held_meetings(pair_ids: Iterable[int] | None = None,
                  program_id: int | None = None) -> dict[int, tuple[int, datetime | None]]:
    """{pair id: (occurrences both members confirmed as held, the latest one's start)}."""
    both = (
        sa.select(Meeting.pair_id.label("pair_id"), Attendance.occurrence_start.label("start"))
        .join(Meeting, Attendance.meeting_id == Meeting.id)
        .join(Pair, Meeting.pair_id == Pair.id)
        .where(Attendance.outcome == HELD,
               sa.or_(Attendance.person_id == Pair.mentee_id,
                      Attendance.person_id == Pair.mentor_id))
        .group_by(Meeting.pair_id, Attendance.meeting_id, Attendance.occurrence_start)
        .having(sa.func.count(sa.distinct(Attendance.person_id)) == 2)
    )
    if program_id is not None:
        both = both.where(Pair.program_id == program_id)
    if pair_ids is not None:
        both = both.where(Pair.id.in_(list(pair_ids)))
    held = both.subquery()
    rows = db.session.execute(
        sa.select(held.c.pair_id, sa.func.count(), sa.func.max(held.c.start))
        .group_by(held.c.pair_id))
    return {pair_id: (count, last) for pair_id, count, last in rows}


# --- The optional sources -------------------------------------------------------------------

def _count(items: Any) -> int:
    return items if isinstance(items, int) else len(list(items))


def _agreement(pair: Pair, person: Person) -> bool | None:
    function = optional("lti_tool.workspace.services", "agreement_signed")
    return None if function is None else bool(function(pair))


def _goals(pair: Pair, person: Person) -> int | None:
    function = optional("lti_tool.workspace.services", "goals_of")
    return None if function is None else _count(function(pair))


def _reflection(pair: Pair, person: Person) -> bool | None:
    function = optional("lti_tool.workspace.services", "reflection_submitted")
    return None if function is None else bool(function(pair, person))


def _recaps(pair: Pair, person: Person) -> int | None:
    function = optional("lti_tool.journal.services", "recaps_of")
    return None if function is None else _count(function(pair))


def _actions_done(pair: Pair, person: Person) -> int | None:
    function = optional("lti_tool.journal.services", "actions_of")
    if function is None:
        return None
    return sum(1 for item in function(pair, status="done")
               if getattr(item, "owner_id", person.id) == person.id)


def _surveys(pair: Pair, person: Person) -> int | None:
    function = optional("lti_tool.surveys.services", "answered_count")
    if function is not None:
        return int(function(pair, person))
    receipt = optional("lti_tool.surveys.models", "SurveyReceipt")
    if receipt is None:
        return None
    return db.session.scalar(sa.select(sa.func.count()).select_from(receipt).where(
        receipt.pair_id == pair.id, receipt.person_id == person.id)) or 0


SOURCES: dict[str, Callable[[Pair, Person], Any]] = {
    "agreement_signed": _agreement,
    "goals_set": _goals,
    "reflection_submitted": _reflection,
    "recaps": _recaps,
    "actions_done": _actions_done,
    "surveys_answered": _surveys,
}


def tracked() -> dict[str, bool]:
    """Which optional facts this installation can gather (for the staff page)."""
    modules = {"agreement_signed": ("lti_tool.workspace.services", "agreement_signed"),
               "goals_set": ("lti_tool.workspace.services", "goals_of"),
               "reflection_submitted": ("lti_tool.workspace.services", "reflection_submitted"),
               "recaps": ("lti_tool.journal.services", "recaps_of"),
               "actions_done": ("lti_tool.journal.services", "actions_of")}
    found = {fact: optional(*where) is not None for fact, where in modules.items()}
    found["surveys_answered"] = (optional("lti_tool.surveys.services", "answered_count")
                                 is not None or
                                 optional("lti_tool.surveys.models", "SurveyReceipt")
                                 is not None)
    return found


# --- Facts of a pair and of a person ---------------------------------------------------------

def pair_facts(pair: Pair, person: Person,
               held: dict[int, tuple[int, datetime | None]] | None = None) -> ParticipationFacts:
    """What `person` did in `pair` (`held` from `held_meetings`, or fetched for this pair)."""
    if held is None:
        held = held_meetings([pair.id])
    count, last = held.get(pair.id, (0, None))
    values = {name: source(pair, person) for name, source in SOURCES.items()}
    return ParticipationFacts(meetings_held=count,
                              last_met=as_utc(last).date() if last else None, **values)


def combine(per_pair: list[ParticipationFacts], mentor: bool = False) -> ParticipationFacts:
    """One person's facts over their pairs (see the module docstring)."""
    if not per_pair:
        return ParticipationFacts(**{name: _empty(name) for name in SOURCES})
    if len(per_pair) == 1:
        return per_pair[0]
    lasts = [f.last_met for f in per_pair if f.last_met]
    merged: dict[str, Any] = {
        "meetings_held": _merge_counts([f.meetings_held for f in per_pair], mentor),
        "last_met": max(lasts) if lasts else None,
    }
    for name in SOURCES:
        values = [getattr(f, name) for f in per_pair]
        if all(v is None for v in values):
            merged[name] = None
        elif isinstance(next(v for v in values if v is not None), bool):
            merged[name] = (all if mentor else any)(bool(v) for v in values)
        else:
            merged[name] = _merge_counts([v or 0 for v in values], mentor)
    return ParticipationFacts(**merged)


def _merge_counts(counts: list[int], mentor: bool) -> int:
    return sum(counts) // len(counts) if mentor else sum(counts)


def _empty(name: str) -> Any:
    """A fact of someone with no pair: zero/false where tracked, None where not."""
    if not tracked().get(name):
        return None
    return False if name in ("agreement_signed", "reflection_submitted") else 0


def facts_for(pairs: list[Pair], person: Person, mentor: bool = False,
              held: dict[int, tuple[int, datetime | None]] | None = None) -> ParticipationFacts:
    """`person`'s facts over `pairs` (theirs, in one program)."""
    if held is None:
        held = held_meetings([p.id for p in pairs]) if pairs else {}
    return combine([pair_facts(pair, person, held) for pair in pairs], mentor=mentor)
