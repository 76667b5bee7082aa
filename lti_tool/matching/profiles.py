"""What the matching algorithms know about people and about a program's rules."""

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Person:
    """A mentee or a mentor. `id` is the LMS person id: the same person may be a mentee and a
    (peer) mentor, and is never paired with themself."""

    id: int
    timezone: str
    # Weekly availability in the person's own local time: (weekday 0=Monday, start minute),
    # 30-minute slots.
    slots: frozenset[tuple[int, int]]
    topics: frozenset[str] = frozenset()  # mentee: goals; mentor: expertise
    languages: frozenset[str] = frozenset()
    modality: str = "video"
    answers: Mapping[str, frozenset[str]] = field(default_factory=dict)
    groups: frozenset[str] = frozenset()
    capacity: int = 1  # mentors: how many more mentees they can take
    name: str = ""


@dataclass(frozen=True)
class Weights:
    """How much each criterion counts; 0 leaves it out."""

    topics: float = 3.0
    languages: float = 1.0
    availability: float = 2.0
    modality: float = 0.5
    questions: float = 1.0

    def as_dict(self) -> dict[str, float]:
        return {"topics": self.topics, "languages": self.languages,
                "availability": self.availability, "modality": self.modality,
                "questions": self.questions}


@dataclass(frozen=True)
class Constraints:
    """Rules every pair must meet."""

    require_shared_language: bool = True
    min_overlap_hours: float = 1.0
    avoid: frozenset[tuple[int, int]] = frozenset()  # (mentee id, mentor id)
    group_rule: str = "any"  # "any" | "same" | "different"
