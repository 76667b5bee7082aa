"""People in a program and the pair they make, for feature tests.

`published_pair(app, platform)` is what the `pair` fixture (tests/conftest.py) returns: Iris
(staff), Mona (mentor, in Berlin, free 18-20 h on weekdays) and Lena (learner, in New York,
free 12-14 h: the same hours in winter, when the zones are six hours apart), each signed in
with a browser of their own, and the id of their published pair. Their intakes are stored and
the match proposed and published through the services, in one transaction, as the intake and
matching pages store them: the same rows, without rendering five pages to get there.

`intake(person, ...)` fills the intake page over HTTP, for tests of what a person does there.
"""

from datetime import timedelta
from typing import NamedTuple

import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.intake import services as intake_services
from lti_tool.intake.models import Profile
from lti_tool.pairs import services as matching
from lti_tool.pairs.models import Pair
from lti_tool.security import audit
from lti_tool.timeutil import utcnow
from tests.support.clients import Participant

WEEKDAYS = range(5)


def hours(first: int, last: int) -> list[tuple[int, int]]:
    """(day, hour) of every weekday from `first` to `last` o'clock: the intake grid's ticks."""
    return [(day, hour) for day in WEEKDAYS for hour in range(first, last)]


def intake(person: Participant, topics=(), expertise=(), languages=("en",),
           tz="Europe/Berlin", hours=((0, 18), (1, 18), (2, 18))):
    """The intake form as the person sends it; returns the response."""
    data = {"topics": list(topics), "expertise": list(expertise), "languages": list(languages),
            "timezone": tz, "modality": "video",
            "availability": [f"{day}-{hour:02d}" for day, hour in hours]}
    return person.post("/intake", data, page="/intake")


def profile(program: Program, person: Person, *, topics=(), expertise=(), languages=("en",),
            tz: str, hours, mentor: bool = False) -> Profile:
    """The intake `intake()` would send, stored as the intake page stores it (a mentor's form
    also states the default capacity of 2 across courses). Flushes."""
    row = Profile(program=program, person=person, topics=list(topics), goals_text="",
                  expertise=list(expertise) if mentor else None, languages=list(languages),
                  timezone=tz, availability=_slots(hours), modality="video", preferences="",
                  volunteers_to_mentor=False, answers={}, completed_at=utcnow())
    db.session.add(row)
    db.session.flush()
    if mentor:
        intake_services.set_pool_capacity(person, 2)
    return row


def _slots(ticked) -> list[list[int]]:
    """The grid's ticked hours as the intake stores them: sorted [day, minute] half hours."""
    return sorted([day, hour * 60 + half] for day, hour in set(ticked) for half in (0, 30))


class PublishedPair(NamedTuple):
    staff: Participant
    mona: Participant
    lena: Participant
    pair_id: int


def published_pair(app, platform) -> PublishedPair:
    """Iris, Mona and Lena signed in; Mona and Lena's intakes stored; Iris proposes (optimal)
    and publishes their match."""
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    mona = Participant(app, platform, "2", "Mentor", "Mona Mentor")
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        program = db.session.scalars(sa.select(Program)).one()
        people = {p.subject: p for p in db.session.scalars(sa.select(Person))}
        profile(program, people["2"], expertise=["Leadership"], tz="Europe/Berlin",
                hours=hours(18, 20), mentor=True)
        profile(program, people["10"], topics=["Leadership"], tz="America/New_York",
                hours=hours(12, 14))
        iris = db.session.scalars(sa.select(Enrolment).filter_by(person=people["1"])).one()
        run = matching.propose(program, people["1"], "optimal")
        pairs = matching.publish(run)
        audit.record("matching.published", actor=iris, program=program, target=f"run:{run.id}",
                     pairs=len(pairs), policy=run.policy)
        db.session.commit()
        return PublishedPair(staff, mona, lena, pairs[0].id)


def person_id(app, sub: str) -> int:
    """The id of the person whose LTI subject is `sub`."""
    with app.app_context():
        return db.session.scalars(sa.select(Person.id).filter_by(subject=sub)).one()


def followed(person: Participant, response) -> bytes:
    """The page a form's 303 leads to, as the person's browser follows it."""
    assert response.status_code == 303, response.data[:500]
    return person.client.get(response.headers["Location"]).data


def age_pair(app, pair_id: int, days: int) -> None:
    """The pair started `days` days earlier than it did."""
    with app.app_context():
        pair = db.session.get(Pair, pair_id)
        pair.started_at = pair.started_at - timedelta(days=days)
        db.session.commit()
