"""What the matching algorithms know about people and about a program's rules: plain frozen
dataclasses the web layer builds from database rows. They check their own values, so a bad row
fails here with a clear message instead of deep inside numpy."""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

SLOT_MINUTES = 30
DAY_MINUTES = 24 * 60
MODALITIES = ("video", "phone", "chat", "in_person")
GROUP_RULES = ("any", "same", "different")
CRITERIA = ("topics", "languages", "availability", "modality", "questions")


@dataclass(frozen=True)
class Person:
    """A mentee or a mentor. `id` is the LMS person id: the same person may be a mentee and a
    (peer) mentor, and is never paired with themself."""

    id: int
    timezone: str  # IANA name, e.g. "Europe/Berlin"
    # Weekly availability in the person's own local time: (weekday 0=Monday..6=Sunday, start
    # minute of the day), 30-minute slots starting on the hour or half hour.
    slots: frozenset[tuple[int, int]]
    topics: frozenset[str] = frozenset()  # mentee: goals; mentor: expertise
    languages: frozenset[str] = frozenset()  # e.g. {"en", "es"}
    modality: str = "video"  # preferred: "video" | "phone" | "chat" | "in_person"
    # Program question id -> chosen options. Left out of hashing: a dict cannot be hashed.
    answers: Mapping[str, frozenset[str]] = field(default_factory=dict, hash=False)
    groups: frozenset[str] = frozenset()  # LMS groups or sections
    capacity: int = 1  # mentors: how many more mentees they can take
    name: str = ""  # for explanations only

    def __post_init__(self) -> None:
        for day, minute in self.slots:
            if not (0 <= day <= 6 and 0 <= minute < DAY_MINUTES and minute % SLOT_MINUTES == 0):
                raise ValueError(f"Person {self.id}: slot {(day, minute)} is not a weekday "
                                 "0-6 and a start minute on the hour or half hour.")

    def local_slot_indices(self) -> list[int]:
        """Slots as indices 0..335 of the local week (Monday 00:00 is 0)."""
        return sorted(day * (DAY_MINUTES // SLOT_MINUTES) + minute // SLOT_MINUTES
                      for day, minute in self.slots)


@dataclass(frozen=True)
class Weights:
    """How much each criterion counts (staff set them per program); 0 leaves it out."""

    topics: float = 3.0
    languages: float = 1.0
    availability: float = 2.0
    modality: float = 0.5
    questions: float = 1.0

    def __post_init__(self) -> None:
        for name, value in self.as_dict().items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"The weight of {name} must be a number from 0 up.")

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in CRITERIA}


@dataclass(frozen=True)
class Constraints:
    """Rules every pair must meet; a pair that breaks one is infeasible and never proposed."""

    require_shared_language: bool = True
    min_overlap_hours: float = 1.0
    avoid: frozenset[tuple[int, int]] = frozenset()  # (mentee id, mentor id) never to pair
    group_rule: str = "any"  # "any" | "same" (share a group) | "different" (share none)

    def __post_init__(self) -> None:
        if self.group_rule not in GROUP_RULES:
            raise ValueError(f"group_rule must be one of {GROUP_RULES}, not {self.group_rule!r}.")
        if not math.isfinite(self.min_overlap_hours) or self.min_overlap_hours < 0:
            raise ValueError("min_overlap_hours must be a number from 0 up.")
