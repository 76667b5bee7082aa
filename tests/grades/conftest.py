"""Fixtures for grade tests against the sandbox LMS over real HTTP: the live server with
short HTTP timeouts and its traffic recorded (and breakable), and a small graded cohort
(built with tests/support/grades.py)."""

from dataclasses import dataclass

import pytest

from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.sandbox import platform
from tests.support.grades import Cohort, Traffic, build_cohort


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
