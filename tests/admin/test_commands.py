"""The `flask lti` commands: platforms registered by hand (every change audited), registration
links, the tool configuration, and purging expired launch records and sessions."""

import json
from datetime import timedelta

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from lti_tool.timeutil import utcnow
from tests.support.admin import REGISTRATION_LINK, audit_events

ADD = ["lti", "add-platform", "--issuer", "https://moodle.example.test/",
       "--client-id", "abc123", "--auth-login-url", "https://moodle.example.test/mod/lti/auth.php",
       "--token-url", "https://moodle.example.test/mod/lti/token.php",
       "--jwks-url", "https://moodle.example.test/mod/lti/certs.php",
       "--deployment-id", "1", "--deployment-id", "2"]


def test_cli_add_list_remove_platform(app, runner):
    result = runner.invoke(args=ADD)
    assert result.exit_code == 0, result.output
    assert "deployments 1, 2" in result.output
    listed = json.loads(runner.invoke(args=["lti", "list-platforms", "--json"]).output)
    assert listed == [{
        "issuer": "https://moodle.example.test", "client_id": "abc123",
        "name": "https://moodle.example.test", "deployment_ids": ["1", "2"],
        "auth_login_url": "https://moodle.example.test/mod/lti/auth.php",
        "token_url": "https://moodle.example.test/mod/lti/token.php",
        "jwks_url": "https://moodle.example.test/mod/lti/certs.php", "registered_via": "manual"}]
    # Adding again adds deployments rather than a second registration.
    runner.invoke(args=[*ADD[:-4], "--deployment-id", "3"])
    with app.app_context():
        assert db.session.scalars(sa.select(Platform)).one().deployment_ids == ["1", "2", "3"]
    removed = runner.invoke(args=["lti", "remove-platform", "--issuer",
                                  "https://moodle.example.test", "--client-id", "abc123"])
    assert removed.exit_code == 0
    assert "No platforms registered" in runner.invoke(args=["lti", "list-platforms"]).output
    missing = runner.invoke(args=["lti", "remove-platform", "--issuer", "https://x.test",
                                  "--client-id", "nope"])
    assert missing.exit_code != 0 and "No registration" in missing.output


def test_cli_refuses_non_url(runner):
    args = list(ADD)
    args[args.index("--jwks-url") + 1] = "certs.php"
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert "JWKS URL 'certs.php' is refused" in result.output


def test_tool_config_json(app, runner):
    result = runner.invoke(args=["lti", "tool-config", "--json"])
    config = json.loads(result.output)
    assert config["login_url"] == "http://127.0.0.1:5000/lti/login"
    assert config["launch_url"] == "http://127.0.0.1:5000/lti/launch"
    assert config["deep_linking_url"] == "http://127.0.0.1:5000/lti/launch"
    assert config["jwks_url"] == "http://127.0.0.1:5000/lti/jwks"
    # Dynamic registration needs a single-use link (`lti registration-link`), not a URL.
    assert "registration_url" not in config
    assert config["jwks"]["keys"][0]["kty"] == "RSA"


def test_purge_expired_removes_only_expired_rows(app, runner):
    from lti_tool.lti.models import LaunchData
    from lti_tool.web.sessions import WebSession

    with app.app_context():
        now = utcnow()
        db.session.add_all([
            LaunchData(key="old", value=1, expires_at=now - timedelta(seconds=1)),
            LaunchData(key="fresh", value=1, expires_at=now + timedelta(hours=1)),
            WebSession(id="old", data={}, expires_at=now - timedelta(seconds=1)),
        ])
        db.session.commit()
    result = runner.invoke(args=["lti", "purge-expired"])
    assert "Deleted 1 expired launch records and 1 sessions." in result.output
    with app.app_context():
        assert [row.key for row in db.session.scalars(sa.select(LaunchData))] == ["fresh"]


def test_cli_makes_a_registration_link(app, runner):
    result = runner.invoke(args=["lti", "registration-link", "--label", "Law school Moodle",
                                 "--issuer", "https://moodle.law.example.edu", "--hours", "48"])
    assert result.exit_code == 0, result.output
    assert REGISTRATION_LINK.fullmatch(result.stdout.strip())
    assert "for https://moodle.law.example.edu only" in result.stderr
    assert audit_events(app)[0][0] == "registration_link.created"
    assert audit_events(app)[0][1]["via"] == "cli"
    bad = runner.invoke(args=["lti", "registration-link", "--hours", "0"])
    assert bad.exit_code == 2 and "from 1 hour" in bad.output


def test_cli_changes_to_a_registration_are_audited(app, runner):
    assert runner.invoke(args=ADD).exit_code == 0
    changed = list(ADD)
    changed[changed.index("--jwks-url") + 1] = "https://moodle.example.test/rotated.php"
    result = runner.invoke(args=changed)
    assert result.exit_code == 0 and result.output.startswith("Updated")
    assert [a for a, _ in audit_events(app)] == ["platform.registered", "platform.updated"]
    assert audit_events(app)[1][1]["changes"] == {"key_set_url": [
        "https://moodle.example.test/mod/lti/certs.php", "https://moodle.example.test/rotated.php"]}
    runner.invoke(args=["lti", "remove-platform", "--issuer", "https://moodle.example.test",
                        "--client-id", "abc123"])
    assert audit_events(app)[-1][0] == "platform.removed"
