"""The staff page `/grades` over HTTP: what staff see, override / hold / resend
with the audit log, the rubric form, and who may not look (learners and mentors 403, staff of
another course 404)."""

import re

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Person, Program, ResourceLink
from lti_tool.extensions import db
from lti_tool.grades import services
from lti_tool.grades.models import HELD, PENDING, GradeAudit, GradeRecord, GradeSync
from lti_tool.pairs.models import Pair
from tests.support.clients import Participant, csrf_token
from tests.support.grades import hold_meetings
from tests.support.pairs import person_id


@pytest.fixture
def course(app, platform):
    """Staff, a mentor and two learners signed in; both learners paired with the mentor, the
    first with two meetings both confirmed; scores computed and queued."""
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    mona = Participant(app, platform, "2", "Mentor", "Mona Mentor")
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    luis = Participant(app, platform, "11", "Learner", "Luis Learner")
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        ids = {p.subject: p.id for p in db.session.scalars(sa.select(Person))}
        first = Pair(program_id=program.id, mentee_id=ids["10"], mentor_id=ids["2"])
        second = Pair(program_id=program.id, mentee_id=ids["11"], mentor_id=ids["2"])
        db.session.add_all([first, second])
        db.session.flush()
        hold_meetings(first, 2)
        services.queue_recompute(program)
        db.session.commit()
    return staff, mona, lena, luis


def post(person, path: str, data: dict, page: str, prefix: str = ""):
    token = csrf_token(person.get(page).data)
    fields = {f"{prefix}-csrf_token" if prefix else "csrf_token": token,
              **{f"{prefix}-{k}" if prefix else k: v for k, v in data.items()}}
    return person.client.post(person.url(path), data=fields)


def test_staff_see_everyone_with_breakdown_and_sync_status(app, course):
    staff, *_ = course
    home = staff.get("/").data
    assert b"Participation grades" in home and b"/grades?pw=" in home
    page = staff.get("/grades")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Lena Learner" in html and "Luis Learner" in html
    assert "Mona Mentor" not in html  # mentors are not graded by default
    assert "2 meetings held of 3 needed" in html and "0 meetings held of 3 needed" in html
    assert "Waiting to be sent" in html
    assert "Receive a passing grade" in html and "grade to pass</strong> to 50" in html
    assert "Roster from the LMS" in html and "never synced" in html
    lena = staff.get(f"/grades/{person_id(app, '10')}").get_data(as_text=True)
    assert "Meetings held" in lena and "2 confirmed by both" in lena
    assert "20 of 60" in lena and "Not yet: needs 1 more meeting held" in lena


@pytest.mark.parametrize("who", [1, 2])  # the mentor, a learner
def test_participants_are_refused(app, course, who):
    person = course[who]
    assert person.get("/grades").status_code == 403
    assert person.get(f"/grades/{person_id(app, '10')}").status_code == 403
    assert person.get("/grades/rubric").status_code == 403
    token = csrf_token(person.get("/intake").data)  # their first page is the intake
    refused = person.client.post(person.url(f"/grades/{person_id(app, '10')}/override"),
                                 data={"csrf_token": token, "score": "99", "reason": "mine"})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.scalars(sa.select(GradeAudit)).all() == []


def test_staff_of_another_course_get_404(app, platform, course):
    elsewhere = Participant(app, platform, "1", "Instructor", "Iris Instructor",
                            context={"id": "other-course", "title": "Elsewhere"})
    lena_id = person_id(app, "10")
    assert elsewhere.get(f"/grades/{lena_id}").status_code == 404
    assert elsewhere.post(f"/grades/{lena_id}/override", {"score": "1", "reason": "x"},
                          page="/grades").status_code == 404
    listing = elsewhere.get("/grades").get_data(as_text=True)
    assert "Lena Learner" not in listing and "Nobody is graded yet" in listing


def test_override_with_a_reason_is_audited_and_queued(app, course):
    staff, *_ = course
    lena_id = person_id(app, "10")
    page = f"/grades/{lena_id}"
    missing = post(staff, f"/grades/{lena_id}/override", {"score": "45", "reason": ""}, page)
    assert missing.status_code == 303
    assert "Give a score and a reason" in staff.client.get(missing.headers["Location"]).text
    done = post(staff, f"/grades/{lena_id}/override",
                {"score": "45", "reason": "Two extra meetings by phone"}, page)
    assert done.status_code == 303
    html = staff.client.get(done.headers["Location"]).get_data(as_text=True)
    assert "overridden by staff: 45" in html and "Two extra meetings by phone" in html
    assert "Iris Instructor" in html  # who did it, in the audit log
    too_high = post(staff, f"/grades/{lena_id}/override", {"score": "101", "reason": "x"}, page)
    assert "between 0 and 100" in staff.client.get(too_high.headers["Location"]).text
    with app.app_context():
        record = db.session.scalars(sa.select(GradeRecord).filter_by(person_id=lena_id)).one()
        assert record.override_score == 45 and record.score == 20
        [audit] = db.session.scalars(sa.select(GradeAudit)).all()
        assert (audit.action, audit.old_score, audit.new_score) == ("override", 20, 45)
        newest = db.session.scalars(sa.select(GradeSync).where(
            GradeSync.record_id == record.id).order_by(GradeSync.id.desc())).first()
        assert (newest.score_given, newest.trigger, newest.status) == (45, "override", PENDING)
    cleared = post(staff, f"/grades/{lena_id}/clear", {"reason": "Checked again"}, page,
                   prefix="clear")
    assert "Override removed" in staff.client.get(cleared.headers["Location"]).text
    with app.app_context():
        assert db.session.scalars(sa.select(GradeRecord).filter_by(
            person_id=lena_id)).one().override_score is None


def test_hold_release_and_resend(app, course):
    staff, *_ = course
    lena_id = person_id(app, "10")
    page = f"/grades/{lena_id}"
    no_reason = post(staff, f"/grades/{lena_id}/hold", {"reason": ""}, page, prefix="hold")
    assert "Give a reason" in staff.client.get(no_reason.headers["Location"]).text
    held = post(staff, f"/grades/{lena_id}/hold", {"reason": "Disputed meeting"}, page,
                prefix="hold")
    assert "Held for review" in staff.client.get(held.headers["Location"]).text
    with app.app_context():
        record = db.session.scalars(sa.select(GradeRecord).filter_by(person_id=lena_id)).one()
        assert record.held and record.sync_status == HELD
    listing = staff.get("/grades").get_data(as_text=True)
    assert "Held for review: not sent" in listing
    post(staff, f"/grades/{lena_id}/release", {"reason": "Resolved"}, page, prefix="release")
    resent = post(staff, f"/grades/{lena_id}/resend", {}, page)
    assert "queued to be sent again" in staff.client.get(resent.headers["Location"]).text
    with app.app_context():
        actions = [a.action for a in db.session.scalars(sa.select(GradeAudit)
                                                        .order_by(GradeAudit.id))]
        assert actions == ["hold", "release", "resend"]


def test_the_rubric_form_recomputes_everyone(app, course):
    staff, *_ = course
    assert staff.get("/grades/rubric").status_code == 200
    page = staff.get("/grades/rubric").get_data(as_text=True)
    fields = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', page))
    fields.update(maximum="40", points_per_meeting="20", min_meetings="2", pass_score="30",
                  require_agreement="", gate_pass="y", grade_mentors="y")
    fields = {k: v for k, v in fields.items() if v != "" and k != "csrf_token"}
    bad = post(staff, "/grades/rubric", {**fields, "pass_score": "41"}, "/grades/rubric")
    assert bad.status_code == 400 and "at most the maximum" in bad.get_data(as_text=True)
    saved = post(staff, "/grades/rubric", fields, "/grades/rubric")
    assert saved.status_code == 303
    assert "Rubric saved" in staff.client.get(saved.headers["Location"]).text
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        assert program.score_maximum == 40
        policy = services.policy_of(program)
        assert (policy.points_per_meeting, policy.min_meetings, policy.pass_score) == (20, 2, 30)
        assert policy.grade_mentors and not policy.require_agreement
        by_subject = {r.person.subject: r for r in db.session.scalars(sa.select(GradeRecord))}
        assert by_subject["10"].completed and by_subject["10"].score == 40
        assert by_subject["2"].role == "mentor"  # mentors graded now
        assert db.session.scalars(sa.select(GradeAudit.action)).all() == ["rubric"]
        newest = db.session.scalars(sa.select(GradeSync).order_by(GradeSync.id.desc())).first()
        assert newest.score_maximum == 40


def test_recompute_button_and_no_grade_service(app, course):
    staff, *_ = course
    with app.app_context():
        link = db.session.scalars(sa.select(ResourceLink)).one()
        link.ags_lineitem_url = link.ags_lineitems_url = None
        db.session.commit()
    done = post(staff, "/grades/recompute", {}, "/grades")
    assert "0 changed" in staff.client.get(done.headers["Location"]).text
    assert "the platform did not enable grades" in staff.get("/grades").get_data(as_text=True)
