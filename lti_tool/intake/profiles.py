"""What others read of an intake: the mentor profile mentees see (when they choose a mentor and
once they are paired), and the mentee's own words their mentor sees. Staff see neither text;
the intake page says who sees what (templates/intake/form.html), and this is where it is true.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from flask_babel import get_locale

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.intake.forms import LANGUAGES
from lti_tool.intake.services import profile_for
from lti_tool.timeutil import utcnow


@dataclass(frozen=True)
class MentorProfile:
    """A mentor as mentees see them: in their own words, what they help with, the languages
    they speak (names in the reader's language), and where they are."""

    name: str
    bio: str
    expertise: list[str]
    languages: list[str]
    timezone: str
    local_time: str  # "Monday 20:05" in the reader's language


@dataclass(frozen=True)
class MenteeWords:
    """What a mentee wrote about themselves, for their mentor."""

    name: str
    topics: list[str]
    goals_text: str
    preferences: str

    @property
    def empty(self) -> bool:
        return not (self.topics or self.goals_text or self.preferences)


def mentor_profile(program: Program, person: Person | int,
                   now: datetime | None = None) -> MentorProfile | None:
    """The mentor profile of `person` (or a person id) in `program`; None without an intake."""
    mentor = _person(person)
    profile = profile_for(program, mentor) if mentor else None
    if mentor is None or profile is None:
        return None
    return MentorProfile(
        name=mentor.display_name, bio=profile.bio or "", expertise=list(profile.expertise or []),
        languages=[str(LANGUAGES.get(code, code)) for code in profile.languages or []],
        timezone=profile.timezone or "UTC",
        local_time=local_time(profile.timezone, now or utcnow()))


def mentee_words(program: Program, person: Person) -> MenteeWords | None:
    """What `person` wrote in their intake for `program`, or None without one."""
    profile = profile_for(program, person)
    if profile is None:
        return None
    return MenteeWords(name=person.display_name, topics=list(profile.topics or []),
                       goals_text=profile.goals_text or "", preferences=profile.preferences or "")


def local_time(zone: str | None, now: datetime) -> str:
    """The weekday and clock time in `zone` now, in the page's language ("Monday 20:05")."""
    try:
        tzinfo = ZoneInfo(zone or "UTC")
    except (ValueError, ZoneInfoNotFoundError):
        tzinfo = ZoneInfo("UTC")
    return format_datetime(now, "EEEE HH:mm", tzinfo=tzinfo, locale=str(get_locale() or "en"))


def _person(person: Person | int | None) -> Person | None:
    if person is None or isinstance(person, Person):
        return person
    return db.session.get(Person, person)
