"""Plain-language reasons for a pair, and a recurring weekly slot in both local times."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from lti_tool.matching.availability import SLOT_MINUTES, common_slots
from lti_tool.matching.profiles import Person
from lti_tool.matching.scoring import PairScore

MODALITY_WORDS = {"video": "video", "phone": "phone calls", "chat": "chat or e-mail",
                  "in_person": "meeting in person"}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German",
                  "pt": "Portuguese", "it": "Italian", "zh": "Chinese", "ar": "Arabic",
                  "hi": "Hindi", "ja": "Japanese", "ko": "Korean", "ru": "Russian"}
COMFORT_HOURS = range(8, 20)  # local hours both should find reasonable


def explain(score: PairScore, mentee: Person, mentor: Person) -> str:
    parts = []
    if score.shared_topics:
        count = len(score.shared_topics)
        parts.append(f"{count} shared goal{'s' if count != 1 else ''} "
                     f"({', '.join(score.shared_topics)})")
    parts.append(f"{score.overlap_hours:g} h weekly overlap")
    if score.shared_languages:
        names = [LANGUAGE_NAMES.get(code, code) for code in score.shared_languages]
        parts.append("both speak " + " and ".join(names))
    if mentee.modality == mentor.modality:
        parts.append(f"both prefer {MODALITY_WORDS.get(mentee.modality, mentee.modality)}")
    return ", ".join(parts)


@dataclass(frozen=True)
class SlotProposal:
    start_utc: datetime
    mentee_local: str
    mentor_local: str


def propose_slot(mentee: Person, mentor: Person, week_start: date,
                 minutes: int) -> SlotProposal | None:
    """The earliest run of shared half-hours long enough for a meeting, preferring one inside
    both people's daytime (08:00–20:00 local)."""
    needed = max(1, -(-minutes // SLOT_MINUTES))
    starts = _runs(common_slots(mentee, mentor, week_start), needed)
    if not starts:
        return None
    comfortable = [s for s in starts if _daytime(s, mentee) and _daytime(s, mentor)]
    start = (comfortable or starts)[0]
    return SlotProposal(start, _local(start, mentee.timezone), _local(start, mentor.timezone))


def _runs(slots: list[datetime], needed: int) -> list[datetime]:
    step = timedelta(minutes=SLOT_MINUTES)
    available = set(slots)
    return [s for s in slots if all(s + k * step in available for k in range(needed))]


def _daytime(start: datetime, person: Person) -> bool:
    return start.astimezone(ZoneInfo(person.timezone)).hour in COMFORT_HOURS


def _local(start: datetime, timezone: str) -> str:
    local = start.astimezone(ZoneInfo(timezone))
    return f"{local.strftime('%A')}s {local.strftime('%H:%M')} ({timezone})"
