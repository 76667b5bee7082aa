"""Security headers: the Content-Security-Policy of the tool's pages and the sandbox's, its
platform origins (and how fast they follow registration changes), HSTS, cookie attributes."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from lti_tool.extensions import db
from lti_tool.lti import caches, registration_links
from lti_tool.lti.models import Platform
from lti_tool.lti.registrations import PlatformDetails, register_platform
from lti_tool.security import headers
from tests.support.platform import PlatformDouble, launch, start_login

ROOT = Path(__file__).resolve().parents[2]
DEV_ORIGINS = "'self' http://localhost:5000 http://127.0.0.1:5000"


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {name: value.strip() for name, _, value in
            (part.strip().partition(" ") for part in policy.split(";"))}


def test_tool_pages_get_a_strict_policy(client):
    response = client.get("/admin/sign-in")
    policy = directives(response)
    assert policy["default-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert "script-src" not in policy and "style-src" not in policy  # 'self' by default-src
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    # In testing and development, the sandbox LMS (another origin) frames the tool.
    assert policy["frame-ancestors"] == DEV_ORIGINS
    assert policy["form-action"] == DEV_ORIGINS
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers


def test_error_pages_get_the_policy_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert directives(response)["default-src"] == "'self'"


def test_json_and_other_types_get_no_policy_but_the_other_headers(client):
    response = client.get("/lti/jwks")
    assert response.mimetype == "application/json"
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_registered_platforms_may_frame_the_tool_and_receive_its_forms(app, client, platform):
    with app.app_context():
        register_platform(PlatformDetails(
            issuer="https://moodle.example.edu", client_id="abc",
            auth_login_url="https://sso.example.edu:8443/mod/lti/auth.php",
            auth_token_url="https://moodle.example.edu/token",
            key_set_url="https://keys.example.edu/certs", deployment_ids=("1",)))
        db.session.commit()
    policy = directives(client.get("/admin/sign-in"))
    expected = (f"{DEV_ORIGINS} https://moodle.example.test https://moodle.example.edu "
                "https://sso.example.edu:8443")
    assert policy["frame-ancestors"] == expected
    assert policy["form-action"] == expected
    assert "keys.example.edu" not in str(policy)  # only the issuer and the login URL count


def test_a_launched_page_carries_the_platform_origin(app, client, platform):
    page = launch(client, platform)  # answered with the intake
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "https://moodle.example.test" in directives(page)["frame-ancestors"].split()


def test_registration_changes_refresh_the_origins_at_once(app, client):
    assert "https://new.example.edu" not in client.get("/admin/sign-in").headers[
        "Content-Security-Policy"]
    with app.app_context():
        register_platform(PlatformDetails(
            issuer="https://new.example.edu", client_id="x", auth_login_url="https://new.example.edu/auth",
            auth_token_url="https://new.example.edu/t", key_set_url="https://new.example.edu/k",
            deployment_ids=("1",)))
        db.session.commit()
    assert "https://new.example.edu" in directives(client.get("/admin/sign-in"))["frame-ancestors"]
    with app.app_context():
        db.session.delete(db.session.scalars(sa.select(Platform)).one())
        db.session.commit()
    assert "https://new.example.edu" not in client.get("/admin/sign-in").headers[
        "Content-Security-Policy"]


def test_a_rolled_back_registration_does_not_refresh(app, client):
    client.get("/admin/sign-in")
    generation = caches.generation()
    with app.app_context():
        db.session.add(Platform(issuer="https://rolled.example", client_id="x",
                                auth_login_url="https://rolled.example/a",
                                auth_token_url="https://rolled.example/t",
                                key_set_url="https://rolled.example/k"))
        db.session.flush()
        db.session.rollback()
    assert caches.generation() == generation


def test_another_process_s_registration_shows_after_the_cache_time(app, client, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(headers.time, "monotonic", lambda: clock[0])
    client.get("/admin/sign-in")
    with app.app_context():  # as another process would: no ORM events here
        db.session.execute(sa.insert(Platform).values(
            issuer="https://other.example.edu", client_id="x", name="", product_family="",
            registered_via="manual", auth_login_url="https://other.example.edu/auth",
            auth_token_url="https://other.example.edu/t", key_set_url="https://k.example/k"))
        db.session.commit()
    assert "other.example.edu" not in client.get("/admin/sign-in").headers[
        "Content-Security-Policy"]
    clock[0] += app.config["CSP_PLATFORM_CACHE_SECONDS"] + 1
    assert "https://other.example.edu" in directives(client.get("/admin/sign-in"))[
        "frame-ancestors"]


def test_configured_extra_origins_are_added(app, client):
    app.config["CSP_EXTRA_ORIGINS"] = "https://school.instructure.com, https://x.example:444/path"
    caches.forget_all()
    policy = directives(client.get("/admin/sign-in"))
    assert policy["frame-ancestors"].endswith(
        "https://school.instructure.com https://x.example:444")


def test_production_has_no_development_origins(production_app):
    policy = directives(production_app.test_client().get("/admin/sign-in",
                                                         base_url="https://tool.example.edu"))
    assert policy["frame-ancestors"] == "'self'"
    assert policy["form-action"] == "'self'"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://moodle.example.edu/", "https://moodle.example.edu"),
    ("https://Moodle.Example.EDU:443/mod/lti/auth.php?x=1", "https://moodle.example.edu"),
    ("http://localhost:5000/sandbox", "http://localhost:5000"),
    ("http://127.0.0.1:80/x", "http://127.0.0.1"),
    ("https://[::1]:8443/x", "https://[::1]:8443"),
    ("https://lms.example.edu;script-src *", None),
    ("https://lms.example.edu'unsafe-inline'", None),
    ("https://lms.example.edu\n", "https://lms.example.edu"),
    ("https://a b.example", None),
    ("javascript:alert(1)", None),
    ("data:text/html,x", None),
    ("ftp://files.example", None),
    ("https://host:99999", None),
    ("", None),
    ("not a url", None),
])
def test_origin_of_a_url(url, expected):
    assert headers.origin(url) == expected


def test_a_hostile_registration_cannot_inject_directives(app, client):
    with app.app_context():
        db.session.add(Platform(issuer="https://evil.example; script-src *", client_id="x",
                                auth_login_url="https://evil.example 'unsafe-inline'/auth",
                                auth_token_url="https://e/t", key_set_url="https://e/k"))
        db.session.commit()
    policy = client.get("/admin/sign-in").headers["Content-Security-Policy"]
    assert "evil" not in policy and "unsafe-inline" not in policy and "*" not in policy


def test_dynamic_registration_may_be_framed_by_the_registering_platform(app, client):
    with app.test_request_context():
        path = urlsplit(registration_links.issue().url).path
        db.session.commit()
    query = {"openid_configuration": "https://lms.example.edu/mod/lti/openid-configuration.php",
             "registration_token": "t"}
    page = client.get(path, query_string=query)
    assert page.status_code == 200
    policy = directives(page)
    assert policy["frame-ancestors"] == f"{DEV_ORIGINS} https://lms.example.edu"
    assert "lms.example.edu" not in policy["form-action"]
    # ...and only that endpoint.
    assert "lms.example.edu" not in client.get("/admin/sign-in", query_string=query).headers[
        "Content-Security-Policy"]


def test_sandbox_pages_have_their_own_policy(app, client):
    page = client.get("/sandbox/register-tool", base_url="http://localhost:5000")
    policy = directives(page)
    assert policy["script-src"] == "'self' 'unsafe-inline'"  # its auto-submitting pages
    assert policy["frame-src"] == "'self' http: https:"
    assert policy["frame-ancestors"] == DEV_ORIGINS


def test_hsts_only_in_production_over_https(production_app, client):
    secure = production_app.test_client().get("/healthz", base_url="https://tool.example.edu")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    plain = production_app.test_client().get("/healthz", base_url="http://tool.example.edu")
    assert "Strict-Transport-Security" not in plain.headers
    # Behind the proxy (PROXY_COUNT=1): https as the proxy reports it.
    proxied = production_app.test_client().get(
        "/healthz", base_url="http://tool.example.edu",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert "Strict-Transport-Security" in proxied.headers
    assert "Strict-Transport-Security" not in client.get(
        "/healthz", base_url="https://127.0.0.1:5000").headers


def test_production_session_cookie_works_in_a_cross_site_iframe(production_app):
    # The platform double serves its keys over http on loopback, which production refuses.
    production_app.config.update(OUTBOUND_HTTPS_ONLY=False, OUTBOUND_BLOCKED_HOSTS="",
                                 OUTBOUND_ALLOWED_PORTS="")
    double = PlatformDouble()
    try:
        with production_app.app_context():
            double.register()
        client = production_app.test_client()
        _, state, nonce = start_login(client, double, base_url="https://tool.example.edu",
                                      target_link_uri="https://tool.example.edu/lti/launch")
        page = client.post("/lti/launch", base_url="https://tool.example.edu",
                           data={"id_token": double.sign(double.claims(nonce)), "state": state})
    finally:
        double.close()
    assert page.status_code == 200, page.text
    cookie = page.headers["Set-Cookie"]
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned", "Path=/"):
        assert attribute in cookie


def test_no_template_has_inline_scripts_styles_or_handlers():
    """The policy allows no inline code: keep it out of the tool's templates (the sandbox
    LMS has its own policy; e-mails are read in mail clients, which need inline styles and
    never run scripts)."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "templates").rglob("*.html")
        if not {"sandbox", "email"} & set(path.relative_to(ROOT / "templates").parts)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if inline.search(line)
    ]
    assert offenders == []


def test_an_unreadable_registration_table_keeps_the_last_origins(app, client, platform,
                                                                 monkeypatch, caplog):
    first = client.get("/admin/sign-in").headers["Content-Security-Policy"]
    assert "https://moodle.example.test" in first

    def broken():
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(headers, "_platform_urls", broken)
    caches.forget_all()
    response = client.get("/admin/sign-in")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == first
    assert any("cannot read platform registrations" in r.getMessage() for r in caplog.records)
