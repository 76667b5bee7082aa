"""What a feature told people, for notification tests: the rows queued in the outbox, and the
LMS links they were given.

`LinkRecorder.install(monkeypatch)` stands in for `courses.landing.link_for` (the contract
every e-mail link goes through) and records who a link was made for and where it lands, so a
test asserts the destination without depending on how the landing builds its links.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from lti_tool.courses import landing
from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.notify.models import Notification

LINK = "https://lms.example.edu/mod/lti/view.php?l=7"


@dataclass
class LinkRecorder:
    """(person id, program id, destination) of every link made, in order."""

    made: list[tuple[int, int | None, str]] = field(default_factory=list)

    def install(self, monkeypatch) -> "LinkRecorder":
        monkeypatch.setattr(landing, "link_for", self._link_for)
        return self

    def _link_for(self, person: Person, program, destination: str) -> str:
        self.made.append((person.id, program.id if program else None, destination))
        return f"{LINK}&to={len(self.made)}"

    def destinations(self, person_id: int) -> list[str]:
        return [to for who, _, to in self.made if who == person_id]


def told(kind: str) -> list[Notification]:
    """The notifications of `kind`, oldest first (inside an app context)."""
    return list(db.session.scalars(sa.select(Notification).filter_by(kind=kind)
                                   .order_by(Notification.id)))


def set_locale(person_id: int, locale: str) -> None:
    """The person's launch locale, as their next launch would record it (commits)."""
    db.session.get(Person, person_id).locale = locale
    db.session.commit()
