"""One source for the matching figures: the places the mentors page and the matching page
show, the capacities matching uses (services.gather / remaining_capacity) and who waits for
what all come from lti_tool/pairs/figures.py, and agree with each other."""

import re

import sqlalchemy as sa

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.intake import services as intake
from lti_tool.intake.models import Mentor, Profile
from lti_tool.pairs import figures, services
from lti_tool.pairs.models import Pair
from tests.support.staff_lists import grow, staff_of_program


def test_places_left_is_what_matching_may_still_give(app, platform):
    staff, program_id = staff_of_program(app, platform)
    grown = grow(app, program_id, learners=3, mentors=2, paired=0)
    with app.app_context():
        program = db.session.get(Program, program_id)
        mentors = intake.mentors_of(program)
        places = figures.places(mentors)
        cohort = services.gather(program)
        # Capacity 2 each: 4 places, never more than the capacities here.
        assert sum(p.left_here for p in places.values()) == 4
        assert sorted(m.capacity for m in cohort.mentors) == [2, 2]
        assert [services.remaining_capacity(m) for m in mentors] == [2, 2]
    page = staff.get("/matching").data
    assert b"3 learners ready to be matched \xc2\xb7 2 mentors with 4 places left" in page
    mentors_page = staff.get("/mentors").data
    assert b"2 approved mentors \xc2\xb7 4 places left here" in mentors_page
    assert len(grown.mentors) == 2


def test_a_mentor_full_here_shows_full_and_what_is_left_across_courses(app, platform):
    staff, program_id = staff_of_program(app, platform)
    grown = grow(app, program_id, learners=2, mentors=1, paired=1)
    with app.app_context():
        mentor = db.session.scalars(sa.select(Mentor)).one()
        mentor.capacity = 1  # full here with its one pair
        intake.set_pool_capacity(mentor.person, 3)
        db.session.commit()
        place = figures.places_of(mentor)
        assert (place.left_here, place.left_across, place.taken_here) == (0, 2, 1)
        assert services.remaining_capacity(mentor) == 0
    page = staff.get("/mentors").data.decode()
    cell = re.search(r'<td data-label="Places left" class="places">(.*?)</td>', page, re.S)
    text = " ".join(cell.group(1).split())
    assert text.startswith("Full")
    assert "(1 pair here; 2 of 3 left across courses)" in text
    assert "0 places left here" in page
    matching = staff.get("/matching").data
    assert b"with 0 places left" in matching
    assert len(grown.pairs) == 1


def test_waiting_counts_are_the_rows_shown(app, platform):
    staff, program_id = staff_of_program(app, platform)
    grown = grow(app, program_id, learners=6, mentors=2, paired=2)
    with app.app_context():
        # Two learners have not filled the intake: they wait, but cannot be matched yet.
        waiting_ids = grown.learners[2:4]
        for person_id in waiting_ids:
            db.session.delete(db.session.scalars(sa.select(Profile).filter_by(
                person_id=person_id)).one())
        db.session.commit()
        waiting = figures.waiting(db.session.get(Program, program_id))
        assert (len(waiting.ready), len(waiting.learners_without_intake),
                len(waiting.paired), waiting.without_pair) == (2, 2, 2, 4)
    page = staff.get("/matching").data.decode()
    assert "2 learners ready to be matched" in page
    assert "2 learners have not filled the intake yet:" in page
    assert "2 learners already paired." in page


def test_one_learner_is_singular(app, platform):
    staff, program_id = staff_of_program(app, platform)
    grow(app, program_id, learners=1, mentors=1)
    page = staff.get("/matching").data
    assert b"1 learner ready to be matched \xc2\xb7 1 mentor with 2 places left" in page
    assert b"1 learners" not in page


def test_dates_on_the_pages_come_from_babel(app, platform):
    staff, program_id = staff_of_program(app, platform)
    grown = grow(app, program_id, learners=1, mentors=1, paired=1)
    with app.app_context():
        pair = db.session.get(Pair, grown.pairs[0])
        started = pair.started_at
    expected = f"{started:%b} {started.day}, {started.year}".encode()  # "medium", locale en
    assert expected in staff.get("/matching").data
    assert expected in staff.get(f"/matching/pairs/{pair.id}").data
