"""The administrator's pages: signing in with the admin token, platforms registered by hand
and changed (every change audited), registration links shown once, and dynamic registrations
made before links existed pointed out."""

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.lti.models import Platform
from tests.support.admin import REGISTRATION_LINK, audit_events, sign_in_admin
from tests.support.clients import csrf_token


def test_admin_sign_in_and_manual_registration(app, client):
    assert sign_in_admin(client, "wrong").status_code == 401
    assert sign_in_admin(client).status_code == 303
    page = client.get("/admin/")
    assert b"No platform is registered yet" in page.data
    form = {
        "csrf_token": csrf_token(page.data), "name": "Faculty Moodle",
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
                          data={"csrf_token": csrf_token(listing.data)})
    assert removed.status_code == 303
    with app.app_context():
        assert db.session.scalars(sa.select(Platform)).all() == []


def test_admin_makes_a_registration_link_that_is_shown_once(app, client):
    sign_in_admin(client)
    page = client.get("/admin/")
    assert b"Make a registration link" in page.data and b"Add LTI Advantage" in page.data
    made = client.post("/admin/registration-links", data={
        "csrf_token": csrf_token(page.data), "label": "Faculty Moodle",
        "expected_issuer": "https://moodle.example.edu/", "hours": "24"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    url = REGISTRATION_LINK.search(made.text).group(0)
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
                            data={"csrf_token": csrf_token(listing.data)})
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
        "csrf_token": csrf_token(page.data), "expected_issuer": issuer, "hours": "72"})
    assert made.status_code == 400 and not REGISTRATION_LINK.search(made.text)
    assert audit_events(app) == []


def test_admin_changes_a_registration_and_the_change_is_audited(app, client):
    sign_in_admin(client)
    page = client.get("/admin/")
    form = {"csrf_token": csrf_token(page.data), "name": "Faculty Moodle",
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
        **form, "csrf_token": csrf_token(edit.data), "issuer": "https://attacker.example",
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
