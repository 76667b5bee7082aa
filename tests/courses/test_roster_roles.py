"""Roles that hold in Moodle: launches decide a person's role; the roster (NRPS, served by the
platform double over loopback HTTP) adds people and raises roles but never lowers a launch's
staff role, as Moodle lists non-editing teachers as Learner while launching them as
Instructor. A platform's role mapping makes such teachers mentors, on that platform only."""

import re

import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.intake import services as intake
from lti_tool.intake.models import Mentor
from lti_tool.lti.models import Platform
from lti_tool.pairs.services import gather
from tests.support.platform import PlatformDouble
from tests.support.roles import launched, member, roles, sync


def test_launch_as_instructor_then_roster_listing_learner_keeps_staff(app, platform):
    staff = launched(app, platform, "1", "Instructor", "Iris Instructor")
    teacher = launched(app, platform, "7", "Instructor", "Nora Nonediting")
    platform.members = [member("1", "Instructor"), member("7", "Learner"), member("8")]
    sync(staff)
    assert roles(app) == {"1": ("staff", True), "7": ("staff", True), "8": ("learner", True)}
    launched(app, platform, "7", "Instructor", "Nora Nonediting")  # and back, as Moodle does
    sync(staff)
    assert roles(app)["7"] == ("staff", True)
    assert teacher.get("/roster").status_code == 200  # staff pages stay open to them
    with app.app_context():
        enrolment = db.session.scalars(sa.select(Enrolment).join(Person).where(
            Person.subject == "7")).one()
        assert enrolment.lis_roles == [
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
        assert enrolment.roster_roles == ["Learner"]


def test_roster_adds_raises_and_deactivates_but_a_launch_decides(app, platform):
    staff = launched(app, platform, "1", "Instructor", "Iris Instructor")
    launched(app, platform, "9", "Learner", "Leo Learner")
    launched(app, platform, "12", "Instructor", "Tom Teacher")
    platform.members = [member("1", "Instructor"), member("9", "Instructor"), member("10"),
                        member("11"), member("12", "Instructor")]
    sync(staff)
    assert roles(app) == {"1": ("staff", True), "9": ("staff", True), "10": ("learner", True),
                          "11": ("learner", True), "12": ("staff", True)}
    platform.members = platform.members[:3] + platform.members[4:]  # 11 left the course
    sync(staff)
    assert roles(app)["11"] == ("learner", False)
    # Moodle made Tom a student: his next launch says so, and the roster agrees.
    platform.members[-1] = member("12")
    launched(app, platform, "12", "Learner", "Tom Teacher")
    sync(staff)
    assert roles(app)["12"] == ("learner", True)


def _program(app) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(Program.id)).one()


def _names_in_select(page: str, name: str) -> str:
    match = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    assert match is not None
    return match.group(0)


def test_a_designated_non_editing_teacher_is_listed_once(app, platform):
    """Before, each sync made her a learner and each launch staff again: she waited twice for
    the intake and stood in both never-pair lists."""
    staff = launched(app, platform, "1", "Instructor", "Iris Instructor")
    launched(app, platform, "7", "Instructor", "Nora Nonediting")
    launched(app, platform, "8", "Learner", "Leo Learner")
    platform.members = [member("1", "Instructor"), member("7", "Learner", "Nora Nonediting"),
                        member("8")]
    sync(staff)
    with app.app_context():
        program = db.session.get(Program, _program(app))
        nora = db.session.scalars(sa.select(Person).filter_by(subject="7")).one()
        intake.designate_mentor(program, nora)
        db.session.commit()
        cohort = gather(program)
        waiting = [p.subject for p in cohort.missing_intake]
        assert sorted(waiting) == ["7", "8"]
        assert [e.person.subject for e in intake.mentees_of(program)] == ["8"]
    page = staff.get("/matching").text
    waiting = [p for p in re.findall(r"<p>(.*?)</p>", page, re.S) if "intake" in p]
    assert sum(line.count("Nora Nonediting") for line in waiting) == 1
    assert "Nora Nonediting" not in _names_in_select(page, "mentee_id")
    assert "Nora Nonediting" in _names_in_select(page, "mentor_id")


def _map(app, platform_id: int, mapping: dict[str, str]) -> None:
    with app.app_context():
        db.session.get(Platform, platform_id).role_mapping = mapping
        db.session.commit()


def _platform_id(app, double: PlatformDouble) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(Platform.id).filter_by(
            issuer=double.issuer, client_id=double.client_id)).one()


def test_role_mapping_makes_a_non_editing_teacher_a_mentor(app, platform):
    _map(app, _platform_id(app, platform), {"NonEditingTeacher": "mentor"})
    staff = launched(app, platform, "1", "Instructor", "Iris Instructor")
    teacher = launched(app, platform, "7", "Instructor", "Nora Nonediting")
    assert roles(app)["7"] == ("staff", True)  # one launch cannot tell her from a teacher
    platform.members = [member("1", "Instructor"), member("7", "Learner")]
    sync(staff)
    assert roles(app) == {"1": ("staff", True), "7": ("mentor", True)}
    again = launched(app, platform, "7", "Instructor", "Nora Nonediting")
    assert roles(app)["7"] == ("mentor", True)  # her launches keep it
    assert teacher.get("/roster").status_code == 403
    assert again.get("/intake").status_code == 200  # she can fill the mentor intake
    with app.app_context():
        program = db.session.get(Program, _program(app))
        intake.refresh_mentors(program)
        db.session.commit()
        mentor = db.session.scalars(sa.select(Mentor)).one()
        assert (mentor.person.subject, mentor.source, mentor.approved) == ("7", "lms_role", True)
        assert [p.subject for p in gather(program).missing_intake] == ["7"]


def test_role_mapping_is_per_platform(app, platform):
    other = PlatformDouble(issuer="https://other-moodle.example.test", client_id="OTHER")
    try:
        with app.app_context():
            other.register()
        _map(app, _platform_id(app, platform), {"Instructor": "mentor"})
        launched(app, other, "7", "Instructor", "Olga Other")
        with app.app_context():
            enrolment = db.session.scalars(sa.select(Enrolment)).one()
            assert enrolment.role.value == "staff"
        launched(app, platform, "7", "Instructor", "Nora Nonediting")
        with app.app_context():
            by_platform = {e.course.platform.issuer: e.role.value
                           for e in db.session.scalars(sa.select(Enrolment))}
        assert by_platform == {"https://other-moodle.example.test": "staff",
                               platform.issuer: "mentor"}
    finally:
        other.close()
