"""When the database cannot be reached, every request gets the tool's own 503 (an HTML page for
people, JSON for services) with Retry-After and one log line, never a traceback or the WSGI
server's bare "Internal Server Error": whether the database was never there, goes away
between requests or in the middle of one, and whether or not the session could be opened.

The databases are really unreachable: a SQLite file in a folder that does not exist, and (in
PostgreSQL runs of the suite) a PostgreSQL URL on a closed port. Apps here answer errors as in
production (PROPAGATE_EXCEPTIONS off): under TESTING, Flask would raise the errors that
happen outside a view into the test instead.
"""

import contextlib
import os
import socket

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from lti_tool import create_app
from lti_tool.extensions import babel, db
from lti_tool.lti.models import ToolKey
from lti_tool.web.sessions import DatabaseSessionInterface, WebSession
from tests.support.clients import Participant

TITLE = b"Pairwise is briefly unavailable"
PERSON = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
SERVICE = {"Accept": "application/json"}
LOGIN = {"iss": "https://moodle.example.test", "login_hint": "4"}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dead_url(dialect: str) -> str:
    if dialect == "sqlite":
        return "sqlite:////nonexistent-dir/pairwise.db"
    return f"postgresql+psycopg://pairwise@127.0.0.1:{closed_port()}/x"


DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not os.environ.get("PAIRWISE_TEST_DATABASE_URL"),
    reason="PostgreSQL runs of the suite (PAIRWISE_TEST_DATABASE_URL) only"))]


@pytest.fixture(params=DIALECTS)
def dead_app(request, tmp_path):
    """An app whose database was never reachable."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": dead_url(request.param),
                      "PROPAGATE_EXCEPTIONS": False}, env="testing")
    app.instance_path = str(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


def assert_unavailable_page(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.mimetype == "text/html"
    assert TITLE in response.data
    assert b"Error 503" in response.data
    assert "form-action 'none'" in response.headers["Content-Security-Policy"]


def assert_unavailable_json(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.get_json()
    assert body["error"] == "unavailable" and "cannot reach its database" in body["message"]


def assert_logged_once(caplog, count=1):
    """One line per 503 from lti_tool.errors, and no traceback from anyone."""
    lines = [r for r in caplog.records if "database unavailable" in r.getMessage()
             and r.name == "lti_tool.errors"]
    assert len(lines) == count
    assert "answered 503" in lines[0].getMessage()
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


# --- A database that was never there -------------------------------------------------------

def test_a_person_gets_the_unavailable_page(dead_app, caplog):
    response = dead_app.test_client().get("/lti/login", query_string=LOGIN, headers=PERSON)
    assert_unavailable_page(response)
    assert_logged_once(caplog)


def test_a_service_gets_json(dead_app, caplog):
    response = dead_app.test_client().get("/lti/jwks", headers=SERVICE)
    assert_unavailable_json(response)
    assert_logged_once(caplog)


def test_the_health_check_says_when_to_retry(dead_app):
    response = dead_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json() == {"status": "error", "database": "unreachable"}


class SessionsThatRaise(DatabaseSessionInterface):
    """Opening a session reads the web_session table and lets its error out, as the session
    interface did before it learned to open an empty session on a dead database: the error
    reaches Flask.handle_exception, outside any view, with no session to save afterwards."""

    def open_session(self, app, request):
        db.session.execute(sa.select(WebSession).limit(1))
        return super().open_session(app, request)


@pytest.mark.parametrize(("headers", "check"), [(PERSON, assert_unavailable_page),
                                                (SERVICE, assert_unavailable_json)])
def test_an_error_while_opening_the_session_gets_the_same_answer(dead_app, caplog, headers,
                                                                 check):
    dead_app.session_interface = SessionsThatRaise()
    response = dead_app.test_client().get("/", headers=headers)
    check(response)
    assert_logged_once(caplog)


# --- A working database that goes away -----------------------------------------------------

@contextlib.contextmanager
def cut_off(app):
    """From now on every new connection of the app's engine goes where nothing answers (the
    real driver fails to connect); the pooled ones are closed. Undone on exit."""
    with app.app_context():
        engine = db.engine
        dead = sa.create_engine(dead_url(engine.dialect.name))
        args, kwargs = dead.dialect.create_connect_args(dead.url)
        dead.dispose()

        def elsewhere(_dialect, _record, cargs, cparams):
            cargs[:] = args
            cparams.clear()
            cparams.update(kwargs)

        sa.event.listen(engine, "do_connect", elsewhere)
        engine.dispose()
    try:
        yield
    finally:
        with app.app_context():
            sa.event.remove(engine, "do_connect", elsewhere)
            engine.dispose()


@pytest.fixture
def signed_in(app, platform):
    """A learner's browser, signed in (no cookies: the token in its URLs carries the
    session), on an app that answers errors as in production."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    learner = Participant(app, platform, "4", "Learner", "Sam Student-One")
    client, token = learner.client, learner.token
    assert client.get("/intake", query_string={"pw": token}).status_code == 200
    return client, token


def test_a_database_that_goes_away_between_requests(app, signed_in, caplog):
    client, token = signed_in
    with cut_off(app):
        assert_unavailable_page(client.get("/intake", query_string={"pw": token},
                                           headers=PERSON))
        assert_unavailable_page(client.post("/intake", query_string={"pw": token},
                                            data={"topics": ["Leadership"]}, headers=PERSON))
        assert_unavailable_page(client.post("/lti/login", data=LOGIN, headers=PERSON))
        assert_unavailable_json(client.get("/lti/jwks", headers=SERVICE))
        assert client.get("/healthz").status_code == 503
        assert_logged_once(caplog, count=4)
    # Back again: nothing of the outage stuck, the session included.
    assert client.get("/healthz").status_code == 200
    assert client.get("/intake", query_string={"pw": token}).status_code == 200


@pytest.fixture
def dying_connection(app):
    """`dying_connection.set()`: in the next request, once the person is loaded (a hook
    registered after load_enrolment), the request's connection dies and the database is
    cut off until the test ends."""
    import threading

    armed, outage = threading.Event(), cut_off(app)

    @app.before_request
    def connection_dies():
        if armed.is_set():
            armed.clear()
            outage.__enter__()
            db.session.connection().connection.dbapi_connection.close()

    yield armed
    with contextlib.suppress(RuntimeError):  # entered only if the request came
        outage.__exit__(None, None, None)


def test_a_database_that_goes_away_in_the_middle_of_a_request(dying_connection, signed_in,
                                                              caplog):
    """The enrolment was loaded before the connection died: the 503 page must not touch it
    (rendering it would need the database: the rollback expired it)."""
    client, token = signed_in
    dying_connection.set()
    response = client.get("/intake", query_string={"pw": token}, headers=PERSON)
    assert not dying_connection.is_set()  # the connection did die in that request
    assert_unavailable_page(response)
    assert_logged_once(caplog)


# --- The page's language, and bugs that are not outages -------------------------------------

@pytest.fixture
def french(tmp_path):
    """A French catalogue holding the 503 page's title."""
    directory = tmp_path / "translations"
    (directory / "fr" / "LC_MESSAGES").mkdir(parents=True)
    catalog = Catalog(locale="fr")
    catalog.add("Pairwise is briefly unavailable", "Pairwise est momentanément indisponible")
    with (directory / "fr" / "LC_MESSAGES" / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    yield str(directory)
    babel.domain_instance.cache.clear()


def test_the_page_is_in_the_browsers_language(tmp_path, french):
    app = create_app({"SQLALCHEMY_DATABASE_URI": dead_url("sqlite"),
                      "PROPAGATE_EXCEPTIONS": False, "BABEL_TRANSLATION_DIRECTORIES": french},
                     env="testing")
    app.instance_path = str(tmp_path)
    with app.app_context():
        babel.domain_instance.cache.clear()
    response = app.test_client().get("/lti/jwks", headers={**PERSON, "Accept-Language": "fr"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page and "Pairwise est momentanément indisponible" in page


def test_a_missing_table_is_a_bug_not_an_outage(app, caplog):
    """SQLite reports both as OperationalError: only an outage is a 503."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        db.session.execute(sa.text("DROP TABLE lti_tool_key"))
        db.session.commit()
    try:
        response = app.test_client().get("/lti/jwks", headers=PERSON)
    finally:
        with app.app_context():  # the schema is shared by the session's tests
            ToolKey.__table__.create(db.engine)
    assert response.status_code == 500
    assert any(r.exc_info for r in caplog.records)  # a bug keeps its traceback


@pytest.mark.parametrize(("error", "expected"), [
    (sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
    (sa.exc.InterfaceError("SELECT 1", {}, Exception("connection already closed")), True),
    (sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"), True),
    (sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key")), False),
    (sa.exc.ProgrammingError("SELEC", {}, Exception("syntax error")), False),
    (sa.exc.PendingRollbackError("Can't reconnect until invalid transaction is rolled back"),
     False),
    (ValueError("not a database error"), False),
])
def test_what_counts_as_unavailable(error, expected):
    from lti_tool.dbutil import database_unavailable

    assert database_unavailable(error) is expected


def test_a_lost_connection_counts_whatever_the_class():
    from lti_tool.dbutil import database_unavailable

    lost = sa.exc.ProgrammingError("SELECT 1", {}, Exception("closed"),
                                   connection_invalidated=True)
    assert database_unavailable(lost)
