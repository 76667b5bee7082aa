"""The intake's texts and who reads them: a mentor writes a short bio (bounded, mentors only)
that learners see with their expertise, languages and local time on the cards of mentee
choice; the page says truthfully who sees what."""

import json

import sqlalchemy as sa

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.intake.forms import BIO_LIMIT
from lti_tool.intake.models import Profile
from tests.support.clients import Participant
from tests.support.introductions import send_intake

SCRIPT = "<script>alert('x')</script>"


def _people(app, platform):
    mona = Participant(app, platform, "2", "Mentor", "Mona Mentor")
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    return mona, lena


def _profile(app, subject_id: int) -> Profile:
    with app.app_context():
        row = db.session.scalars(sa.select(Profile).filter_by(person_id=subject_id)).one()
        db.session.expunge(row)
        return row


def _mentee_choice(app) -> None:
    with app.app_context():
        db.session.scalars(sa.select(Program)).one().mentee_choice = True
        db.session.commit()


def test_a_mentor_writes_a_bio_within_the_limit(app, platform):
    mona, _ = _people(app, platform)
    form = mona.get("/intake").data
    assert b"About you, for mentees (optional)" in form and b'name="bio"' in form
    too_long = send_intake(mona, expertise=["Leadership"], bio="x" * (BIO_LIMIT + 1))
    assert too_long.status_code == 400
    assert f"Keep it under {BIO_LIMIT} characters.".encode() in too_long.data
    assert b"x" * (BIO_LIMIT + 1) in too_long.data  # what was typed comes back
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Profile)) == 0
    saved = send_intake(mona, expertise=["Leadership"], bio=f"  Logistics {SCRIPT}\n")
    assert saved.status_code == 303
    with app.app_context():
        [row] = db.session.scalars(sa.select(Profile)).all()
        assert row.bio == f"Logistics {SCRIPT}"
    assert b"Logistics &lt;script&gt;" in mona.get("/intake").data  # kept, escaped
    download = json.loads(mona.get("/privacy/download").data)  # "Your data" holds it too
    assert download["intake"][0]["bio"] == f"Logistics {SCRIPT}"


def test_a_learner_has_no_bio(app, platform):
    _, lena = _people(app, platform)
    assert b'name="bio"' not in lena.get("/intake").data
    assert send_intake(lena, topics=["Leadership"], bio="Sneaked in").status_code == 303
    with app.app_context():
        assert db.session.scalars(sa.select(Profile)).one().bio == ""


def test_the_intake_says_who_sees_what(app, platform):
    mona, lena = _people(app, platform)
    learner_view = lena.get("/intake").data
    assert b"Only the program&#39;s staff and the matching see them" not in learner_view
    assert b"Who sees what" in learner_view
    assert b"They do not see the texts you write here." in learner_view
    assert b"Your mentor sees what you want to work on, your goals in your own words" \
        in learner_view
    assert b"Your mentor reads this; program staff do not" in learner_view  # by the fields
    assert b"Mentees see your mentor profile" not in learner_view
    mentor_view = mona.get("/intake").data
    assert b"Your mentees see your mentor profile once you are paired" in mentor_view
    assert b"They see how many mentees you can take." in mentor_view
    assert b"Your mentor sees what you want" not in mentor_view
    _mentee_choice(app)
    assert b"Learners choosing a mentor, and your mentees once you are paired, see your " \
        b"mentor profile" in mona.get("/intake").data


def test_choice_cards_show_the_mentor_profile(app, platform):
    mona, lena = _people(app, platform)
    _mentee_choice(app)
    assert send_intake(mona, expertise=["Leadership", "Career paths"], languages=["en", "es"],
                       bio=f"Twenty years in logistics {SCRIPT}").status_code == 303
    assert send_intake(lena, topics=["Leadership"]).status_code == 303
    home = lena.get("/").data
    assert b"Mentors recommended for you" in home
    card = home[home.index(b"Mentors recommended for you"):]
    assert b"Twenty years in logistics &lt;script&gt;" in card and SCRIPT.encode() not in home
    assert b"Can help with</dt><dd>Leadership, Career paths" in card
    assert b"Languages</dt><dd>English, Spanish" in card
    assert b"Time zone</dt><dd>Europe/Berlin (now " in card
