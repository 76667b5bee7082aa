"""A blank intake's fields are rendered once a minute and shared by everyone whose form is
made of the same (intake/views.py `_fields`): what each person is shown is still theirs."""

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.intake import views
from lti_tool.web import fragments
from lti_tool.web.fragments import SharedFragments
from tests.support.clients import Participant
from tests.support.platform import LTI


@pytest.fixture(autouse=True)
def _none_shared_yet():
    views.BLANK_FIELDS.clear()


def _fields(page: str) -> str:
    """The form's fields without its tokens and the local time (a minute may turn)."""
    fields = re.search(r'name="submission_key"[^>]*>(.*?)</form>', page, re.S).group(1)
    return re.sub(r'(id="zone-now"[^>]*>)[^<]*', r"\1", fields)


def _page(person: Participant) -> str:
    response = person.get("/intake")
    assert response.status_code == 200
    return response.data.decode()


def test_the_shared_fields_are_those_the_page_makes_itself(app, platform):
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    kept = _page(lena)
    views.BLANK_FIELDS.clear()
    made = _page(lena)
    assert _fields(kept) == _fields(made)
    assert len(views.BLANK_FIELDS._kept) == 1


def test_a_mentor_and_a_learner_each_get_their_own_fields(app, platform):
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    mo = Participant(app, platform, "20", "Mentor", "Mo Mentor")
    learners, mentors = _page(lena), _page(mo)
    assert 'name="topics"' in learners and 'name="expertise"' not in learners
    assert 'name="expertise"' in mentors and 'name="capacity"' in mentors
    assert _fields(_page(Participant(app, platform, "11", "Learner", "Li Learner"))) == \
        _fields(learners)  # shared


def test_the_lms_zone_of_each_person_is_the_one_chosen(app, platform):
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    kolkata = Participant(app, platform, "12", "Learner", "Kiran Learner",
                          **{LTI + "custom": {"pairwise_timezone": "Asia/Kolkata"}})
    assert "selected" not in _zone_select(_page(lena))  # the browser's zone is asked for
    assert '<option value="Asia/Kolkata" selected>' in _zone_select(_page(kolkata))
    assert "selected" not in _zone_select(_page(lena))


def test_topics_staff_change_are_shown_at_once(app, platform):
    lena = Participant(app, platform, "10", "Learner", "Lena Learner")
    assert "Negotiation" not in _page(lena)
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        program.topics = [*program.topics, "Negotiation"]
        db.session.commit()
    assert 'value="Negotiation"' in _page(lena)


def _zone_select(page: str) -> str:
    return re.search(r'<select [^>]*name="timezone".*?</select>', page, re.S).group()


def test_fragments_are_bounded_most_recent_kept():
    shared = SharedFragments(size=2)
    for key in ("a", "b", "a", "c"):  # "a" used again: "b" is the oldest
        shared.get(key, lambda key=key: f"<p>{key}</p>")
    assert list(shared._kept) == ["a", "c"]
    assert shared.get("a", lambda: "rendered again") == "<p>a</p>"


def test_a_fragment_holding_a_session_token_is_not_kept(monkeypatch, caplog):
    monkeypatch.setattr(fragments, "session_token", lambda: "the-token")
    shared = SharedFragments()
    with Flask(__name__).test_request_context():
        html = shared.get(("intake",), lambda: '<a href="/x?pw=the-token">x</a>')
    assert "the-token" in html  # this request's page still has it
    assert shared._kept == {}
    assert "holds a session token" in caplog.text
