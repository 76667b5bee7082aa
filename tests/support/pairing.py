"""People about to be paired, for tests of what the pairing tells them.

`cast(app, platform)`: Iris (staff), Mona (mentor, Berlin, reads German: her launch locale is
"de") and Lena (learner, New York), each signed in, with intakes in their own words: Mona's
bio, Lena's goals and what she asks the program to consider. Mona is free 18-20 h on weekdays,
Lena 12-14 h (the same hours while both zones are on winter or summer time). Otto, a second
learner, has no intake: he is in the course but in no pair.

`publish(app)` proposes and publishes the match as staff's matching page does; `term_weeks`
sets how long the program's pairs run (a short one ends within the fortnight notices are
queued ahead).
"""

from typing import NamedTuple

import sqlalchemy as sa

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.pairs import services as matching
from tests.support.clients import Participant
from tests.support.pairs import hours, person_id, profile

MONA_BIO = "I lead a team of twelve engineers.\nAsk me about first management jobs."
LENA_GOALS = "I want to lead my first project <without> burning out."
LENA_CONSIDER = "I work shifts on Fridays."


class Cast(NamedTuple):
    staff: Participant
    mona: Participant
    lena: Participant
    otto: Participant
    staff_id: int
    mona_id: int
    lena_id: int
    otto_id: int


def cast(app, platform, *, mentee_choice: bool = False, term_weeks: int = 12) -> Cast:
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    mona = Participant(app, platform, "2", "Mentor", "Mona Mentor")
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    otto = Participant(app, platform, "11", "Learner", "Otto Other")
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        program.mentee_choice, program.term_weeks = mentee_choice, term_weeks
        people = {p.subject: p for p in db.session.scalars(sa.select(Person))}
        people["2"].locale = "de"
        mentor = profile(program, people["2"], expertise=["Leadership"], languages=("en", "de"),
                         tz="Europe/Berlin", hours=hours(18, 20), mentor=True)
        mentor.bio = MONA_BIO
        mentee = profile(program, people["10"], topics=["Leadership"], tz="America/New_York",
                         hours=hours(12, 14))
        mentee.goals_text, mentee.preferences = LENA_GOALS, LENA_CONSIDER
        db.session.commit()
    return Cast(staff, mona, lena, otto, *(person_id(app, sub) for sub in ("1", "2", "10", "11")))


def publish(app) -> int:
    """Staff propose and publish; the id of the one pair."""
    with app.test_request_context():
        program = db.session.scalars(sa.select(Program)).one()
        staff = db.session.scalars(sa.select(Person).filter_by(subject="1")).one()
        pairs = matching.publish(matching.propose(program, staff, "optimal"))
        db.session.commit()
        return pairs[0].id
