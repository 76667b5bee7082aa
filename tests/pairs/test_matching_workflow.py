"""The matching workflow over HTTP: intake on first launch, mentors from LMS
roles and staff designation, propose → lock / assign / leave out → re-run → publish, and
participants seeing their match only after publishing. Plus isolation between courses."""

import re
from collections import Counter

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.intake.models import Mentor, Profile
from lti_tool.pairs.models import MatchRun, Pair
from tests.support.clients import Participant
from tests.support.pairs import intake


@pytest.fixture
def program(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    mentors = [Participant(app, platform, "2", "Mentor", "Mona Mentor"),
               Participant(app, platform, "3", "Mentor", "Mateo Mentor")]
    learners = [Participant(app, platform, str(n), "Learner", f"Learner{n} Person")
                for n in range(10, 13)]
    return staff, mentors, learners


def test_first_launch_leads_to_the_intake(program):
    _, _, learners = program
    home = learners[0].get("/")
    assert home.status_code == 303 and "/intake" in home.headers["Location"]
    page = learners[0].get("/intake")
    assert b"Tell us about yourself" in page.data
    assert b'data-browser-timezone' in page.data  # pre-filled from the browser


def test_incomplete_intake_is_refused_and_kept(app, program):
    _, _, learners = program
    response = intake(learners[0], topics=["Leadership"], languages=())
    assert response.status_code == 400
    assert b"Choose at least one language." in response.data
    # What the person ticked survives the failed save.
    assert re.search(rb'<input checked[^>]*name="topics"[^>]*value="Leadership"', response.data)
    assert re.search(rb'value="0-18"[^>]*checked', response.data)
    none = intake(learners[0], topics=[], hours=())
    assert b"Choose at least one topic." in none.data
    assert b"Tick at least 1 hour" in none.data
    with app.app_context():
        assert db.session.scalars(sa.select(Profile)).all() == []


def test_the_whole_workflow(app, program):
    staff, mentors, learners = program
    for mentor in mentors:
        assert intake(mentor, expertise=["Leadership", "Career paths"]).status_code == 303
    for learner in learners:
        assert intake(learner, topics=["Leadership"]).status_code == 303
    with app.app_context():
        sources = {m.source for m in db.session.scalars(sa.select(Mentor))}
    page = staff.get("/matching")
    assert page.status_code == 200
    assert b"3 learners ready to be matched" in page.data
    with app.app_context():
        assert {m.source for m in db.session.scalars(sa.select(Mentor))} == {"lms_role"}
    assert sources <= {"lms_role"}

    proposed = staff.post("/matching/propose", {"policy": "optimal"}, page="/matching")
    assert proposed.status_code == 303
    review = staff.get("/matching")
    assert b"Proposed 3 pairs" in review.data
    assert b"Learner10 Person" in review.data and b"Mona Mentor" in review.data
    # Participants do not see anything before publishing.
    assert b"Your mentor" not in learners[0].get("/").data

    with app.app_context():
        run = db.session.scalars(sa.select(MatchRun).filter_by(status="draft")).one()
        # A mentee whose mentor has another mentee, so that the other mentor still has room
        # (which of the equally good matchings the solver returns is not promised).
        loads = Counter(p.mentor_id for p in run.proposals)
        first = next(p for p in run.proposals if loads[p.mentor_id] > 1)
        run_id, proposal_id, mentee_id = run.id, first.id, first.mentee_id
        other_mentor = next(p.mentor_id for p in run.proposals
                            if p.mentor_id != first.mentor_id)
    staff.post(f"/matching/proposals/{proposal_id}/lock", page="/matching")
    staff.post(f"/matching/{run_id}/assign", {"mentee_id": mentee_id,
                                              "mentor_id": other_mentor}, page="/matching")
    rerun = staff.post(f"/matching/{run_id}/rerun", page="/matching")
    assert rerun.status_code == 303
    with app.app_context():
        run = db.session.scalars(sa.select(MatchRun).filter_by(status="draft")).one()
        kept = next(p for p in run.proposals if p.mentee_id == mentee_id)
        assert kept.mentor_id == other_mentor and kept.locked
        run_id = run.id

    published = staff.post(f"/matching/{run_id}/publish", {"confirmed": "yes"}, page="/matching")
    assert published.status_code == 303
    assert b"Published 3 pairs" in staff.get("/matching").data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pair)) == 3
    home = learners[0].get("/")
    assert b"Your mentor:" in home.data and b"Why you were matched" in home.data
    assert any(b"Your mentee:" in mentor.get("/").data for mentor in mentors)
    again = staff.post(f"/matching/{run_id}/publish", {"confirmed": "yes"}, page="/matching")
    assert b"already published" in staff.client.get(again.headers["Location"]).data


def test_propose_without_mentors_says_why(app, program):
    staff, _, learners = program
    intake(learners[0], topics=["Leadership"])
    staff.post("/matching/propose", {"policy": "optimal"}, page="/matching")
    page = staff.get("/matching")
    assert b"No approved mentor with a completed intake yet" in page.data
    with app.app_context():
        assert db.session.scalars(sa.select(MatchRun)).all() == []


def test_participants_cannot_reach_staff_matching(program):
    _, mentors, learners = program
    for person in (mentors[0], learners[0]):
        assert person.get("/matching").status_code == 403
        assert person.get("/mentors").status_code == 403


def test_staff_of_another_course_cannot_touch_this_run(app, platform, program):
    staff, mentors, learners = program
    intake(mentors[0], expertise=["Leadership"])
    intake(learners[0], topics=["Leadership"])
    staff.post("/matching/propose", {"policy": "optimal"}, page="/matching")
    with app.app_context():
        run_id = db.session.scalars(sa.select(MatchRun)).one().id
    outsider = Participant(app, platform, "99", "Instructor", "Other Staff",
                           context={"id": "other", "title": "Another course"})
    assert outsider.get("/matching").status_code == 200
    response = outsider.post(f"/matching/{run_id}/publish", {"confirmed": "yes"}, page="/matching")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(MatchRun, run_id).status == "draft"


def test_staff_designate_and_approve_volunteers(app, program):
    staff, _, learners = program
    intake(learners[0], topics=["Leadership"])
    learners[1].post("/intake", {"topics": ["Leadership"], "expertise": [], "languages": ["en"],
                                 "timezone": "UTC", "modality": "video",
                                 "availability": ["0-10"], "volunteers_to_mentor": "y"},
                     page="/intake")
    page = staff.get("/mentors")
    assert b"Waiting for approval" in page.data  # the volunteer
    with app.app_context():
        volunteer = db.session.scalars(sa.select(Mentor).filter_by(source="volunteer")).one()
        assert not volunteer.approved
        volunteer_id = volunteer.id
        learner_person = db.session.scalars(sa.select(Profile)).first().person_id
    staff.post(f"/mentors/{volunteer_id}/approve", page="/mentors")
    staff.post("/mentors/designate", {"person_id": learner_person}, page="/mentors")
    with app.app_context():
        assert db.session.get(Mentor, volunteer_id).approved
        designated = db.session.scalars(sa.select(Mentor).filter_by(source="designated")).one()
        assert designated.person_id == learner_person
    refused = staff.post(f"/mentors/{volunteer_id}/capacity", {"capacity": 99}, page="/mentors")
    assert refused.status_code in (303, 400)
    with app.app_context():
        assert db.session.get(Mentor, volunteer_id).capacity == 2


def test_ending_a_pair_keeps_history_and_frees_the_mentee(app, program):
    staff, mentors, learners = program
    intake(mentors[0], expertise=["Leadership"])
    intake(learners[0], topics=["Leadership"])
    staff.post("/matching/propose", {"policy": "stable"}, page="/matching")
    with app.app_context():
        run_id = db.session.scalars(sa.select(MatchRun)).one().id
    staff.post(f"/matching/{run_id}/publish", {"confirmed": "yes"}, page="/matching")
    with app.app_context():
        pair_id = db.session.scalars(sa.select(Pair)).one().id
    ended = staff.post(f"/pairs/{pair_id}/end", {"confirmed": "yes", "status": "ended",
                                                  "reason": "moved abroad"}, page="/matching")
    assert ended.status_code == 303
    page = staff.get("/matching")
    assert b"ended early" in page.data and b"moved abroad" in page.data
    assert b"1 learner ready to be matched" in page.data  # back in the pool
    assert b"Your mentor:" not in learners[0].get("/").data
    again = staff.post(f"/pairs/{pair_id}/end", {"confirmed": "yes", "status": "ended"},
                       page="/matching")
    assert b"already ended" in staff.client.get(again.headers["Location"]).data
    learner_end = learners[0].post(f"/pairs/{pair_id}/end", {"confirmed": "yes",
                                                             "status": "ended"}, page="/intake")
    assert learner_end.status_code == 403


def test_mentee_choice_request_and_answer(app, program):
    from lti_tool.courses.models import Program
    from lti_tool.pairs.models import MentorRequest

    staff, mentors, learners = program
    with app.app_context():
        prog = db.session.scalars(sa.select(Program)).one()
        prog.mentee_choice = True
        db.session.commit()
    intake(mentors[0], expertise=["Leadership"])
    intake(mentors[1], expertise=["Career paths"], languages=("es",))  # not a fit: no language
    intake(learners[0], topics=["Leadership"])
    home = learners[0].get("/")
    assert b"Mentors recommended for you" in home.data
    assert b"Mona Mentor" in home.data and b"Mateo Mentor" not in home.data
    with app.app_context():
        mona = db.session.scalars(sa.select(Mentor)).first().person_id
    asked = learners[0].post("/requests", {"mentor_id": mona, "message": "Hello <b>Mona</b>"},
                             page="/intake")
    assert asked.status_code == 303
    assert b"waiting for an answer" in learners[0].get("/").data
    twice = learners[0].post("/requests", {"mentor_id": mona}, page="/intake")
    assert b"Wait for the answer" in learners[0].client.get(twice.headers["Location"]).data
    mentor_home = mentors[0].get("/")
    assert b"Mentees asking for you" in mentor_home.data
    assert b"Hello &lt;b&gt;Mona&lt;/b&gt;" in mentor_home.data  # escaped, never markup
    with app.app_context():
        request_id = db.session.scalars(sa.select(MentorRequest)).one().id
    # Another mentor cannot answer it.
    wrong = mentors[1].post(f"/requests/{request_id}/answer", {"accept": "yes"}, page="/intake")
    assert b"no longer waiting" in mentors[1].client.get(wrong.headers["Location"]).data
    accepted = mentors[0].post(f"/requests/{request_id}/answer", {"accept": "yes"},
                               page="/intake")
    assert accepted.status_code == 303
    assert b"Your mentor: Mona Mentor" in learners[0].get("/").data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pair)) == 1


def test_a_mentor_sets_one_capacity_across_courses(app, platform, program):
    from lti_tool.courses.models import Person
    from lti_tool.intake.models import MentorPool

    _, mentors, _ = program
    mentors[0].post("/intake", {"expertise": ["Leadership"], "languages": ["en"],
                                "timezone": "UTC", "modality": "video",
                                "availability": ["1-18"], "capacity": "1"}, page="/intake")
    with app.app_context():
        person_id = db.session.scalars(sa.select(Person).filter_by(subject="2")).one().id
        assert db.session.get(MentorPool, person_id).capacity == 1
    assert b'value="1"' in mentors[0].get("/intake").data


def test_the_capacity_a_mentor_states_is_their_place_count_within_bounds(app, program):
    staff, mentors, _ = program
    staff.get("/matching")  # mentors from LMS roles get their program rows (default 2)
    for mentor, stated in zip(mentors, ("4", "9"), strict=True):
        mentor.post("/intake", {"expertise": ["Leadership"], "languages": ["en"],
                                "timezone": "UTC", "modality": "video",
                                "availability": ["1-18"], "capacity": stated}, page="/intake")
    with app.app_context():
        places = {m.person.subject: m.capacity for m in db.session.scalars(sa.select(Mentor))}
    assert places == {"2": 4, "3": 5}  # the program allows at most 5


def test_assigning_someone_who_is_not_a_mentor_is_refused(app, program):
    staff, mentors, learners = program
    intake(mentors[0], expertise=["Leadership"])
    intake(learners[0], topics=["Leadership"])
    intake(learners[1], topics=["Leadership"])
    staff.post("/matching/propose", {"policy": "optimal"}, page="/matching")
    with app.app_context():
        run = db.session.scalars(sa.select(MatchRun)).one()
        run_id, before = run.id, [(p.mentee_id, p.mentor_id) for p in run.proposals]
        mentee_id, other_learner = before[0][0], next(
            p.person_id for p in db.session.scalars(sa.select(Profile))
            if p.person_id != before[0][0] and p.person_id != before[0][1])
    refused = staff.post(f"/matching/{run_id}/assign",
                         {"mentee_id": mentee_id, "mentor_id": other_learner}, page="/matching")
    page = staff.client.get(refused.headers["Location"])
    assert b"Both people must be in the program with a completed intake." in page.data
    with app.app_context():
        run = db.session.get(MatchRun, run_id)
        assert [(p.mentee_id, p.mentor_id) for p in run.proposals] == before
