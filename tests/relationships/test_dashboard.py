"""The staff dashboard over HTTP: health from real meetings, messages and
check-ins; permissions; nudges; the CSV export (keyed by LMS ids, formula-safe); success
stories; inactive pairs warned and then closed."""

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.notify.models import Notification
from lti_tool.pairs.models import Pair
from lti_tool.relationships.models import HealthSettings, InactivityWarning, Story
from tests.support.clients import Participant
from tests.support.meetings import meeting_held
from tests.support.pairs import age_pair, followed


def test_a_new_quiet_pair_shows_up_with_reasons(app, pair):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 25)
    page = staff.get("/dashboard")
    assert page.status_code == 200
    html = page.data
    assert b"Pairs to look at (1)" in html
    assert b"no meeting held 25 days after the match, and none booked" in html
    assert b"mentoring agreement not signed" in html and b"no goals set after 3 weeks" in html
    assert b"<svg" in html and b"Meetings held per week" in html
    assert b"Learners matched</dt><dd>100%" in html


def test_only_staff_of_the_program(app, platform, pair):
    staff, mona, lena, pair_id = pair
    assert lena.get("/dashboard").status_code == 403
    assert mona.get("/dashboard/participation.csv").status_code == 403
    other = Participant(app, platform, "50", "Instructor", "Olga Other",
                        context={"id": "other-course", "title": "Elsewhere"})
    assert b"Pairs to look at (0)" in other.get("/dashboard").data
    assert other.post(f"/dashboard/pairs/{pair_id}/nudge",
                      page="/matching").status_code == 404


def test_nudge_and_checkin_request_go_to_both_once_a_day(app, pair):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 25)
    done = followed(staff, staff.post(f"/dashboard/pairs/{pair_id}/nudge", page="/dashboard"))
    assert b"have been nudged" in done
    followed(staff, staff.post(f"/dashboard/pairs/{pair_id}/nudge", page="/dashboard"))
    followed(staff, staff.post(f"/dashboard/pairs/{pair_id}/checkin", page="/dashboard"))
    with app.app_context():
        kinds = [n.kind for n in db.session.scalars(sa.select(Notification).where(
            Notification.kind.in_(("pair_nudge", "pair_checkin"))))]
    assert sorted(kinds) == ["pair_checkin"] * 2 + ["pair_nudge"] * 2


def test_a_nudge_from_the_pairs_page_returns_to_it(app, pair):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 25)
    page = f"/dashboard/pairs/{pair_id}"
    assert b'name="back" value="pair"' in staff.get(page).data
    done = staff.post(f"{page}/nudge", {"back": "pair"}, page=page)
    assert done.status_code == 303 and done.headers["Location"].startswith(page + "?")
    assert b"have been nudged" in followed(staff, done)


def test_participation_csv_is_keyed_by_lms_ids_and_formula_safe(app, pair):
    staff, mona, lena, pair_id = pair
    with app.app_context():
        pair = db.session.get(Pair, pair_id)
        pair.mentee.name = "=HYPERLINK(\"http://evil\")"
        db.session.commit()
    response = staff.get("/dashboard/participation.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert {r["lms_user_id"] for r in rows} == {"2", "10"}
    mentee = next(r for r in rows if r["role"] == "mentee")
    assert mentee["name"].startswith("'=")  # not a live formula
    assert mentee["partner_lms_user_id"] == "2" and mentee["meetings_held"] == "0"
    from lti_tool.security.models import AuditEvent

    with app.app_context():  # exports and publishing are in the audit log
        actions = {e.action for e in db.session.scalars(sa.select(AuditEvent))}
    assert {"export.participation_csv", "matching.published"} <= actions


def test_held_meetings_and_messages_make_a_healthy_pair(app, pair, monkeypatch):
    from lti_tool.relationships import services as health

    staff, mona, lena, pair_id = pair
    start, later = meeting_held(app, pair, monkeypatch)
    followed(lena, lena.post(f"/pairs/{pair_id}/messages", {"body": "Thank you!"},
                             page=f"/pairs/{pair_id}/messages"))
    with app.app_context():
        from lti_tool.courses.models import Program

        [facts] = health.pair_facts(db.session.scalars(sa.select(Program)).one(),
                                    later.date())
        assert facts.meetings_held == 1 and facts.last_met == start.date()
        assert facts.messages == 1
        assert facts.history.activity == {"mentee": 2}  # Lena proposed and wrote
        assert "no_first_meeting" not in [r.code for r in facts.health.reasons]


def test_success_stories_need_consent_and_approval(app, pair):
    staff, mona, lena, pair_id = pair
    refused = lena.post("/stories/new", {"title": "My year", "body": "It changed a lot"},
                        page="/stories/new")
    assert refused.status_code == 400 and b"Tick the box" in refused.data
    assert b"It changed a lot" in refused.data  # the draft survives
    followed(lena, lena.post("/stories/new", {"title": "My year", "body": "It changed a lot",
                                              "consent": "y"}, page="/stories/new"))
    assert b"It changed a lot" not in lena.get("/stories").data  # not before approval
    dashboard = staff.get("/dashboard").data
    assert b"Stories waiting for approval" in dashboard and b"My year" in dashboard
    with app.app_context():
        story_id = db.session.scalars(sa.select(Story.id)).one()
    followed(staff, staff.post(f"/stories/{story_id}/approve", page="/dashboard"))
    shown = mona.get("/stories").data
    assert b"It changed a lot" in shown and b"a mentee" in shown and b"Lena" not in shown
    assert lena.post(f"/stories/{story_id}/approve", page="/stories/new").status_code == 403


def test_inactive_pairs_are_warned_then_closed_when_the_program_says_so(app, runner, pair):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 60)
    result = runner.invoke(args=["relationships", "sweep"])
    assert "Warned 0 inactive pairs, closed 0." in result.output  # auto-close is off
    with app.app_context():
        settings = db.session.scalars(sa.select(HealthSettings)).one()
        settings.auto_close, settings.close_after_warning_days = True, 14
        db.session.commit()
    assert "Warned 1" in runner.invoke(args=["relationships", "sweep"]).output
    assert "Warned 0 inactive pairs, closed 0." in runner.invoke(
        args=["relationships", "sweep"]).output  # warned once, not yet closed
    with app.app_context():
        warning = db.session.scalars(sa.select(InactivityWarning)).one()
        warning.warned_at = warning.warned_at - timedelta(days=15)
        db.session.commit()
        assert len(list(db.session.scalars(sa.select(Notification).filter_by(
            kind="pair_inactive")))) == 2
    assert "closed 1" in runner.invoke(args=["relationships", "sweep"]).output
    with app.app_context():
        pair = db.session.get(Pair, pair_id)
        assert pair.status == "ended" and "without activity" in pair.end_reason
