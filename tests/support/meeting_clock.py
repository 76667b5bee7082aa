"""Meetings of the published pair (tests/support/pairs.py) arranged through the services at a
fixed moment, for tests of what the services check and whom they tell.

The clock of `lti_tool.meetings` stands at NOW, Wednesday 24 February 2027: the United States
move their clocks on 14 March, Europe on 28 March, so for two weeks New York is five hours
behind Berlin instead of six. Lena (the mentee) reads times in New York, Mona (the mentor) in
Berlin.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.meetings.localtime import to_utc
from lti_tool.notify.models import Notification
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc

NOW = datetime(2027, 2, 24, 12, tzinfo=UTC)
NEW_YORK, BERLIN = "America/New_York", "Europe/Berlin"


class Clock:
    """A clock the test moves: `clock()` is its time."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Members:
    pair: Pair
    lena: Person  # the mentee, in New York
    mona: Person  # the mentor, in Berlin
    program: Program

    @property
    def page(self) -> str:
        """The pair's meetings page: where meeting e-mails lead."""
        return f"/pairs/{self.pair.id}/meetings"


def in_new_york(day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(day, time(hour, minute), NEW_YORK)


def told(kind: str, person: Person | None = None) -> list[Notification]:
    """The notifications of `kind` (to `person`), oldest first."""
    query = sa.select(Notification).filter_by(kind=kind).order_by(Notification.id)
    if person is not None:
        query = query.filter_by(recipient_id=person.id)
    return list(db.session.scalars(query))


def pending(kind: str, person: Person | None = None) -> list[Notification]:
    return [row for row in told(kind, person) if row.status == "pending"]


def due(row: Notification) -> datetime:
    return as_utc(row.send_after)
