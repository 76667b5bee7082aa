"""The audit log: `record()` inside the caller's transaction, the admin pages and key rotation
recording themselves, and `flask security audit`."""

import json
from datetime import date

import sqlalchemy as sa

from lti_tool.courses.models import Enrolment, Program
from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from lti_tool.security import audit
from lti_tool.security.models import AuditEvent
from tests.support.clients import Participant, csrf_token


def events(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))


def test_record_takes_course_and_platform_from_the_program(app, platform):
    Participant(app, platform, "4", "Learner", "Sam Student-One")
    with app.app_context():
        enrolment = db.session.scalars(sa.select(Enrolment)).one()
        program = Program(course_id=enrolment.course_id, title="Mentoring")
        db.session.add(program)
        db.session.flush()
        event = audit.record("pairs.published", actor=enrolment, program=program,
                             target="12 pairs", pairs=12, on=date(2026, 3, 1))
        assert event.id is not None  # flushed
        db.session.commit()
        stored = db.session.get(AuditEvent, event.id)
        assert (stored.actor_id, stored.course_id, stored.program_id) == (
            enrolment.person_id, enrolment.course_id, program.id)
        assert stored.platform_id == enrolment.course.platform_id
        assert stored.details == {"pairs": 12, "on": "2026-03-01"}
        assert stored.ip is None and stored.at is not None
        by_ids = audit.record("grades.overridden", actor=enrolment.person_id,
                              program=program.id)
        assert (by_ids.course_id, by_ids.platform_id) == (stored.course_id, stored.platform_id)


def test_record_defaults_to_the_signed_in_person_and_their_address(app, platform):
    Participant(app, platform, "4", "Learner", "Sam Student-One")
    with app.app_context():
        enrolment = db.session.scalars(sa.select(Enrolment)).one()
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.44"}):
        from flask import g

        g.enrolment = db.session.get(Enrolment, enrolment.id)
        event = audit.record("export.downloaded", target="participation.csv")
        assert (event.actor_id, event.course_id, event.ip) == (
            enrolment.person_id, enrolment.course_id, "192.0.2.44")
        db.session.rollback()  # the caller's transaction decides
    assert events(app) == []


def test_admin_registration_and_removal_are_recorded(app, client):
    page = client.get("/admin/sign-in")
    signed_in = client.post("/admin/sign-in", data={"token": "testing-admin-token",
                                                    "csrf_token": csrf_token(page.data)})
    assert signed_in.status_code == 303
    listing = client.get("/admin/")
    form = {"csrf_token": csrf_token(listing.data), "name": "Faculty Moodle",
            "issuer": "https://moodle.example.edu", "client_id": "xyz",
            "auth_login_url": "https://moodle.example.edu/mod/lti/auth.php",
            "auth_token_url": "https://moodle.example.edu/mod/lti/token.php",
            "key_set_url": "https://moodle.example.edu/mod/lti/certs.php",
            "deployment_ids": "1\n4\n"}
    assert client.post("/admin/platforms", data=form).status_code == 303
    assert client.post("/admin/platforms", data={**form, "issuer": "no"}).status_code == 400
    with app.app_context():
        platform_id = db.session.scalars(sa.select(Platform.id)).one()
    assert client.post(f"/admin/platforms/{platform_id}/remove",
                       data={"csrf_token": csrf_token(listing.data)}).status_code == 303
    signed_in, registered, removed = events(app)
    assert signed_in.action == "admin.signed_in" and signed_in.ip == "127.0.0.1"
    assert registered.action == "platform.registered"
    assert registered.target == "https://moodle.example.edu client xyz"
    assert registered.platform_id == platform_id
    assert registered.details == {"via": "admin", "deployment_ids": ["1", "4"]}
    assert registered.ip == "127.0.0.1" and registered.actor_id is None
    assert removed.action == "platform.removed"
    assert removed.platform_id == platform_id  # kept after the platform is gone
    assert removed.details == {"via": "admin", "name": "Faculty Moodle"}


def test_key_rotation_is_recorded(app, runner):
    assert runner.invoke(args=["lti", "ensure-key"]).exit_code == 0
    result = runner.invoke(args=["lti", "rotate-keys"])
    assert result.exit_code == 0, result.output
    (event,) = events(app)
    assert event.action == "lti.key_rotated"
    assert event.target.startswith("signing key ") and event.details == {"via": "cli"}


def test_audit_command_prints_recent_events(app, runner):
    assert "No audit events." in runner.invoke(args=["security", "audit"]).output
    with app.app_context():
        for n in range(3):
            audit.record("pairs.published", target=f"run {n}", platform=7, pairs=n)
        db.session.commit()
    output = runner.invoke(args=["security", "audit", "--limit", "2"]).output
    lines = output.strip().splitlines()
    assert len(lines) == 2
    assert "pairs.published  'run 2'  admin/system  platform=7" in lines[0]
    assert '{"pairs": 2}' in lines[0] and "'run 1'" in lines[1]
    rows = [json.loads(line) for line in
            runner.invoke(args=["security", "audit", "--json", "--action", "pairs."]).output
            .splitlines()]
    assert [row["target"] for row in rows] == ["run 2", "run 1", "run 0"]
    assert runner.invoke(args=["security", "audit", "--action", "grades."]).output.strip() == \
        "No audit events."
    assert runner.invoke(args=["security", "audit", "--limit", "0"]).exit_code != 0
