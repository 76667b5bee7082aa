"""Input bounds: ids beyond the database's integers are 404s, NUL characters and file parts
are 400s, before any view (or the database driver) sees them; a body over MAX_CONTENT_LENGTH
is the tool's own 413 page."""

import io
import logging

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.guides.models import Guide
from lti_tool.journal.models import Message, Recap
from lti_tool.meetings.models import ProgramEvent
from lti_tool.pairs.models import Pair
from lti_tool.workspace.models import AgreementTemplate, Goal
from tests.support.clients import Participant
from tests.support.platform import launch


@pytest.mark.parametrize("path", ["/pairs/2147483648/meetings", "/guides/9223372036854775808",
                                  "/meetings/100000000000000000000/meeting.ics"])
def test_ids_beyond_the_database_integers_are_not_found(app, platform, path):
    learner = Participant(app, platform, "4", "Learner", "Sam Student-One")
    assert learner.get(path).status_code == 404


def test_the_largest_id_is_an_ordinary_missing_page(app, platform):
    learner = Participant(app, platform, "4", "Learner", "Sam Student-One")
    assert learner.get("/guides/2147483647").status_code == 404


@pytest.mark.parametrize("request_kwargs", [
    {"path": "/calendar/%00.ics"},
    {"path": "/lti/login", "query_string": {"iss": "a\x00b"}},
    {"path": "/lti/login", "query_string": {"x\x00": "1"}},
    {"path": "/lti/launch", "method": "POST", "data": {"id_token": "\x00", "state": "s"}},
    {"path": "/lti/launch", "method": "POST", "data": b"state=%00",
     "content_type": "application/x-www-form-urlencoded"},
    {"path": "/sandbox/api/1/lineitems", "method": "POST", "json": {"label": ["a\x00"]}},
])
def test_nul_characters_are_refused(client, request_kwargs):
    response = client.open(**request_kwargs)
    assert response.status_code == 400
    assert b"NUL" in response.data


def test_ordinary_requests_pass(client, platform):
    assert launch(client, platform).status_code == 200
    assert client.post("/sandbox/api/1/lineitems", json={"label": "a"}).status_code != 400


# --- File parts and body sizes ---------------------------------------------------------------

# The forms that answered a file part in a text field with a 500 (WTForms' TypeError on a
# FileStorage): who posts, the form's URL and page, one of its text fields, the rows it writes.
FILE_TARGETS = [
    ("mentee", "/pairs/{pair_id}/messages", "/pairs/{pair_id}/messages", "body", Message),
    ("mentee", "/pairs/{pair_id}/goals", "/pairs/{pair_id}/goals", "title", Goal),
    ("mentee", "/pairs/{pair_id}/journal/recaps", "/pairs/{pair_id}/journal", "takeaways", Recap),
    ("staff", "/agreement-template", "/agreement-template", "confidentiality",
     AgreementTemplate),
    ("staff", "/events", "/events", "title", ProgramEvent),
]


@pytest.mark.parametrize(("who", "path", "page", "field", "model"), FILE_TARGETS,
                         ids=[target[1].rsplit("/", 1)[1] for target in FILE_TARGETS])
def test_a_file_in_a_text_field_is_refused_before_any_view(app, pair, caplog, who,
                                                            path, page, field, model):
    staff, _, lena, pair_id = pair
    person = staff if who == "staff" else lena
    caplog.set_level(logging.INFO, logger="lti_tool.errors")
    response = person.post(path.format(pair_id=pair_id),
                           {field: (io.BytesIO(b"a file, not text"), "notes.txt")},
                           page=page.format(pair_id=pair_id))
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert b"no page of Pairwise accepts files" in response.data
    assert any(r.levelno == logging.INFO and "http 400" in r.getMessage()
               and "accepts files" in r.getMessage() for r in caplog.records)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


def test_a_service_posting_a_file_gets_json(client):
    response = client.post("/lti/launch", data={"state": "s", "id_token": (
        io.BytesIO(b"eyJ..."), "token.jwt")}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "accepts files" in response.get_json()["message"]


def test_an_empty_file_part_is_refused_too(client):
    """A browser sends an empty file input as a part with `filename=""`: still a file part."""
    response = client.post("/lti/launch", data={"state": "s", "id_token": (
        io.BytesIO(b""), "")})
    assert response.status_code == 400 and b"accepts files" in response.data


@pytest.fixture
def production_errors(app):
    """Errors raised outside a view (while the session reads the form) reach the error pages,
    as in production; under TESTING Flask would raise them into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_a_body_over_the_limit_is_a_413_page(production_errors, caplog):
    """The launch post has no session token in its URL: the session reads the form, so the
    413 is raised before any view, outside Flask's view error handling."""
    client = production_errors.test_client()
    big = b"state=s&id_token=" + b"a" * (production_errors.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/lti/launch", data=big,
                           content_type="application/x-www-form-urlencoded",
                           headers={"Accept": "text/html"})
    assert response.status_code == 413
    assert b"Too much to send at once" in response.data
    assert "Content-Security-Policy" in response.headers  # the tool's page, finished normally
    assert not [r for r in caplog.records if r.exc_info]  # a client's error: no traceback


def test_a_json_body_over_the_limit_is_a_413_for_services(production_errors):
    response = production_errors.test_client().post("/lti/launch", json={"x": "a" * (1024 * 1024)},
                           headers={"Accept": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["error"] == "Too much to send at once"


def test_the_largest_guide_fits_under_the_limit(app, pair):
    """A conversation guide at its length limit, in four-byte characters (the longest body a
    page takes once form-encoded), is still saved."""
    staff, _, _, pair_id = pair
    assert staff.get("/guides/manage").status_code == 200  # the program's copy of the library
    with app.app_context():
        program_id = db.session.get(Pair, pair_id).program_id
        guide_id = db.session.scalars(sa.select(Guide.id).filter_by(program_id=program_id)
                                      .limit(1)).one()
    body = "🙂" * 20_000
    path = f"/guides/{guide_id}/edit"
    saved = staff.post(path, {"title": "Long", "body": body, "action": "save"}, page=path)
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.get(Guide, guide_id).body_markdown.strip() == body
