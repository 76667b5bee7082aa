"""Plain-language reasons for a pair, and a recurring weekly meeting time shown in both
people's local time (daylight saving included: the times are for the reference week)."""

import math
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


def propose_slot(mentee: Person, mentor: Person, week_start: date,
                 minutes: int) -> SlotProposal | None:
    """A recurring weekly time inside both people's availability, long enough for `minutes`,
    or None. Preferred, in order: the fewest meeting minutes outside 08:00-20:00 local time
    (summed over both); a steady routine (a weekday for both, the same weekday for both, a
    start on the hour, else the half hour, for both); then the earliest in the week."""
    if minutes <= 0:
        raise ValueError("A meeting must last at least a minute.")
    needed = math.ceil(minutes / QUARTER_MINUTES)
    shared = shared_quarters(mentee, mentor, week_start)
    fits = shared.copy()
    for step in range(1, min(needed, WEEK_QUARTERS)):  # the run from q lasts `needed` quarters
        fits &= np.roll(shared, -step)
    starts = np.flatnonzero(fits)
    if not len(starts):
        return None
    origin = week_origin(week_start)
    candidates = [origin + timedelta(minutes=int(q) * QUARTER_MINUTES) for q in starts]
    zones = (ZoneInfo(mentee.timezone), ZoneInfo(mentor.timezone))
    best = min(candidates, key=lambda start: _preference(start, minutes, zones))
    awkward = _preference(best, minutes, zones)[0]
    return SlotProposal(best, minutes, _local(best, mentee.timezone),
                        _local(best, mentor.timezone), within_hours=awkward == 0)


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
