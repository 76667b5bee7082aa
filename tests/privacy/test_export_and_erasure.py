"""Privacy over HTTP: "Your data" downloads (scoped to the person, anonymous survey
answers never included, audited), and staff erasing a person's data in their course (typed
confirmation, the partner's history kept readable, course isolation, one transaction)."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Course, Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.grades.models import PENDING as GRADE_PENDING
from lti_tool.grades.models import GradeAudit, GradeRecord, GradeSync
from lti_tool.intake.models import MentorPool, Profile
from lti_tool.journal.models import ActionItem, Message, Recap, ThreadState
from lti_tool.meetings.models import Attendance, CalendarFeed, EventRsvp, Meeting
from lti_tool.notify import services as notify
from lti_tool.notify.models import Notification
from lti_tool.pairs import services as pairs_services
from lti_tool.pairs.models import MatchRun, MentorRequest, Pair, Proposal
from lti_tool.privacy import erasure
from lti_tool.privacy.erasure import PLACEHOLDER_NAME, REMOVED
from lti_tool.privacy.registry import PERSON_COLUMNS
from lti_tool.relationships.models import Story
from lti_tool.security.models import AuditEvent
from lti_tool.surveys.models import SurveyReceipt, SurveyResponse
from lti_tool.timeutil import utcnow
from lti_tool.workspace.models import AgreementVersion, ChecklistTick, Goal, Milestone
from tests.support.clients import Participant
from tests.support.privacy import fill, member_ids


def download(person):
    response = person.get("/privacy/download")
    assert response.status_code == 200, response.data[:300]
    return response


# --- Download ----------------------------------------------------------------------------

def test_everyone_finds_your_data_and_downloads_a_json_file(app, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    page = lena.get("/privacy/")
    assert page.status_code == 200 and b"Download my data" in page.data
    assert b"/privacy/" in lena.get("/").data or b"/privacy/" in lena.get("/intake").data
    response = download(lena)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="pairwise-my-data-')
    assert disposition.endswith('.json"') and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["person"]["name"] == "Lena Learner"
    assert [e["role"] for e in data["enrolments"]] == ["learner"]
    assert data["intake"][0]["topics"] == ["Leadership"]
    [mine] = data["pairs"]
    assert mine["partner"] == "Mona Mentor" and mine["your_role"] == "mentee"
    assert {m["body"] for m in mine["messages"]} == {"LENA-MSG <b>hi</b>", "MONA-MSG"}
    assert {m["from"] for m in mine["messages"]} == {"you", "Mona Mentor"}
    assert [v["number"] for v in mine["agreement_versions"]] == [1, 2]
    assert {g["title"] for g in mine["goals"]} == {"LENA-GOAL", "MONA-GOAL"}
    assert [a["outcome"] for a in mine["meetings"][0]["attendance"]] == ["held"]  # own only
    assert {r["takeaways"] for r in mine["recaps"]} >= {"LENA-PRIVATE-RECAP", "MONA-RECAP"}
    assert [s["comment"] for s in data["survey_answers"]] == ["LENA-SURVEY"]
    assert data["stories"][0]["title"] == "LENA-STORY"
    # Her own notifications: this one, and those the pairing sent her (her match).
    assert "LENA-NOTIFICATION" in [n["body"] for n in data["notifications"]]
    assert data["mentor_requests"][0]["message"] == "LENA-REQUEST"
    assert data["event_answers"][0]["answer"] == "yes"
    text = response.data.decode()
    for foreign in ("ANON-SURVEY", "MONA-SENT-NOTIFICATION", "Iris", "lena-feed-token"):
        assert foreign not in text  # others' answers and mail, staff, secrets
    with app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).filter_by(
            action="privacy.exported")).one()
        assert event.target == f"person:{member_ids(app, pair_id)[0]}"


def test_mentor_and_staff_download_their_own(app, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    mona_data = json.loads(download(mona).data)
    assert mona_data["person"]["name"] == "Mona Mentor"
    assert mona_data["pairs"][0]["your_role"] == "mentor"
    assert mona_data["pairs"][0]["partner"] == "Lena Learner"
    assert "LENA-SURVEY" not in download(mona).data.decode()
    staff_data = json.loads(download(staff).data)
    assert staff_data["pairs"] == [] and staff_data["enrolments"][0]["role"] == "staff"
    assert staff_data["staff_actions"]["grade_changes"][0]["action"] == "override"
    assert staff_data["staff_actions"]["match_runs"][0]["status"] == "published"
    assert "STAFF-REASON" not in download(staff).data.decode()


def test_the_download_needs_a_launch(client):
    assert client.get("/privacy/download").status_code == 401
    assert client.get("/privacy/").status_code == 401


def test_every_registered_export_section_is_in_the_download(app, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    data = json.loads(download(lena).data)
    for table_column, coverage in PERSON_COLUMNS.items():
        first, *rest = coverage.export.split(".")
        assert first in data, table_column
        if first == "pairs" and rest:
            assert rest[0] in data["pairs"][0], table_column
        if first == "staff_actions":
            assert rest[0] in data["staff_actions"], table_column


# --- Erasure -----------------------------------------------------------------------------

def erase(staff, person_id, name):
    page = f"/privacy/people/{person_id}/erase"
    return staff.post(page, {"confirm_name": name}, page=page)


def _snapshot(app) -> dict:
    with app.app_context():
        return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (Profile, Message, Recap, Goal, Enrolment, Person, Notification)}


def test_staff_see_what_happens_and_must_type_the_name(app, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    lena_id = member_ids(app, pair_id)[0]
    listing = staff.get("/privacy/")
    assert f"/privacy/people/{lena_id}/erase".encode() in listing.data
    page = staff.get(f"/privacy/people/{lena_id}/erase")
    assert page.status_code == 200
    assert b"Their active pairs end" in page.data and REMOVED.encode() in page.data.replace(
        b"&#39;", b"'")
    before = _snapshot(app)
    wrong = erase(staff, lena_id, "Mona Mentor")
    assert wrong.status_code == 400 and b"does not match" in wrong.data
    empty = erase(staff, lena_id, "")
    assert empty.status_code == 400
    forged = staff.client.post(staff.url(f"/privacy/people/{lena_id}/erase"),
                               data={"confirm_name": "Lena Learner"})
    assert forged.status_code == 400
    assert lena.post(f"/privacy/people/{lena_id}/erase", {"confirm_name": "Lena Learner"},
                     page=f"/pairs/{pair_id}/messages").status_code == 403
    assert _snapshot(app) == before


def test_erasure_removes_the_person_and_keeps_the_partners_history(app, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    lena_id, mona_id, program_id = member_ids(app, pair_id)
    with app.app_context():  # the matching report names her before
        lowest = db.session.scalars(sa.select(MatchRun)).one().report["lowest"]
        assert any(lena_id in row[:2] for row in lowest)
    response = erase(staff, lena_id, "  lena   LEARNER ")  # spaces and case do not matter
    assert response.status_code == 303, response.data[:500]
    assert b"was erased" in staff.client.get(response.headers["Location"]).data
    with app.app_context():
        found = db.session.get(Pair, pair_id)
        assert found.status == "ended" and found.mentor_id == mona_id
        placeholder = db.session.get(Person, found.mentee_id)
        assert placeholder.display_name == PLACEHOLDER_NAME and placeholder.email == ""
        assert db.session.get(Person, lena_id) is None  # no other course: the profile goes
        bodies = {m.body: m.author_id for m in db.session.scalars(sa.select(Message))}
        assert bodies == {REMOVED: placeholder.id, "MONA-MSG": mona_id}
        recaps = {r.takeaways for r in db.session.scalars(sa.select(Recap))}
        assert recaps == {REMOVED, "MONA-RECAP"}  # the private one is gone
        actions = {a.title: a.owner_id for a in db.session.scalars(sa.select(ActionItem))}
        assert actions == {REMOVED: placeholder.id, "MONA-ACTION-FOR-LENA": placeholder.id}
        v1, v2 = db.session.scalars(sa.select(AgreementVersion)
                                    .order_by(AgreementVersion.number))
        assert (v1.confidentiality, v1.mentee_hopes) == (REMOVED, REMOVED)
        assert (v2.confidentiality, v2.mentee_hopes, v2.mentor_hopes) == (
            "MONA-TERMS", REMOVED, "MONA-HOPES")
        assert v2.signed_at is not None
        [goal] = db.session.scalars(sa.select(Goal))
        assert goal.title == "MONA-GOAL" and goal.reviewed_by_id is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Milestone)) == 0
        assert db.session.scalars(sa.select(Meeting)).one().agenda == REMOVED
        assert len(db.session.scalars(sa.select(Attendance)).all()) == 2
        assert [p.person_id for p in db.session.scalars(sa.select(Profile))] == [mona_id]
        assert [r.comment for r in db.session.scalars(sa.select(SurveyResponse))] == [
            "ANON-SURVEY"]
        assert [n.body for n in db.session.scalars(sa.select(Notification).filter_by(
            recipient_id=mona_id))] == ["MONA-SENT-NOTIFICATION"]
        assert db.session.get(MentorPool, lena_id) is None
        for model in (Story, MentorRequest, CalendarFeed, ChecklistTick,
                      ThreadState, SurveyReceipt, EventRsvp, GradeAudit):
            assert db.session.scalars(sa.select(model)).all() == [], model
        assert db.session.scalars(sa.select(Proposal).filter_by(mentee_id=lena_id)).all() == []
        run = db.session.scalars(sa.select(MatchRun)).one()
        assert all(lena_id not in row[:2] for row in run.report["lowest"])
        assert str(lena_id) not in run.comparison.get("moves", {})
        assert db.session.scalar(sa.select(GradeRecord).filter_by(person_id=lena_id)) is None
        assert db.session.scalars(sa.select(GradeSync).join(GradeRecord).where(
            GradeRecord.person_id == placeholder.id, GradeSync.status == GRADE_PENDING)
        ).all() == []  # nothing goes to the gradebook for the placeholder
        event = db.session.scalars(sa.select(AuditEvent).filter_by(
            action="privacy.erased")).one()
        assert event.target == f"person:{lena_id}"
        assert "Lena" not in json.dumps(event.details)
    journal = mona.get(f"/pairs/{pair_id}/messages")
    assert journal.status_code == 200
    assert b"MONA-MSG" in journal.data and b"LENA-MSG" not in journal.data
    assert PLACEHOLDER_NAME.encode() in journal.data
    for page in (f"/pairs/{pair_id}", f"/pairs/{pair_id}/journal", f"/pairs/{pair_id}/agreement",
                 f"/pairs/{pair_id}/goals", f"/pairs/{pair_id}/meetings"):
        assert mona.get(page).status_code == 200, page
    for page in ("/", "/roster", "/dashboard", "/grades", "/matching", "/shared-recaps"):
        assert staff.get(page).status_code == 200, page


def test_erasing_a_mentor_frees_the_mentee(app, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    lena_id, mona_id, program_id = member_ids(app, pair_id)
    assert erase(staff, mona_id, "Mona Mentor").status_code == 303
    with app.app_context():
        found = db.session.get(Pair, pair_id)
        assert found.status == "ended" and found.mentee_id == lena_id
        assert db.session.get(Person, found.mentor_id).name == PLACEHOLDER_NAME
        assert pairs_services.active_pairs(found.program) == []
        assert {m.body for m in db.session.scalars(sa.select(Message))} == {
            "LENA-MSG <b>hi</b>", REMOVED}
        v2 = db.session.scalars(sa.select(AgreementVersion).filter_by(number=2)).one()
        assert (v2.confidentiality, v2.mentee_hopes, v2.mentor_hopes) == (
            REMOVED, "LENA-HOPES", REMOVED)
    assert b"LENA-MSG" in lena.get(f"/pairs/{pair_id}/messages").data


def test_nothing_points_at_an_erased_person(app, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    lena_id = member_ids(app, pair_id)[0]
    assert erase(staff, lena_id, "Lena Learner").status_code == 303
    with app.app_context():
        for (table, column) in PERSON_COLUMNS:
            rows = db.session.execute(sa.text(
                f"SELECT count(*) FROM {table} WHERE {column} = :id"),  # noqa: S608 (names
                {"id": lena_id}).scalar()                           # from the schema)
            assert rows == 0, (table, column)


def test_a_new_launch_after_erasure_is_a_fresh_participant(app, platform, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    lena_id = member_ids(app, pair_id)[0]
    assert erase(staff, lena_id, "Lena Learner").status_code == 303
    assert lena.get("/").status_code == 401  # the old session has no enrolment any more
    again = Participant(app, platform, "10", "Learner", "Lena Learner")
    home = again.get("/")
    assert home.status_code == 303 and "/intake" in home.headers["Location"]
    assert json.loads(again.get("/privacy/download").data)["pairs"] == []


def test_staff_of_another_course_cannot_erase(app, platform, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    lena_id = member_ids(app, pair_id)[0]
    outsider = Participant(app, platform, "99", "Instructor", "Other Staff",
                           context={"id": "other", "title": "Another course"})
    before = _snapshot(app)
    assert outsider.get(f"/privacy/people/{lena_id}/erase").status_code == 404
    response = outsider.post(f"/privacy/people/{lena_id}/erase",
                             {"confirm_name": "Lena Learner"}, page="/roster")
    assert response.status_code == 404
    assert b"Lena" not in outsider.get("/privacy/").data
    assert _snapshot(app) == before


def test_names_are_escaped_on_the_privacy_pages(app, platform, pair):
    staff, mona, lena, pair_id = pair
    Participant(app, platform, "66", "Learner", "<b>Bold</b> Person")
    with app.app_context():
        bold_id = db.session.scalar(sa.select(Person.id).filter_by(subject="66"))
    for page in ("/privacy/", f"/privacy/people/{bold_id}/erase"):
        html = staff.get(page).data
        assert b"&lt;b&gt;Bold&lt;/b&gt; Person" in html and b"<b>Bold" not in html
    assert erase(staff, bold_id, "<b>Bold</b> Person").status_code == 303


def test_staff_cannot_erase_themselves(app, pair):
    staff, mona, lena, pair_id = pair
    with app.app_context():
        staff_id = db.session.scalar(sa.select(Person.id).filter_by(subject="1"))
    response = erase(staff, staff_id, "Iris Instructor")
    assert response.status_code == 400 and b"cannot erase your own data" in response.data


def test_a_person_in_another_course_keeps_that_course(app, platform, pair):
    staff, mona, lena, pair_id = pair
    Participant(app, platform, "10", "Learner", "Lena Learner",
                context={"id": "other", "title": "Another course"})
    lena_id = member_ids(app, pair_id)[0]
    assert erase(staff, lena_id, "Lena Learner").status_code == 303
    with app.app_context():
        person = db.session.get(Person, lena_id)
        assert person is not None and person.name == "Lena Learner"
        [enrolment] = db.session.scalars(sa.select(Enrolment).filter_by(person_id=lena_id))
        assert enrolment.course.context_id == "other"


def test_an_error_half_way_leaves_everything_as_it_was(app, pair, monkeypatch):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    lena_id = member_ids(app, pair_id)[0]
    before = _snapshot(app)

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(erasure, "_program_records", broken)
    try:
        response = erase(staff, lena_id, "Lena Learner")
    except RuntimeError:
        pass
    else:
        assert response.status_code == 500
    assert _snapshot(app) == before
    with app.app_context():
        found = db.session.get(Pair, pair_id)
        assert found.status == "active" and found.mentee_id == lena_id
        assert "LENA-MSG <b>hi</b>" in {m.body for m in db.session.scalars(sa.select(Message))}


# --- Commands ----------------------------------------------------------------------------

def _platform_and_course(app):
    with app.app_context():
        course = db.session.scalars(sa.select(Course).join(Program)).first()
        return course.platform_id, course.context_id


def test_admin_commands_export_and_erase(app, runner, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    platform_id, context_id = _platform_and_course(app)
    exported = runner.invoke(args=["privacy", "export", "--platform", str(platform_id),
                                   "--person", "10"])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["person"]["name"] == "Lena Learner"
    missing = runner.invoke(args=["privacy", "erase", "--platform", str(platform_id),
                                  "--course", context_id, "--person", "nobody", "--yes"])
    assert missing.exit_code != 0 and "No person 'nobody'" in missing.output
    erased = runner.invoke(args=["privacy", "erase", "--platform", str(platform_id),
                                 "--course", context_id, "--person", "10", "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "profile deleted" in erased.output and "Lena" not in erased.output
    with app.app_context():
        assert db.session.scalar(sa.select(Person).filter_by(subject="10")) is None


@pytest.mark.parametrize("path", ["/privacy/retention", "/privacy/people/1/erase"])
def test_staff_pages_refuse_participants(pair, path):
    staff, mona, lena, pair_id = pair
    assert lena.get(path).status_code == 403


def test_erasure_recalls_what_still_waits_to_tell_the_partner_about_the_person(app, pair):
    """A lapse notice about the person's mentor request, and an agreement or survey reminder
    of their pair, would carry their name to the partner after the erasure: they go too."""
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)
    lena_id, mona_id, _program = member_ids(app, pair_id)
    with app.app_context():
        request_id = db.session.scalars(sa.select(MentorRequest.id)).one()
        mona_person = db.session.get(Person, mona_id)
        for key in (f"request:{request_id}:lapsed:mentor",
                    f"agreement-waiting:{pair_id}:1:{mona_id}",
                    f"survey:{pair_id}:{mona_id}:checkin:2026-01-05"):
            notify.enqueue(mona_person, "message", "About Lena Learner", "Lena Learner …",
                           dedupe_key=key, send_after=utcnow() + timedelta(days=2))
        db.session.commit()
    assert erase(staff, lena_id, "Lena Learner").status_code == 303
    with app.app_context():
        keys = set(db.session.scalars(sa.select(Notification.dedupe_key)))
    assert not {k for k in keys if k.startswith((f"request:{request_id}:",
                                                 f"agreement-waiting:{pair_id}:",
                                                 f"survey:{pair_id}:"))}
