"""After publishing: a relationship's term, extending it, ending it with or without a
never-pair rule, rematching with the previous mentor; staff's never-pair list; and LMS groups
(read from the launch's substituted custom parameter) driving the group rule."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.pairs.models import AvoidedPair, MatchRun, Pair
from tests.support.clients import Participant
from tests.support.pairs import followed, intake, person_id
from tests.support.platform import LTI


def publish(app, staff) -> None:
    staff.post("/matching/propose", {"policy": "optimal"}, page="/matching")
    with app.app_context():
        run_id = db.session.scalars(sa.select(MatchRun).filter_by(status="draft")).one().id
    staff.post(f"/matching/{run_id}/publish", {"confirmed": "yes"}, page="/matching")


@pytest.fixture
def paired(app, platform):
    """One mentor and one learner, published as a pair."""
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    mentor = Participant(app, platform, "2", "Mentor", "Mona Mentor")
    learner = Participant(app, platform, "10", "Learner", "Lena Learner")
    intake(mentor, expertise=["Leadership"])
    intake(learner, topics=["Leadership"])
    publish(app, staff)
    with app.app_context():
        pair = db.session.scalars(sa.select(Pair)).one()
        return staff, mentor, learner, pair.id


def test_a_published_pair_runs_for_the_programs_term(app, paired):
    _, _, learner, pair_id = paired
    with app.app_context():
        pair = db.session.get(Pair, pair_id)
        assert pair.ends_on == pair.started_at.date() + timedelta(weeks=12)
        due = pair.ends_on
    assert f"runs until {due.day} {due:%B %Y}".encode() in learner.get("/").data


def test_staff_extend_a_pair_and_the_history_is_kept(app, paired):
    staff, mentor, _, pair_id = paired
    with app.app_context():
        due = db.session.get(Pair, pair_id).ends_on
    later = due + timedelta(weeks=6)
    page = followed(staff, staff.post(f"/pairs/{pair_id}/extend",
                                      {"until": later.isoformat(), "note": "second project"},
                                      page="/matching"))
    assert f"now runs until {later:%b} {later.day}, {later.year}".encode() in page  # Babel
    assert b"extended 1" in page
    with app.app_context():
        pair = db.session.get(Pair, pair_id)
        assert pair.ends_on == later
        assert pair.extensions[0]["from"] == due.isoformat()
        assert pair.extensions[0]["note"] == "second project"

    earlier = followed(staff, staff.post(f"/pairs/{pair_id}/extend",
                                         {"until": due.isoformat()}, page="/matching"))
    assert f"Choose a date after {later.isoformat()}".encode() in earlier
    too_far = date.today() + timedelta(weeks=200)
    refused = followed(staff, staff.post(f"/pairs/{pair_id}/extend",
                                         {"until": too_far.isoformat()}, page="/matching"))
    assert b"at most 104 weeks ahead" in refused
    empty = followed(staff, staff.post(f"/pairs/{pair_id}/extend", {"until": ""},
                                       page="/matching"))
    assert b"Continue until:" in empty
    with app.app_context():
        assert db.session.get(Pair, pair_id).ends_on == later  # nothing half-saved
    # Only staff extend.
    assert mentor.post(f"/pairs/{pair_id}/extend", {"until": later.isoformat()},
                       page="/intake").status_code == 403


def test_ending_early_can_forbid_the_same_pair_and_staff_can_pair_them_again(app, paired):
    staff, mentor, learner, pair_id = paired
    followed(staff, staff.post(f"/pairs/{pair_id}/end",
                               {"confirmed": "yes", "status": "ended", "reason": "no chemistry",
                                "avoid_again": "y"},
                               page="/matching"))
    with app.app_context():
        rule = db.session.scalars(sa.select(AvoidedPair)).one()
        assert "no chemistry" in rule.reason
    # The next proposal may not put them together again: the only mentor is ruled out.
    page = followed(staff, staff.post("/matching/propose", {"policy": "optimal"},
                                      page="/matching"))
    assert b"asked not to be paired" in page or b"No pairs could be proposed" in page
    with app.app_context():
        run = db.session.scalars(sa.select(MatchRun).filter_by(status="draft")).one()
        assert run.proposals == []

    # The mentee asks for the same mentor after all: staff pair them again.
    page = followed(staff, staff.post(f"/pairs/{pair_id}/rematch", page="/matching"))
    assert b"is paired with Mona Mentor again" in page
    with app.app_context():
        new = db.session.scalars(sa.select(Pair).filter_by(status="active")).one()
        assert new.previous_pair_id == pair_id and new.ends_on is not None
        assert db.session.scalars(sa.select(AvoidedPair)).all() == []  # the rule is lifted
    assert b"Your mentor: Mona Mentor" in learner.get("/").data
    twice = followed(staff, staff.post(f"/pairs/{pair_id}/rematch", page="/matching"))
    assert b"already has a mentor" in twice


def test_rematch_needs_a_place_with_the_mentor(app, platform, paired):
    staff, mentor, lena, pair_id = paired
    followed(staff, staff.post(f"/pairs/{pair_id}/end", {"confirmed": "yes", "status": "completed"},
                               page="/matching"))
    other = Participant(app, platform, "11", "Learner", "Luis Learner")
    intake(other, topics=["Leadership"])
    # Lena, unpaired again, now wants another topic: Luis is Mona's better match. With the
    # same answers the two tied for Mona's one place, and which one took it depended on the
    # order the database returned them (PostgreSQL moves a row when it is updated).
    intake(lena, topics=["Study skills"])
    with app.app_context():
        from lti_tool.intake.models import Mentor
        row = db.session.scalars(sa.select(Mentor)).one()
        row.capacity = 1
        db.session.commit()
    publish(app, staff)  # Luis takes Mona's only place
    page = followed(staff, staff.post(f"/pairs/{pair_id}/rematch", page="/matching"))
    assert b"has no place left" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pair).filter_by(
            status="active")) == 1


def test_staff_never_pair_list(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    mona = Participant(app, platform, "2", "Mentor", "Mona Mentor")
    mateo = Participant(app, platform, "3", "Mentor", "Mateo Mentor")
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    intake(mona, expertise=["Leadership"])
    intake(mateo, expertise=["Study skills"])
    intake(lena, topics=["Leadership"])  # Mona is by far her best match
    lena_id, mona_id = person_id(app, "10"), person_id(app, "2")
    page = followed(staff, staff.post("/matching/avoid", {"mentee_id": lena_id,
                                                          "mentor_id": mona_id,
                                                          "reason": "relatives"},
                                      page="/matching"))
    assert b"will not be proposed together" in page and b"relatives" in page
    duplicate = followed(staff, staff.post("/matching/avoid", {"mentee_id": lena_id,
                                                               "mentor_id": mona_id},
                                           page="/matching"))
    assert b"already exists" in duplicate
    publish(app, staff)
    with app.app_context():
        pair = db.session.scalars(sa.select(Pair)).one()
        assert (pair.mentee_id, pair.mentor_id) == (lena_id, person_id(app, "3"))
        rule_id = db.session.scalars(sa.select(AvoidedPair.id)).one()
    # A learner cannot touch the list; another course's staff cannot see this rule.
    assert lena.post("/matching/avoid", {"mentee_id": lena_id, "mentor_id": mona_id},
                     page="/intake").status_code == 403
    other = Participant(app, platform, "50", "Instructor", "Olga Other",
                        context={"id": "other-course", "title": "Elsewhere"})
    assert other.post(f"/matching/avoid/{rule_id}/remove",
                      page="/matching").status_code == 404
    stranger = followed(other, other.post("/matching/avoid", {"mentee_id": lena_id,
                                                              "mentor_id": mona_id},
                                          page="/matching"))
    assert b"must be members of this course" in stranger
    removed = followed(staff, staff.post(f"/matching/avoid/{rule_id}/remove", page="/matching"))
    assert b"The rule was removed" in removed


def launch_with_groups(app, platform, sub, role, name, groups):
    """A real signed launch whose substituted custom claim carries the groups and the
    profile's time zone: the groups are what this file tests, from the launch they come in."""
    return Participant(app, platform, sub, role, name, launch=True, **{
        LTI + "custom": {"pairwise_groups": groups, "pairwise_timezone": "America/New_York"}})


def test_groups_from_the_launch_drive_the_same_group_rule(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    mona = launch_with_groups(app, platform, "2", "Mentor", "Mona Mentor", "11")
    mateo = launch_with_groups(app, platform, "3", "Mentor", "Mateo Mentor", "12")
    lena = launch_with_groups(app, platform, "10", "Learner", "Lena Learner", "12,13")
    # The LMS profile's zone is the intake's default, instead of the browser's guess.
    form = lena.get("/intake").data
    assert b'value="America/New_York" selected>' in form
    assert b"data-browser-timezone" not in form
    intake(mona, expertise=["Leadership"])
    intake(mateo, expertise=["Study skills"])
    intake(lena, topics=["Leadership"])
    with app.app_context():
        enrolment = db.session.scalars(sa.select(Enrolment).join(Person).filter(
            Person.subject == "10")).one()
        assert enrolment.groups == ["12", "13"]
        assert enrolment.person.timezone == "America/New_York"
        program = db.session.scalars(sa.select(Program)).one()
        program.constraints = {**(program.constraints or {}), "group_rule": "same"}
        db.session.commit()
    publish(app, staff)
    with app.app_context():
        pair = db.session.scalars(sa.select(Pair)).one()
        assert pair.mentor_id == person_id(app, "3")  # Mateo shares group 12; Mona does not


def test_unexpanded_or_missing_groups_are_unknown_not_empty(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    launch_with_groups(app, platform, "10", "Learner", "Lena Learner",
                       "$Moodle.Person.userGroupIds")
    learner = Participant(app, platform, "11", "Learner", "Luis Learner")
    intake(learner, topics=["Leadership"])
    with app.app_context():
        rows = {e.person.subject: e.groups for e in db.session.scalars(sa.select(Enrolment))}
        assert rows["10"] is None and rows["11"] is None
        program = db.session.scalars(sa.select(Program)).one()
        program.constraints = {**(program.constraints or {}), "group_rule": "same"}
        db.session.commit()
    page = staff.get("/matching").data
    assert b"has not told Pairwise the groups of Luis Learner" in page
