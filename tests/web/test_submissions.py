"""What a submission key leaves behind (lti_tool/web/submissions.py): one row per sending that
created something, with the first result's address and no session token; nothing for a
sending that was refused; a day's life (`flask lti purge-expired`); the person's download
lists them and an erasure deletes them."""

import json
from datetime import timedelta

import sqlalchemy as sa

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.timeutil import utcnow
from lti_tool.web.submissions import KEY, Submission
from tests.support.forms import hidden_fields


def stored(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(row.key, row.path, row.result) for row in db.session.scalars(
            sa.select(Submission).order_by(Submission.id))]


def send(person, path: str, **typed):
    fields = hidden_fields(person.get(path).data, path)
    return fields["submission_key"], person.client.post(person.url(path),
                                                        data={**fields, **typed})


def test_a_sending_stores_its_key_and_where_it_led_without_the_token(app, pair):
    _, _, lena, pair_id = pair
    path = f"/pairs/{pair_id}/messages"
    key, answer = send(lena, path, body="Hello")
    assert answer.status_code == 303 and "pw=" in answer.headers["Location"]
    assert KEY.fullmatch(key)
    assert stored(app) == [(key, path, f"/pairs/{pair_id}/messages#latest")]


def test_refused_and_keyless_sendings_store_no_key(app, pair):
    _, _, lena, pair_id = pair
    path = f"/pairs/{pair_id}/messages"
    _, refused = send(lena, path, body="")
    assert refused.status_code == 400
    fields = hidden_fields(lena.get(path).data, path)
    del fields["submission_key"]
    assert lena.client.post(lena.url(path), data={**fields, "body": "Hi"}).status_code == 303
    assert stored(app) == []


def test_a_page_that_only_shows_something_stores_no_key(app, pair):
    """A guide's preview is a POST of the create form that creates nothing."""
    staff, _, _, _ = pair
    key, preview = send(staff, "/guides/new", title="Draft", body="Text", action="preview")
    assert preview.status_code == 200 and stored(app) == []
    assert hidden_fields(preview.data, "/guides/new")["submission_key"] == key


def test_purge_expired_deletes_keys_older_than_a_day(app, runner, pair):
    _, _, lena, pair_id = pair
    key, _ = send(lena, f"/pairs/{pair_id}/messages", body="Hello")
    with app.app_context():
        person_id = db.session.scalars(sa.select(Person.id).filter_by(subject="10")).one()
        db.session.add(Submission(person_id=person_id, key="o" * 32, path="/old",
                                  created_at=utcnow() - timedelta(days=1, minutes=1)))
        db.session.commit()
    result = runner.invoke(args=["lti", "purge-expired"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 form submission keys older than a day." in result.output
    assert [row[0] for row in stored(app)] == [key]


def test_the_download_lists_the_keys_and_an_erasure_deletes_them(app, pair):
    staff, _, lena, pair_id = pair
    send(lena, f"/pairs/{pair_id}/messages", body="Hello")
    data = json.loads(lena.get("/privacy/download").data)
    assert [row["page"] for row in data["form_submissions"]] == [f"/pairs/{pair_id}/messages"]
    with app.app_context():
        lena_id = db.session.scalars(sa.select(Person.id).filter_by(subject="10")).one()
    page = f"/privacy/people/{lena_id}/erase"
    assert staff.post(page, {"confirm_name": "Lena Learner"}, page=page).status_code == 303
    assert stored(app) == []
