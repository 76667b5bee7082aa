"""Fixtures for grade tests against the sandbox LMS over real HTTP: the live server (keeping
connections alive, as the worker's pool expects) with short HTTP timeouts and its traffic
recorded (and breakable), a small graded cohort (built with tests/support/grades.py), and a
fast AGS endpoint (tests/support/fast_ags.py) a cohort can be pointed at."""

from dataclasses import dataclass

import pytest

from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.sandbox import platform
from tests.support.apps import live
from tests.support.fast_ags import FastAGS
from tests.support.grades import Cohort, Traffic, build_cohort
from tests.support.keepalive import KeepAliveWSGIServer


@pytest.fixture
def live_server(database_url, tmp_path):
    """tests/conftest.py's live server, on an HTTP/1.1 server that keeps connections alive."""
    yield from live(KeepAliveWSGIServer, database_url, tmp_path)


@pytest.fixture
def fast_ags():
    ags = FastAGS()
    yield ags
    ags.close()


@pytest.fixture(scope="session")
def _platform_private_key():
    return platform.new_private_key()


@pytest.fixture(autouse=True)
def _fast_platform_key(monkeypatch, _platform_private_key):
    """One platform key for the session (generating a 2048-bit key per test is slow)."""
    monkeypatch.setattr(platform, "new_private_key", lambda: _platform_private_key)


@dataclass
class Grading:
    server: object
    traffic: Traffic

    @property
    def app(self):
        return self.server.app


@pytest.fixture
def grading(live_sandbox) -> Grading:
    app = live_sandbox.app
    # These tests drive recompute explicitly; tests/grades/test_hooks.py covers the hook.
    app.config.update(GRADES_RETRY_SECONDS=60, GRADES_MAX_ATTEMPTS=3,
                      GRADES_FOLLOW_ACTIVITY=False)
    with app.app_context():
        keys.ensure_key()  # generated now, not while the LMS fetches the tool's JWKS
        db.session.commit()
    return Grading(live_sandbox, Traffic(app))


@pytest.fixture
def cohort(grading) -> Cohort:
    with grading.app.app_context():
        return build_cohort(learners=3, mentors=1)


@pytest.fixture
def small_cohort(app):
    """Two learners and a mentor graded in the app's own database, with no live server;
    grades follow the activity only when a test recomputes them."""
    from lti_tool.sandbox.setup import setup_sandbox

    app.config["GRADES_FOLLOW_ACTIVITY"] = False
    with app.app_context():
        setup_sandbox("http://127.0.0.1:5000")
        yield build_cohort(learners=2, mentors=1)
