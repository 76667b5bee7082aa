"""Fixtures for tests that call the meeting services directly: the published pair inside a
request (for `url_for`), with the meetings clock fixed (tests/support/meeting_clock.py), and
the landing module's `link_for` recorded (tests/support/notified.py)."""

import pytest

from lti_tool.extensions import db
from lti_tool.meetings import calendars, services
from lti_tool.pairs.models import Pair
from tests.support.meeting_clock import NOW, Clock, Members
from tests.support.notified import LinkRecorder


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fixed = Clock(NOW)
    monkeypatch.setattr(services, "utcnow", fixed)
    monkeypatch.setattr(calendars, "utcnow", fixed)
    return fixed


@pytest.fixture
def members(app, pair, clock):
    """Lena and Mona's pair, loaded inside a request that lasts the test."""
    with app.test_request_context():
        row = db.session.get(Pair, pair.pair_id)
        yield Members(row, row.mentee, row.mentor, row.program)


@pytest.fixture
def links(monkeypatch) -> LinkRecorder:
    return LinkRecorder().install(monkeypatch)
