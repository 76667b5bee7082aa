"""Shared fixtures: an app on empty tables, a client, and a live HTTP server.

The database is SQLite in a temporary folder, or the PostgreSQL database named by
`PAIRWISE_TEST_DATABASE_URL` (CI runs the suite on both); under pytest-xdist each worker has
its own. Its schema is made once (tests/support/database.py); each app a test makes starts
from empty tables. RSA keys come from a pool made once per session (tests/support/keys.py).
"""

import os

import pytest

from lti_tool import create_app
from lti_tool.extensions import db
from tests.support import database, keys
from tests.support.servers import ThreadedServer


@pytest.fixture(scope="session", autouse=True)
def _pooled_keys():
    with pytest.MonkeyPatch.context() as monkeypatch:
        keys.install(monkeypatch)
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("PAIRWISE_TEST_DATABASE_URL")
    if url:
        return database.worker_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'pairwise-test.db'}"


def _make_app(database_url, tmp_path, env="testing", **overrides):
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    app = create_app(settings, env=env)
    app.instance_path = str(tmp_path)
    with app.app_context():
        database.prepare(app)
    return app


def _dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    app = _make_app(
        database_url,
        tmp_path,
        BASE_URL="http://127.0.0.1:5000",
        SANDBOX_URL="http://localhost:5000/sandbox",
    )
    yield app
    _dispose(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def platform(app):
    """A platform double (tests/platform_double.py) registered with the tool."""
    from tests.platform_double import PlatformDouble

    double = PlatformDouble()
    with app.app_context():
        double.register()
    yield double
    double.close()


class LiveServer:
    """The app served over real HTTP on an ephemeral port: the tool answers on 127.0.0.1,
    the sandbox LMS on `localhost` (another site, as an LMS would be)."""

    def __init__(self, app, port):
        self.app = app
        self.port = port
        self.tool_url = f"http://127.0.0.1:{port}"
        self.sandbox_url = f"http://localhost:{port}/sandbox"


@pytest.fixture
def live_server(database_url, tmp_path):
    holder = {}
    server = ThreadedServer(lambda env, start: holder["app"](env, start))
    port = server.port
    app = _make_app(
        database_url,
        tmp_path,
        BASE_URL=f"http://127.0.0.1:{port}",
        SANDBOX_URL=f"http://localhost:{port}/sandbox",
    )
    holder["app"] = app
    try:
        yield LiveServer(app, port)
    finally:
        server.close()
        _dispose(app)


@pytest.fixture
def live_sandbox(live_server):
    """The live server with the sandbox LMS set up and registered with the tool."""
    from lti_tool.sandbox.setup import setup_sandbox

    with live_server.app.app_context():
        setup_sandbox(live_server.tool_url)
    return live_server
