"""What the intake tells the other member of a pair, for workspace and intake tests: a
person's intake texts changed in place (`describe`), and a second pair in the same program
(`second_pair`: Mateo mentors Luis) whose members must not read the first pair's."""

import sqlalchemy as sa

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.intake.models import Profile
from lti_tool.pairs.models import Pair
from tests.support.clients import Participant
from tests.support.pairs import hours, profile


def describe(app, sub: str, **values) -> None:
    """Set fields of the intake of the person whose LTI subject is `sub` (the one program)."""
    with app.app_context():
        person = db.session.scalars(sa.select(Person).filter_by(subject=sub)).one()
        row = db.session.scalars(sa.select(Profile).filter_by(person_id=person.id)).one()
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


def set_person(app, sub: str, **values) -> None:
    """Set fields of the person (locale, e-mail...) whose LTI subject is `sub`."""
    with app.app_context():
        person = db.session.scalars(sa.select(Person).filter_by(subject=sub)).one()
        for name, value in values.items():
            setattr(person, name, value)
        db.session.commit()


def second_pair(app, platform, goals_text: str = "Luis wants to learn Rust"
                ) -> tuple[Participant, Participant, int]:
    """Mateo (mentor, Madrid) and Luis (learner, Madrid), signed in, with their intakes and an
    active pair of their own: (mateo, luis, pair id)."""
    mateo = Participant(app, platform, "3", "Mentor", "Mateo Mentor")
    luis = Participant(app, platform, "11", "Learner", "Luis Learner")
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        people = {p.subject: p for p in db.session.scalars(sa.select(Person))}
        profile(program, people["3"], expertise=["Leadership"], tz="Europe/Madrid",
                hours=hours(12, 14), mentor=True)
        mentee = profile(program, people["11"], topics=["Leadership"], tz="Europe/Madrid",
                         hours=hours(12, 14))
        mentee.goals_text = goals_text
        pair = Pair(program=program, mentee=people["11"], mentor=people["3"],
                    explanation="1 shared goal (Leadership)")
        db.session.add(pair)
        db.session.commit()
        return mateo, luis, pair.id


def send_intake(person: Participant, *, topics=(), expertise=(), languages=("en",),
                tz: str = "Europe/Berlin", **texts):
    """The intake form as `tests.support.pairs.intake` sends it, with texts besides (bio,
    goals_text, preferences); returns the response."""
    data = {"topics": list(topics), "expertise": list(expertise), "languages": list(languages),
            "timezone": tz, "modality": "video", "availability": ["0-18", "1-18", "2-18"],
            **texts}
    return person.post("/intake", data, page="/intake")
