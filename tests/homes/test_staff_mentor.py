"""Staff whom the program's staff designate as mentors (a teaching assistant who launches as
staff, without a role mapping): their staff home says they mentor too, they fill the mentor
intake, and they reach the workspace of the pairs they mentor. Other staff still cannot open
the intake."""

import sqlalchemy as sa

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.intake import services as intake_services
from lti_tool.intake.models import Profile
from lti_tool.pairs import services as matching
from tests.support.clients import Participant
from tests.support.pairs import hours, intake, person_id, profile


def test_a_designated_staff_mentor_fills_the_intake_and_mentors(app, platform):
    iris = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    tara = Participant(app, platform, "3", "Instructor", "Tara Assistant")
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    assert tara.get("/intake").status_code == 403  # not a mentor yet
    assert b"You mentor in this program too" not in tara.get("/").data
    done = iris.post("/mentors/designate", {"person_id": str(person_id(app, "3"))},
                     page="/mentors")
    assert done.status_code == 303

    home = tara.get("/").get_data(as_text=True)
    assert "You mentor in this program too" in home and "Fill your mentor intake" in home
    form = tara.get("/intake").get_data(as_text=True)
    assert 'name="expertise"' in form and 'name="capacity"' in form  # the mentor's questions
    saved = intake(tara, expertise=["Leadership"], hours=hours(18, 20))
    assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
    with app.app_context():
        assert db.session.scalars(sa.select(Profile).filter_by(
            person_id=person_id(app, "3"))).one().expertise == ["Leadership"]

    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        program = db.session.scalars(sa.select(Program)).one()
        people = {p.subject: p for p in db.session.scalars(sa.select(Person))}
        profile(program, people["10"], topics=["Leadership"], tz="Europe/Berlin",
                hours=hours(18, 20))
        pairs = matching.publish(matching.propose(program, people["1"], "optimal"))
        assert [(p.mentee.subject, p.mentor.subject) for p in pairs] == [("10", "3")]
        pair_id = pairs[0].id
        db.session.commit()
    home = tara.get("/").get_data(as_text=True)
    assert "Your mentee: Lena Learner" in home and "Edit your mentor intake" in home
    assert f'href="/pairs/{pair_id}?pw=' in home
    assert tara.get(f"/pairs/{pair_id}").status_code == 200  # a member, though staff
    assert lena.get(f"/pairs/{pair_id}").status_code == 200


def test_staff_who_mentor_nobody_cannot_open_the_intake(app, platform):
    Participant(app, platform, "1", "Instructor", "Iris Instructor")
    tara = Participant(app, platform, "3", "Instructor", "Tara Assistant")
    with app.app_context():
        assert intake_services.mentor_row(db.session.scalars(sa.select(Program)).one(),
                                          db.session.get(Person, person_id(app, "3"))) is None
    assert tara.get("/intake").status_code == 403
    assert intake(tara, expertise=["Leadership"]).status_code == 403
