"""Check-ins and feedback surveys over HTTP: when they are due, anonymity (staff
cannot learn who answered what from any page), named answers when the program allows them,
themes, staff questions, and refusals."""

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.pairs.models import Pair
from lti_tool.surveys import services
from lti_tool.surveys.models import SurveyReceipt, SurveyResponse
from tests.support.pairs import followed


def age_pair(app, pair_id, days: int, term_days: int | None = None):
    """Pretend the pair was matched `days` ago (and runs `term_days` in all)."""
    with app.app_context():
        pair = db.session.get(Pair, pair_id)
        pair.started_at = pair.started_at - timedelta(days=days)
        if term_days is not None:
            pair.ends_on = pair.started_at.date() + timedelta(days=term_days)
        db.session.commit()


def answer(person, pair_id, rating, comment="", **extra):
    return person.post(f"/pairs/{pair_id}/checkin",
                       {"rating": rating, "comment": comment, **extra},
                       page=f"/pairs/{pair_id}/checkin")


def test_the_first_checkin_comes_a_week_after_the_match(app, pair):
    _, mona, lena, pair_id = pair
    assert b"Nothing to answer right now" in lena.get(f"/pairs/{pair_id}/checkin").data
    age_pair(app, pair_id, 8)
    page = lena.get(f"/pairs/{pair_id}/checkin").data
    assert b"How satisfied are you with your mentoring relationship?" in page
    assert b"Your answers are anonymous" in page
    done = followed(lena, answer(lena, pair_id, 4, "Scheduling across time zones is hard"))
    assert b"Thank you for your answer." in done
    assert b"Nothing to answer right now" in lena.get(f"/pairs/{pair_id}/checkin").data
    assert b"How satisfied" in mona.get(f"/pairs/{pair_id}/checkin").data  # Mona's own


def test_anonymous_answers_cannot_be_traced_to_their_author(app, pair):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 8)
    followed(lena, answer(lena, pair_id, 2, "My mentor rarely replies to messages"))
    followed(mona, answer(mona, pair_id, 5, "Great match"))
    with app.app_context():
        rows = list(db.session.scalars(sa.select(SurveyResponse)))
        assert {r.person_id for r in rows} == {None} and {r.role for r in rows} == {None}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyReceipt)) == 2
    page = staff.get("/surveys").data
    assert b"My mentor rarely replies to messages" in page  # the comment reaches staff
    assert b"Individual answers" not in page
    for name in (b"Lena", b"Mona"):
        assert name not in page.split(b"<main")[1].split(b"Settings")[0]
    assert b"Communication" in page  # grouped by theme


def test_named_answers_when_the_program_is_not_anonymous(app, pair):
    staff, mona, lena, pair_id = pair
    followed(staff, staff.post("/surveys", {"checkin_days": "14"}, page="/surveys"))
    age_pair(app, pair_id, 8)
    page = lena.get(f"/pairs/{pair_id}/checkin").data
    assert b"Program staff see your answers with your name" in page
    followed(lena, answer(lena, pair_id, 3, "Fine"))
    results = staff.get("/surveys").data
    assert b"Individual answers" in results and b"Lena Learner (mentee): 3/5" in results


def test_midpoint_and_final_surveys_with_staff_questions(app, pair):
    staff, mona, lena, pair_id = pair
    followed(staff, staff.post("/surveys/questions",
                               {"text": "How easy was the video tool?", "kind": "scale",
                                "surveys": ["midpoint"]}, page="/surveys"))
    age_pair(app, pair_id, 45, term_days=84)
    page = lena.get(f"/pairs/{pair_id}/checkin").data
    assert b"Mid-point feedback" in page and b"How easy was the video tool?" in page
    bad = answer(lena, pair_id, 4, q_q1="9", q_worked="Our routine")
    assert bad.status_code == 400 and b"Our routine" in bad.data  # the draft survives
    followed(lena, answer(lena, pair_id, 4, q_q1="2", q_worked="Our routine"))
    with app.app_context():
        row = db.session.scalars(sa.select(SurveyResponse)).one()
        assert row.kind == "midpoint" and row.answers == {"q1": 2, "worked": "Our routine"}
    age_pair(app, pair_id, 30, term_days=84)  # day 75 of 84: the end-of-program survey
    assert b"End-of-program feedback" in lena.get(f"/pairs/{pair_id}/checkin").data


def test_refusals(app, platform, pair):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 8)
    no_rating = answer(lena, pair_id, "")
    assert no_rating.status_code == 400 and b"Choose a rating from 1 to 5" in no_rating.data
    assert staff.get(f"/pairs/{pair_id}/checkin").status_code == 403
    assert lena.get("/surveys").status_code == 403
    with app.app_context():
        assert db.session.scalars(sa.select(SurveyResponse)).all() == []


def test_theme_grouping():
    grouped = services.group_by_theme(["The video link never worked", "More structure please",
                                       "Lovely"])
    assert grouped["Technology"] == ["The video link never worked"]
    assert grouped["Structure and guides"] == ["More structure please"]
    assert grouped["Other"] == ["Lovely"]
