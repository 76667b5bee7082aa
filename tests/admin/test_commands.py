"""Registration by hand (admin page and CLI), the tool configuration, keys and rotation."""

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.models import Platform, ToolKey
from lti_tool.timeutil import utcnow

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


def test_jwks_publishes_kid_and_rotation_keeps_old_key(app, client, runner):
    first = client.get("/lti/jwks").get_json()["keys"]
    assert len(first) == 1 and first[0]["kid"] and first[0]["alg"] == "RS256"
    assert "d" not in first[0]  # never the private part
    result = runner.invoke(args=["lti", "rotate-keys"])
    assert "stay in the JWKS for 7 days" in result.output
    after = client.get("/lti/jwks").get_json()["keys"]
    assert [k["kid"] for k in after][1:] == [first[0]["kid"]]
    with app.app_context():
        assert keys.signing_key().kid == after[0]["kid"]
        old = db.session.scalars(sa.select(ToolKey).where(ToolKey.kid == first[0]["kid"])).one()
        old.retired_at = utcnow() - timedelta(days=8)
        db.session.commit()
    assert [k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]] == [after[0]["kid"]]


def _csrf(html: bytes) -> str:
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1).decode()


def sign_in_admin(client, token="testing-admin-token"):
    page = client.get("/admin/sign-in")
    return client.post("/admin/sign-in", data={"token": token, "csrf_token": _csrf(page.data)})


def test_admin_sign_in_and_manual_registration(app, client):
    assert sign_in_admin(client, "wrong").status_code == 401
    assert sign_in_admin(client).status_code == 303
    page = client.get("/admin/")
    assert b"No platform is registered yet" in page.data
    form = {
        "csrf_token": _csrf(page.data), "name": "Faculty Moodle",
        "issuer": "https://moodle.example.test", "client_id": "xyz",
        "auth_login_url": "https://moodle.example.test/mod/lti/auth.php",
        "auth_token_url": "https://moodle.example.test/mod/lti/token.php",
        "key_set_url": "https://moodle.example.test/mod/lti/certs.php",
        "deployment_ids": "1\n4\n",
    }
    bad = client.post("/admin/platforms", data={**form, "key_set_url": "not a url"})
    assert bad.status_code == 400 and b"Invalid URL" in bad.data
    assert client.post("/admin/platforms", data=form).status_code == 303
    with app.app_context():
        platform = db.session.scalars(sa.select(Platform)).one()
        assert platform.deployment_ids == ["1", "4"] and platform.name == "Faculty Moodle"
    listing = client.get("/admin/")
    assert b"Faculty Moodle" in listing.data
    config = client.get("/admin/tool-config")
    assert b"http://127.0.0.1:5000/lti/login" in config.data
    assert b"BEGIN PUBLIC KEY" in config.data
    removed = client.post(f"/admin/platforms/{platform.id}/remove",
                          data={"csrf_token": _csrf(listing.data)})
    assert removed.status_code == 303
    with app.app_context():
        assert db.session.scalars(sa.select(Platform)).all() == []


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


# --- Registration links and changes to registrations --------------------------------------------

LINK = re.compile(r"http://127\.0\.0\.1:5000/lti/register/[A-Za-z0-9_-]{43}")


def audit_events(app):
    """The audit log's (action, details), without the admin's own sign-ins."""
    from lti_tool.security.models import AuditEvent

    with app.app_context():
        return [(e.action, e.details) for e in
                db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
                if not e.action.startswith("admin.")]


def test_admin_makes_a_registration_link_that_is_shown_once(app, client):
    sign_in_admin(client)
    page = client.get("/admin/")
    assert b"Make a registration link" in page.data and b"Add LTI Advantage" in page.data
    made = client.post("/admin/registration-links", data={
        "csrf_token": _csrf(page.data), "label": "Faculty Moodle",
        "expected_issuer": "https://moodle.example.edu/", "hours": "24"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    url = LINK.search(made.text).group(0)
    assert "Only the platform https://moodle.example.edu can use it" in made.text
    listing = client.get("/admin/")
    assert "Faculty Moodle" in listing.text and "unused, valid until" in listing.text
    assert url not in listing.text  # only its hash is kept
    assert audit_events(app) == [("registration_link.created", {
        "via": "admin", "label": "Faculty Moodle", "expected_issuer": "https://moodle.example.edu",
        "expires_at": audit_events(app)[0][1]["expires_at"]})]
    with app.app_context():
        from lti_tool.lti.models import RegistrationLink

        link = db.session.scalars(sa.select(RegistrationLink)).one()
        hours = (link.expires_at - link.created_at).total_seconds() / 3600
        assert round(hours) == 24 and link.created_by == "admin"
    config = {"openid_configuration": "https://moodle.example.edu/mod/lti/openid-configuration.php"}
    assert client.get(url, query_string=config).status_code == 200
    withdrawn = client.post(f"/admin/registration-links/{link.id}/withdraw",
                            data={"csrf_token": _csrf(listing.data)})
    assert withdrawn.status_code == 303
    assert client.get(url, query_string=config).status_code == 410
    assert "withdrawn" in client.get("/admin/").text
    assert audit_events(app)[-1][0] == "registration_link.withdrawn"


@pytest.mark.parametrize("issuer", ["https://moodle.example.edu@evil.example",
                                    "https://moodle.example.edu/?x=1", "moodle.example.edu"])
def test_a_link_for_an_impossible_issuer_is_refused(app, client, issuer):
    sign_in_admin(client)
    page = client.get("/admin/")
    made = client.post("/admin/registration-links", data={
        "csrf_token": _csrf(page.data), "expected_issuer": issuer, "hours": "72"})
    assert made.status_code == 400 and not LINK.search(made.text)
    assert audit_events(app) == []


def test_cli_makes_a_registration_link(app, runner):
    result = runner.invoke(args=["lti", "registration-link", "--label", "Law school Moodle",
                                 "--issuer", "https://moodle.law.example.edu", "--hours", "48"])
    assert result.exit_code == 0, result.output
    assert LINK.fullmatch(result.stdout.strip())
    assert "for https://moodle.law.example.edu only" in result.stderr
    assert audit_events(app)[0][0] == "registration_link.created"
    assert audit_events(app)[0][1]["via"] == "cli"
    bad = runner.invoke(args=["lti", "registration-link", "--hours", "0"])
    assert bad.exit_code == 2 and "from 1 hour" in bad.output


def test_admin_changes_a_registration_and_the_change_is_audited(app, client):
    sign_in_admin(client)
    page = client.get("/admin/")
    form = {"csrf_token": _csrf(page.data), "name": "Faculty Moodle",
            "issuer": "https://moodle.example.test", "client_id": "xyz",
            "auth_login_url": "https://moodle.example.test/mod/lti/auth.php",
            "auth_token_url": "https://moodle.example.test/mod/lti/token.php",
            "key_set_url": "https://moodle.example.test/mod/lti/certs.php",
            "deployment_ids": "1\n4\n"}
    assert client.post("/admin/platforms", data=form).status_code == 303
    with app.app_context():
        platform_id = db.session.scalars(sa.select(Platform.id)).one()
    edit = client.get(f"/admin/platforms/{platform_id}/edit")
    assert edit.status_code == 200 and "mod/lti/certs.php" in edit.text
    changed = client.post(f"/admin/platforms/{platform_id}/edit", data={
        **form, "csrf_token": _csrf(edit.data), "issuer": "https://attacker.example",
        "client_id": "other", "key_set_url": "https://moodle.example.test/new-certs.php",
        "deployment_ids": "4\n5"})
    assert changed.status_code == 303
    with app.app_context():
        platform = db.session.scalars(sa.select(Platform)).one()
        assert (platform.issuer, platform.client_id) == ("https://moodle.example.test", "xyz")
        assert platform.key_set_url == "https://moodle.example.test/new-certs.php"
        assert platform.deployment_ids == ["4", "5"] and platform.registered_via == "manual"
    action, details = audit_events(app)[-1]
    assert action == "platform.updated"
    assert details["changes"] == {
        "key_set_url": ["https://moodle.example.test/mod/lti/certs.php",
                        "https://moodle.example.test/new-certs.php"],
        "deployment_ids": [["1", "4"], ["4", "5"]]}


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


def test_dynamic_registrations_from_before_links_are_pointed_out(app, client):
    from lti_tool.lti.registrations import PlatformDetails, register_platform

    with app.app_context():
        register_platform(PlatformDetails(
            issuer="https://old.example.edu", client_id="c1", registered_via="dynamic",
            auth_login_url="https://old.example.edu/auth", auth_token_url="https://old.example.edu/t",
            key_set_url="https://old.example.edu/k", deployment_ids=("1",)))
        db.session.commit()
    sign_in_admin(client)
    assert "without a registration link" in client.get("/admin/").text
