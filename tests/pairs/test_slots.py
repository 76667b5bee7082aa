"""Suggested weekly slots in the matching workflow: one mentor's mentees are offered different
times when they share more than one, and staff are told plainly when they cannot be."""

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.pairs.models import MatchRun
from lti_tool.pairs.services import SHARED_SLOT_NOTE
from tests.support.clients import Participant
from tests.support.pairs import intake


@pytest.fixture
def people(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    mentor = Participant(app, platform, "2", "Mentor", "Mona Mentor")
    learners = [Participant(app, platform, str(n), "Learner", f"Learner{n} Person")
                for n in (10, 11)]
    return staff, mentor, learners


def proposed_slots(app, staff, people_hours, mentor, learners):
    intake(mentor, expertise=["Leadership"], hours=people_hours)
    for learner in learners:
        intake(learner, topics=["Leadership"], hours=people_hours)
    assert staff.post("/matching/propose", {"policy": "optimal"},
                      page="/matching").status_code == 303
    with app.app_context():
        run = db.session.scalars(sa.select(MatchRun).filter_by(status="draft")).one()
        assert len(run.proposals) == 2
        return [(p.slot, p.explanation) for p in run.proposals]


def test_two_common_hours_give_the_two_mentees_different_slots(app, people):
    staff, mentor, learners = people
    proposals = proposed_slots(app, staff, ((0, 18), (1, 18)), mentor, learners)
    assert len({slot["start_utc"] for slot, _ in proposals}) == 2
    assert {slot["mentee_local"] for slot, _ in proposals} == {
        "Mondays 18:00 (Europe/Berlin)", "Tuesdays 18:00 (Europe/Berlin)"}
    assert not any(slot.get("shared") for slot, _ in proposals)
    assert not any(SHARED_SLOT_NOTE in why for _, why in proposals)


def test_one_common_hour_is_given_to_both_and_staff_are_told(app, people):
    staff, mentor, learners = people
    proposals = proposed_slots(app, staff, ((0, 18),), mentor, learners)
    assert len({slot["start_utc"] for slot, _ in proposals}) == 1
    assert sorted(bool(slot.get("shared")) for slot, _ in proposals) == [False, True]
    assert sum(SHARED_SLOT_NOTE in why for _, why in proposals) == 1
    page = staff.get("/matching").get_data(as_text=True)
    assert "also suggested for another of this mentor&#39;s mentees" in page


def test_assigning_by_hand_avoids_the_mentors_other_proposed_time(app, people):
    staff, mentor, learners = people
    both = ((0, 18), (1, 18))
    intake(mentor, expertise=["Leadership"], hours=both)
    intake(learners[0], topics=["Leadership"], hours=both)
    staff.post("/matching/propose", {"policy": "optimal"}, page="/matching")
    intake(learners[1], topics=["Leadership"], hours=both)  # too late for the proposal
    with app.app_context():
        run = db.session.scalars(sa.select(MatchRun).filter_by(status="draft")).one()
        run_id, mentor_id = run.id, run.proposals[0].mentor_id
        late = db.session.scalars(sa.select(Person.id).filter_by(name="Learner11 Person")).one()
    staff.post(f"/matching/{run_id}/assign", {"mentee_id": late, "mentor_id": mentor_id},
               page="/matching")
    with app.app_context():
        run = db.session.get(MatchRun, run_id)
        starts = {p.mentee_id: p.slot["start_utc"] for p in run.proposals}
    assert len(starts) == 2 and len(set(starts.values())) == 2
