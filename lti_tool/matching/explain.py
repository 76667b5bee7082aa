"""Plain-language reasons for a pair, and a recurring weekly meeting time shown in both
people's local time (daylight saving included: the times are for the reference week)."""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from lti_tool.matching.availability import (
    QUARTER_MINUTES,
    WEEK_QUARTERS,
    shared_quarters,
    week_origin,
)
from lti_tool.matching.profiles import Person
from lti_tool.matching.scoring import PairScore

MODALITY_WORDS = {"video": "video", "phone": "phone calls", "chat": "chat",
                  "in_person": "meeting in person"}
LANGUAGE_NAMES = {"ar": "Arabic", "bn": "Bengali", "de": "German", "en": "English",
                  "es": "Spanish", "fr": "French", "hi": "Hindi", "id": "Indonesian",
                  "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch",
                  "pl": "Polish", "pt": "Portuguese", "ru": "Russian", "sw": "Swahili",
                  "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese"}
DAY_STARTS, DAY_ENDS = 8 * 60, 20 * 60  # local minutes both should find reasonable


def explain(score: PairScore, mentee: Person, mentor: Person) -> str:
    """E.g. "3 shared goals (career paths, data science, leadership), 5 h weekly overlap,
    both speak Spanish; both prefer video"."""
    parts = []
    if score.shared_topics:
        count = len(score.shared_topics)
        parts.append(f"{_plural(count, 'shared goal')} ({', '.join(score.shared_topics)})")
    elif mentee.topics:
        parts.append("no shared goals")
    parts.append(f"{score.overlap_hours:g} h weekly overlap")
    if score.shared_languages:
        parts.append("both speak " + _and(sorted(_language(c) for c in score.shared_languages)))
    else:
        parts.append("no shared language")
    parts.extend(_questions(mentee, mentor))
    text = ", ".join(parts) + "; " + _modality(mentee, mentor)
    if score.blockers:
        text += "; cannot be paired: " + ", ".join(score.blockers)
    return text


def _questions(mentee: Person, mentor: Person) -> list[str]:
    answered = [q for q, options in mentee.answers.items() if options]
    if not answered:
        return []
    same = sum(1 for q in answered if mentee.answers[q] & mentor.answers.get(q, frozenset()))
    return [f"same answer to {same} of {_plural(len(answered), 'program question')}"]


def _modality(mentee: Person, mentor: Person) -> str:
    words = [MODALITY_WORDS.get(p.modality, p.modality) for p in (mentee, mentor)]
    if mentee.modality == mentor.modality:
        return f"both prefer {words[0]}"
    return f"the mentee prefers {words[0]}, the mentor {words[1]}"


def _language(code: str) -> str:
    return LANGUAGE_NAMES.get(code.lower(), code)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class SlotProposal:
    start_utc: datetime  # in the reference week
    minutes: int
    mentee_local: str  # e.g. "Tuesdays 18:00 (Europe/Berlin)"
    mentor_local: str
    within_hours: bool  # inside 08:00-20:00 local time for both
    # Also the mentor's time with another mentee: no other common time was free.
    shared: bool = False


WEEK_MINUTES = 7 * 24 * 60


def propose_slot(mentee: Person, mentor: Person, week_start: date,
                 minutes: int) -> SlotProposal | None:
    """A recurring weekly time inside both people's availability, long enough for `minutes`,
    or None. Preferred, in order: the fewest meeting minutes outside 08:00-20:00 local time
    (summed over both); a steady routine (a weekday for both, the same weekday for both, a
    start on the hour, else the half hour, for both); then the earliest in the week."""
    candidates = _ranked_starts(mentee, mentor, week_start, minutes)
    return _proposal(candidates[0], mentee, mentor, minutes) if candidates else None


def propose_slots(pairs: Sequence[tuple[Person, Person]], week_start: date, minutes: int,
                  taken: Mapping[int, Iterable[datetime]] | None = None
                  ) -> dict[tuple[int, int], SlotProposal | None]:
    """A slot for each (mentee, mentor), keyed by their ids, such that one mentor's mentees
    meet at different weekly times whenever their common times allow it. `taken`: by mentor
    id, the starts of their meetings already fixed (their active pairs).

    Deterministic: the pair with the fewest possible starts chooses first (ties by ids), so a
    mentee who can meet only at one time is not crowded out by one who has others; each takes
    its best start (as `propose_slot`) not clashing with the mentor's earlier ones, else its
    best start, marked `shared`."""
    ranked = {(a.id, b.id): (a, b, _ranked_starts(a, b, week_start, minutes))
              for a, b in pairs}
    busy: dict[int, list[datetime]] = {
        mentor_id: list(starts) for mentor_id, starts in (taken or {}).items()}
    chosen: dict[tuple[int, int], SlotProposal | None] = {}
    for key in sorted(ranked, key=lambda k: (len(ranked[k][2]), k)):
        mentee, mentor, candidates = ranked[key]
        if not candidates:
            chosen[key] = None
            continue
        mentor_busy = busy.setdefault(mentor.id, [])
        free = next((start for start in candidates
                     if not any(_clash(start, other, minutes) for other in mentor_busy)), None)
        start = free or candidates[0]
        chosen[key] = _proposal(start, mentee, mentor, minutes, shared=free is None)
        mentor_busy.append(start)
    return chosen


def _clash(start: datetime, other: datetime, minutes: int) -> bool:
    """Whether two weekly meetings of `minutes` overlap (compared within the UTC week, so
    starts from different reference weeks compare by weekday and time)."""
    gap = ((start - other) // timedelta(minutes=1)) % WEEK_MINUTES
    return min(gap, WEEK_MINUTES - gap) < minutes


def _proposal(start: datetime, mentee: Person, mentor: Person, minutes: int,
              shared: bool = False) -> SlotProposal:
    zones = (ZoneInfo(mentee.timezone), ZoneInfo(mentor.timezone))
    awkward = _preference(start, minutes, zones)[0]
    return SlotProposal(start, minutes, _local(start, mentee.timezone),
                        _local(start, mentor.timezone), within_hours=awkward == 0,
                        shared=shared)


def _ranked_starts(mentee: Person, mentor: Person, week_start: date,
                   minutes: int) -> list[datetime]:
    """Every start fitting both, best first (see `propose_slot`)."""
    if minutes <= 0:
        raise ValueError("A meeting must last at least a minute.")
    needed = math.ceil(minutes / QUARTER_MINUTES)
    shared = shared_quarters(mentee, mentor, week_start)
    fits = shared.copy()
    for step in range(1, min(needed, WEEK_QUARTERS)):  # the run from q lasts `needed` quarters
        fits &= np.roll(shared, -step)
    origin = week_origin(week_start)
    candidates = [origin + timedelta(minutes=int(q) * QUARTER_MINUTES)
                  for q in np.flatnonzero(fits)]
    zones = (ZoneInfo(mentee.timezone), ZoneInfo(mentor.timezone))
    return sorted(candidates, key=lambda start: _preference(start, minutes, zones))


def _preference(start: datetime, minutes: int,
                zones: tuple[ZoneInfo, ZoneInfo]) -> tuple[int, int, bool, int, datetime]:
    local = [start.astimezone(zone) for zone in zones]
    awkward = sum(_minutes_outside_day(moment, minutes) for moment in local)
    weekend = sum(moment.weekday() >= 5 for moment in local)
    other_day = local[0].weekday() != local[1].weekday()
    untidy = max(_untidy(moment) for moment in local)
    return awkward, weekend, other_day, untidy, start


def _minutes_outside_day(local_start: datetime, minutes: int) -> int:
    outside = 0
    for offset in range(0, minutes, QUARTER_MINUTES):
        moment = local_start + timedelta(minutes=offset)
        minute_of_day = moment.hour * 60 + moment.minute
        if not DAY_STARTS <= minute_of_day < DAY_ENDS:
            outside += min(QUARTER_MINUTES, minutes - offset)
    return outside


def _untidy(local: datetime) -> int:
    return 0 if local.minute == 0 else 1 if local.minute == 30 else 2


def _local(start: datetime, timezone: str) -> str:
    local = start.astimezone(ZoneInfo(timezone))
    return f"{local:%A}s {local:%H:%M} ({timezone})"
