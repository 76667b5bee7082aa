"""Sessions under attack: the admin area is cookie only (no session token in its URLs, none
read there), tokens only for launched sessions, an absolute lifetime however often a leaked
token is used, signing out, no token in any log line, and a database that cannot be reached.
"""

import html
import logging
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask import request, session, url_for
from werkzeug.wrappers import Response

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.security.models import AuditEvent
from lti_tool.timeutil import as_utc, utcnow
from lti_tool.web import sessions
from lti_tool.web.sessions import WebSession, make_token
from tests.support.platform import landed_at, launch
from tests.support.statements import StatementLog

ADMIN_TOKEN = "testing-admin-token"  # config/testing.py
GUNICORN_CONF = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"
TOKEN_IN_URL = re.compile(r"[?&]pw=([^&\"'\s<>]+)")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def token_in(text: str) -> str:
    return TOKEN_IN_URL.search(text)[1]


def csrf_in(page) -> str:
    return CSRF.search(page.get_data(as_text=True))[1]


def sign_in_admin(client, base_url="http://localhost"):
    page = client.get("/admin/sign-in", base_url=base_url)
    response = client.post("/admin/sign-in", base_url=base_url,
                           data={"token": ADMIN_TOKEN, "csrf_token": csrf_in(page)},
                           headers={"Referer": base_url + "/admin/sign-in"})  # https: checked
    assert response.status_code == 303
    return response


def session_rows(app) -> list[WebSession]:
    with app.app_context():
        return list(db.session.scalars(sa.select(WebSession)))


def admin_sid(app) -> str:
    [row] = [row for row in session_rows(app) if row.data.get("is_admin")]
    return row.id


def launched(app, platform, use_cookies=True):
    """A client signed in by a real signed launch, and the token its first page carries."""
    client = app.test_client(use_cookies=use_cookies)
    response = launch(client, platform)
    assert response.status_code == 200
    return client, token_in(landed_at(response))


# --- The admin area: cookie only ---------------------------------------------------------

def test_admin_pages_carry_no_session_token(client):
    assert "pw=" not in sign_in_admin(client).headers["Location"]
    for path in ("/admin/tool-config", "/admin/"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "pw=" not in page.get_data(as_text=True), path


@pytest.mark.parametrize("base_url, secure", [("http://localhost", False),
                                              ("https://localhost", True)])
def test_the_admin_cookie_is_strict_httponly_and_only_for_admin_paths(client, base_url, secure):
    cookies = sign_in_admin(client, base_url=base_url).headers.getlist("Set-Cookie")
    [admin] = [c for c in cookies if c.startswith("pairwise_admin=")]
    assert "Path=/admin;" in admin + ";" and "HttpOnly" in admin and "SameSite=Strict" in admin
    assert ("Secure" in admin) is secure
    assert not [c for c in cookies if c.startswith("pairwise_session=")]


def test_a_token_or_the_tool_cookie_never_opens_an_admin_session(app, client):
    sign_in_admin(client)
    sid = admin_sid(app)
    with app.test_request_context():
        token = make_token(sid)
    stranger = app.test_client(use_cookies=False)
    assert stranger.get(f"/admin/?pw={token}").status_code == 302
    assert stranger.get("/admin/tool-config",
                        headers={"X-Pairwise-Session": token}).status_code == 302
    other = app.test_client()
    other.set_cookie("pairwise_session", sid)
    assert other.get("/admin/tool-config").status_code == 302
    assert client.get("/admin/tool-config").status_code == 200  # the admin's own cookie


def test_a_launch_session_never_grants_admin(app, platform):
    client, token = launched(app, platform)
    with app.app_context():  # even a launch session holding the admin flag (none ever does)
        row = db.session.scalars(sa.select(WebSession)).one()
        row.data = {**row.data, "is_admin": True}
        db.session.commit()
        sid = row.id
    assert client.get(f"/admin/?pw={token}").status_code == 302
    client.set_cookie("pairwise_admin", sid, path="/admin")
    assert client.get("/admin/tool-config").status_code == 302


def test_admin_sign_in_starts_a_new_session(app, client):
    client.get("/admin/sign-in")
    planted = {row.id for row in session_rows(app)}
    assert planted  # the sign-in page's session (its CSRF token)
    sign_in_admin(client)
    assert admin_sid(app) not in planted
    assert client.get_cookie("pairwise_admin", path="/admin").value == admin_sid(app)


# --- Tokens only for launched sessions -----------------------------------------------------

def test_only_a_launch_session_gets_a_token_in_its_urls(app):
    with app.test_request_context("/"):
        session["csrf_token"] = "x"  # a session with something in it, but no launch
        assert "pw=" not in url_for("homes.home")
        session["launch_id"] = "launch-1"
        assert "pw=" in url_for("homes.home")
    with app.test_request_context("/admin/"):
        session["launch_id"] = "launch-1"
        assert "pw=" not in url_for("homes.home")
        assert "pw=" not in url_for("admin.index")


# --- Absolute lifetime ---------------------------------------------------------------------

def renew_every_50_minutes(client, token, monkeypatch, steps=30) -> int:
    """Use the session every 50 minutes with the token each page gives; the number of the
    first step refused (0: never)."""
    start = utcnow()
    for step in range(1, steps + 1):
        later = start + timedelta(minutes=50 * step)
        monkeypatch.setattr(sessions, "utcnow", lambda later=later: later)
        page = client.get(f"/intake?pw={token}")
        if page.status_code != 200:
            assert page.status_code == 401
            return step
        token = token_in(page.get_data(as_text=True))
    return 0


def test_a_leaked_token_used_every_50_minutes_dies_after_session_max_hours(app, platform,
                                                                          monkeypatch):
    client, token = launched(app, platform, use_cookies=False)
    refused = renew_every_50_minutes(client, token, monkeypatch)
    assert refused, "the session lived on for 25 hours"
    limit = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    assert timedelta(minutes=50 * (refused - 1)) < limit <= timedelta(minutes=50 * refused)


def test_a_session_row_from_before_started_at_ends_at_most_max_hours_after_its_last_use(
        app, platform, monkeypatch):
    client, token = launched(app, platform, use_cookies=False)
    with app.app_context():
        row = db.session.scalars(sa.select(WebSession)).one()
        # Last used 7 hours ago (expires_at - idle lifetime), before the column existed.
        row.started_at, row.expires_at = None, utcnow() + timedelta(hours=1)
        db.session.commit()
        assumed_start = as_utc(row.expires_at) - timedelta(hours=8)
    refused = renew_every_50_minutes(client, token, monkeypatch)
    assert refused == 6  # 12 hours after the assumed start: 5 hours from now
    with app.app_context():
        row = db.session.scalars(sa.select(WebSession)).one()
        assert as_utc(row.started_at) == assumed_start  # stored at the first renewal


def test_the_cookie_lives_no_longer_than_the_session(app, platform):
    client, token = launched(app, platform)
    with app.app_context():
        row = db.session.scalars(sa.select(WebSession)).one()
        row.started_at = utcnow() - timedelta(hours=11, minutes=30)
        db.session.commit()
    page = client.get(f"/intake?pw={token}")
    assert page.status_code == 200
    cookie = next(c for c in page.headers.getlist("Set-Cookie")
                  if c.startswith("pairwise_session="))
    max_age = int(re.search(r"Max-Age=(\d+)", cookie)[1])
    assert 25 * 60 <= max_age <= 30 * 60


# --- Written only when there is something to keep --------------------------------------------

@pytest.fixture
def probe(app):
    """`/probe?set=value` puts `value` in the session; `/probe` only reads it."""
    def view():
        if "sign_out_elsewhere" in request.args:  # another tab's sign-out, during this request
            db.session.execute(sa.delete(WebSession))
            db.session.commit()
        if "set" in request.args:
            session["probe"] = request.args["set"]
        return str(session.get("probe"))

    app.add_url_rule("/probe", "probe", view)
    return app


def test_page_views_that_change_nothing_write_no_session_row(app, platform):
    client, token = launched(app, platform, use_cookies=False)
    with StatementLog() as log:
        for _ in range(3):  # the first page (its CSRF secret came with the launch), then more
            assert client.get(f"/intake?pw={token}").status_code == 200
    assert log.writes_to("web_session") == []
    assert len(log.reads_of("web_session")) == 3  # one query per request


def test_a_launch_writes_its_session_once(app, platform):
    with StatementLog() as log:
        launched(app, platform, use_cookies=False)
    assert [s.split("(")[0] for s in log.writes_to("web_session")] == \
        ["INSERT INTO web_session "]
    [row] = session_rows(app)
    assert "launch_id" in row.data and row.data.get("csrf_token")


def test_a_change_writes_the_session_once_and_the_same_value_again_not_at_all(probe, platform):
    client, token = launched(probe, platform, use_cookies=False)
    with StatementLog() as log:
        assert client.get(f"/probe?pw={token}&set=blue").data == b"blue"
    [write] = log.writes_to("web_session")
    assert write.startswith("UPDATE web_session SET data=")
    [row] = session_rows(probe)
    assert row.data["probe"] == "blue"
    with StatementLog() as log:
        assert client.get(f"/probe?pw={token}&set=blue").data == b"blue"
        assert client.get(f"/probe?pw={token}").data == b"blue"
    assert log.writes_to("web_session") == []


def test_the_idle_expiry_is_pushed_forward_when_due_not_per_request(app, platform, monkeypatch):
    client, token = launched(app, platform, use_cookies=False)
    [before] = session_rows(app)
    start = utcnow()

    def view_at(offset):
        monkeypatch.setattr(sessions, "utcnow", lambda: start + offset)
        with StatementLog() as log:
            assert client.get(f"/intake?pw={token}").status_code == 200
        return log.writes_to("web_session")

    assert view_at(sessions.REFRESH_AFTER - timedelta(minutes=1)) == []
    [write] = view_at(sessions.REFRESH_AFTER + timedelta(minutes=1))
    assert write.startswith("UPDATE web_session SET expires_at=")  # the data is not rewritten
    [after] = session_rows(app)
    pushed = as_utc(after.expires_at) - as_utc(before.expires_at)
    assert timedelta(minutes=5) < pushed < timedelta(minutes=7)
    assert after.data == before.data and after.started_at == before.started_at
    assert view_at(sessions.REFRESH_AFTER + timedelta(minutes=3)) == []


def test_a_session_signed_out_elsewhere_meanwhile_is_not_written_back(probe, platform):
    client, token = launched(probe, platform, use_cookies=False)
    assert client.get(f"/probe?pw={token}&set=blue&sign_out_elsewhere=1").data == b"blue"
    assert session_rows(probe) == []  # the change found no row to update, made none


# --- Signing out ---------------------------------------------------------------------------

@pytest.mark.parametrize("use_cookies", [True, False], ids=["cookie", "framed, token only"])
def test_signing_out_ends_the_session_its_token_and_its_cookie(app, platform, use_cookies):
    client, token = launched(app, platform, use_cookies=use_cookies)
    page = client.get(f"/intake?pw={token}")
    [sid] = [row.id for row in session_rows(app)]
    form = re.search(r'<form id="signout" method="post" hidden\s+action="([^"]+)"',
                     page.get_data(as_text=True))
    assert 'type="submit" form="signout">Sign out</button>' in page.get_data(as_text=True)
    action = html.unescape(form[1])
    assert action.startswith("/sign-out?pw=")
    response = client.post(action, data={"csrf_token": csrf_in(page)})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "You are signed out" in text and "open the Pairwise activity again" in text
    assert 'form="signout"' not in text
    assert session_rows(app) == []
    if use_cookies:
        assert client.get_cookie("pairwise_session") is None  # cleared by the response
    stranger = app.test_client(use_cookies=False)
    refused = stranger.get(f"/intake?pw={token}")
    assert refused.status_code == 401 and b"open Pairwise from your course" in refused.data
    stranger = app.test_client()
    stranger.set_cookie("pairwise_session", sid)
    assert stranger.get("/intake").status_code == 401


def test_admin_sign_out(app, client):
    sign_in_admin(client)
    sid = admin_sid(app)
    page = client.get("/admin/tool-config")
    assert re.search(r'<form id="signout" method="post" hidden\s+action="/admin/sign-out">',
                     page.get_data(as_text=True))
    response = client.post("/admin/sign-out", data={"csrf_token": csrf_in(page)})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "You are signed out" in text and 'href="/admin/sign-in"' in text
    assert client.get("/admin/tool-config").status_code == 302
    stranger = app.test_client()
    stranger.set_cookie("pairwise_admin", sid, path="/admin")
    assert stranger.get("/admin/tool-config").status_code == 302
    assert sid not in {row.id for row in session_rows(app)}
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id))
        assert list(actions) == ["admin.signed_in", "admin.signed_out"]


# --- No token in any log line ---------------------------------------------------------------

class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def text(self) -> str:
        """Everything a handler could write: messages, arguments, tracebacks."""
        formatter = logging.Formatter("%(message)s")
        return "\n".join(f"{formatter.format(r)} {r.msg!r} {r.args!r}" for r in self.records)


def test_the_development_servers_request_log_has_no_token(live_sandbox):
    from lti_tool.sandbox.setup import add_activity
    from lti_tool.sandbox.testing import browser_launch, launch_form

    werkzeug_log, records = logging.getLogger("werkzeug"), Records()
    werkzeug_log.addHandler(records)
    try:
        with live_sandbox.app.app_context():
            login_url, fields = launch_form("6", add_activity("Mentoring").id)
        page = browser_launch(requests.Session(), login_url, fields).response
        token = token_in(page.text)  # the intake the launch answered with: its links
        again = requests.get(f"{live_sandbox.tool_url}/intake?pw={token}&x=1", timeout=10)
        assert again.status_code == 200
        deadline = time.monotonic() + 5  # the server thread logs as it answers
        while "/intake?pw=" not in records.text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        werkzeug_log.removeHandler(records)
    logged = records.text()
    assert "/intake?pw=[redacted]&x=1" in logged
    assert token not in logged and token.split(".")[-1] not in logged


def test_the_filter_covers_arguments_mappings_and_tracebacks():
    from lti_tool.security.redaction import FILTER

    secret = "eyJzaWQiOiJ4In0.aBcDeF.s1gn4ture-_"
    records = Records()
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(records)
    logger.addFilter(FILTER)
    logger.propagate = False
    try:
        logger.warning("GET %s", f"/intake?pw={secret}")
        logger.warning("%(r)s", {"r": f"GET /x?a=1&pw={secret} HTTP/1.1"})
        logger.warning(f"next=%2Fintake%3Fpw%3D{secret}")
        try:
            raise ValueError(f"/page?pw={secret}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(records)
        logger.removeFilter(FILTER)
    logged = records.text()
    assert secret not in logged and "s1gn4ture" not in logged
    assert logged.count("[redacted]") >= 4 and "a=1&pw=[redacted]" in logged


def gunicorn_logger(**settings):
    """gunicorn's logger as deploy/gunicorn.conf.py makes it, loaded by gunicorn's own code."""
    cfg = gunicorn_config(**settings)
    return cfg.logger_class(cfg)


def gunicorn_config(**settings):
    """deploy/gunicorn.conf.py as gunicorn's own code reads it."""
    from gunicorn.app.base import Application
    from gunicorn.config import Config

    class ConfigOnly(Application):
        def __init__(self):  # no command line to parse
            self.cfg = Config()

        def load(self):
            raise NotImplementedError

        def init(self, parser, opts, args):
            raise NotImplementedError

    loader = ConfigOnly()
    loader.load_config_from_file(str(GUNICORN_CONF))
    for name, value in settings.items():
        loader.cfg.set(name, value)
    return loader.cfg


def test_a_worker_freezes_what_loading_the_app_made():
    """gunicorn calls the config's post_worker_init once the worker has loaded the app: the
    objects that exist then are moved out of the garbage collector's walks."""
    import gc

    garbage = [[] for _ in range(1000)]  # objects a loaded app would hold
    frozen_before = gc.get_freeze_count()
    try:
        gunicorn_config().post_worker_init(object())
        assert gc.get_freeze_count() >= frozen_before + len(garbage)
    finally:
        gc.unfreeze()


def test_the_gunicorn_config_redacts_error_and_access_lines():
    from types import SimpleNamespace

    secret = "eyJzaWQiOiJ4In0.aBcDeF.s1gn4ture-_"
    logger = gunicorn_logger(access_log_format="%(r)s %(q)s")  # a format that prints queries
    records = Records()
    for log in (logger.error_log, logger.access_log):
        log.addHandler(records)
    try:
        logger.error("Error handling request %s", f"/intake?pw={secret}")
        try:
            raise RuntimeError(f"while serving /intake?pw={secret}")
        except RuntimeError:
            logger.exception("Error handling request %s %s", "GET", f"/intake?pw={secret}")
        environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/intake?pw={secret}",
                   "PATH_INFO": "/intake", "QUERY_STRING": f"pw={secret}",
                   "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
        request = SimpleNamespace(headers=[], method="GET", path="/intake",
                                  query=f"pw={secret}", uri=f"/intake?pw={secret}")
        response = SimpleNamespace(status="200 OK", headers=[], sent=2, response_length=2)
        logger.access(response, request, environ, timedelta(milliseconds=3))
    finally:
        for log in (logger.error_log, logger.access_log):
            log.handlers.clear()
            log.filters.clear()
    logged = records.text()
    assert logged.count("/intake?pw=[redacted]") >= 3 and "GET /intake?pw=[redacted]" in logged
    assert secret not in logged and "s1gn4ture" not in logged


BOOM_APP = '''
def app(environ, start_response):
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("failed")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
'''


def test_a_real_gunicorn_with_the_deploy_config_logs_no_token(tmp_path):
    """The deploy config on a loopback port: a request that fails is logged with its URL in
    the error log, and an access format that prints queries; neither shows the token."""
    (tmp_path / "boom.py").write_text(BOOM_APP)
    out, err = tmp_path / "access.log", tmp_path / "error.log"
    env = {"PAIRWISE_BIND": "127.0.0.1:0", "WEB_CONCURRENCY": "1", "PAIRWISE_THREADS": "1",
           "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--chdir",
               str(tmp_path), "--access-logformat", "%(r)s %(s)s", "boom:app"]
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env)  # noqa: S603
    try:
        port = _listening_port(err, server)
        secret = "eyJzaWQiOiJ4In0.aBcDeF.s1gn4ture-_"
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/boom?pw={secret}", timeout=10).status_code == 500
        assert requests.get(f"{base}/ok?pw={secret}", timeout=10).status_code == 200
        _wait_for(lambda: "/ok?pw=" in out.read_text(), server)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    errors, access = err.read_text(), out.read_text()
    assert "Error handling request GET /boom?pw=[redacted]" in errors
    assert "GET /boom?pw=[redacted] HTTP/1.1" in access
    assert "GET /ok?pw=[redacted] HTTP/1.1" in access
    assert "s1gn4ture" not in errors + access


def _wait_for(condition, server, seconds=20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert server.poll() is None, "gunicorn exited"
        assert time.monotonic() < deadline, "gunicorn did not get there in time"
        time.sleep(0.1)


def _listening_port(error_log: Path, server) -> int:
    _wait_for(lambda: "Booting worker" in error_log.read_text(), server)
    return int(re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", error_log.read_text())[1])


# --- A database that cannot be reached -----------------------------------------------------

def test_an_unreachable_database_gives_an_empty_session_that_is_never_saved(tmp_path, caplog):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db"},
                     env="testing")
    app.instance_path = str(tmp_path)
    sid = "s" * 43
    with app.test_request_context("/intake", headers={"Cookie": f"pairwise_session={sid}"}):
        opened = session._get_current_object()
        assert not opened and opened.sid is None
        response = Response("page")
        session["csrf_token"] = "x"  # written by the page: still nothing to save
        app.session_interface.save_session(app, opened, response)
        assert "Set-Cookie" not in response.headers
    warnings = [r for r in caplog.records if r.name == "lti_tool.web.sessions"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    with app.app_context():
        db.engine.dispose()
