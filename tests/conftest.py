"""Shared fixtures: an app on empty tables, a client, a registered platform double, a
published pair, and a live HTTP server.

The database is SQLite in a temporary folder, or the PostgreSQL database named by
`PAIRWISE_TEST_DATABASE_URL` (CI runs the suite on both); under pytest-xdist each worker has
its own. Its schema is made once (tests/support/database.py); each app a test makes starts
from empty tables (tests/support/apps.py). RSA keys come from a pool made once per session
(tests/support/keys.py). What the fixtures build with lives in tests/support/; tests import
from there, never from each other or from a conftest.
"""

import os

import pytest

from tests.support import database, keys
from tests.support.apps import dispose, live, make_app
from tests.support.pairs import PublishedPair, published_pair
from tests.support.platform import PlatformDouble
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


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(
        database_url,
        tmp_path,
        BASE_URL="http://127.0.0.1:5000",
        SANDBOX_URL="http://localhost:5000/sandbox",
    )
    yield app
    dispose(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def platform(app):
    """A platform double (tests/support/platform.py) registered with the tool."""
    double = PlatformDouble()
    with app.app_context():
        double.register()
    yield double
    double.close()


@pytest.fixture
def pair(app, platform) -> PublishedPair:
    """A published pair (tests/support/pairs.py): (staff, Mona, Lena, pair id), each person
    signed in with a browser of their own."""
    return published_pair(app, platform)


@pytest.fixture
def live_server(database_url, tmp_path):
    yield from live(ThreadedServer, database_url, tmp_path)


@pytest.fixture
def live_sandbox(live_server):
    """The live server with the sandbox LMS set up and registered with the tool."""
    from lti_tool.sandbox.setup import setup_sandbox

    with live_server.app.app_context():
        setup_sandbox(live_server.tool_url)
    return live_server
