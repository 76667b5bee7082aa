"""Unsubscribing: a real SMTP server on loopback receives a multipart (text and HTML) e-mail
with List-Unsubscribe and List-Unsubscribe-Post (RFC 8058); the one-click POST to its URL then
stops the non-essential notifications, those already waiting and those queued after, while an
essential one still goes. Opening the link changes nothing; a forged, tampered or expired
token is refused with a page that says so."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from lti_tool.extensions import db
from lti_tool.notify import services as notify
from lti_tool.notify import unsubscribe
from lti_tool.notify.compose import Message, tell
from lti_tool.notify.models import Notification, Preference
from lti_tool.timeutil import utcnow


def told(person, kind: str, key: str, subject: str) -> Notification:
    row = tell(person, kind, lambda r: Message(subject=subject, lines=[f"About {key}."],
                                               action="Open it"),
               dedupe_key=key, destination=f"/pairs/1/{key}")
    db.session.commit()
    return row


def statuses() -> dict[str, str]:
    db.session.rollback()
    return dict(db.session.execute(sa.select(Notification.dedupe_key, Notification.status)).all())


def modes(person_id: int) -> dict[str, str]:
    db.session.rollback()
    return dict(db.session.execute(sa.select(Preference.topic, Preference.mode)
                                   .filter_by(person_id=person_id)).all())


def test_an_email_over_smtp_unsubscribed_in_one_click(client, person, smtp_server):
    told(person, "message", "chat-1", "Lena wrote to you")
    now = utcnow()
    assert notify.send_due(now=now).sent == 1
    [received] = smtp_server.received
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert "About chat-1." in plain.get_content() and "About chat-1." in html.get_content()
    assert "Manage notifications" in plain.get_content()
    header = message["List-Unsubscribe"]
    assert header.startswith("<http://127.0.0.1:5000/notifications/unsubscribe/")
    assert header.endswith(">") and "\n" not in header and "=?" not in header
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header[1:-1]
    assert url.split("/unsubscribe/")[0] + "/unsubscribe/" in plain.get_content()

    waiting = told(person, "action_reminder", "action-1", "An action is due")  # before
    # A mail client's one-click POST: no CSRF token, no cookie, only the URL and this body.
    response = client.post(urlsplit(url).path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.get_data(as_text=True)
    assert set(modes(person.id).values()) == {"off"}
    after = told(person, "message", "chat-2", "Lena wrote again")
    essential = told(person, "meeting_proposed", "meeting-1", "Lena proposed a meeting")

    report = notify.send_due(now=utcnow() + timedelta(hours=2))
    assert (report.sent, report.skipped) == (1, 2)
    assert statuses() == {"chat-1": "sent", waiting.dedupe_key: "skipped",
                          after.dedupe_key: "skipped", essential.dedupe_key: "sent"}
    assert [r.message["Subject"] for r in smtp_server.received] == [
        "Lena wrote to you", "Lena proposed a meeting"]
    assert smtp_server.received[1].message["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:5000/notifications/unsubscribe/")


def test_opening_the_link_changes_nothing(client, person):
    person.name = "Mona <b>Mentor</b>"
    url = unsubscribe.url_for_person(person)
    db.session.commit()
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert modes(person.id) == {}
    assert '<form method="post" action="/notifications/unsubscribe/' in page
    assert "Mona &lt;b&gt;Mentor&lt;/b&gt;" in page and "<b>Mentor" not in page
    assert "meeting invitations, changes and cancellations" in page  # what still comes
    assert "a pair closed for inactivity" not in page  # not staff anywhere
    assert response.headers["Cache-Control"] == "no-store"
    assert "csrf_token" not in page  # no session is made for a visitor of this page
    assert "Set-Cookie" not in response.headers


def _forged(person) -> list[str]:
    good = unsubscribe.token_for(person)
    payload, stamp, signature = good.split(".")
    other_salt = URLSafeTimedSerializer("testing-secret-key", salt="other").dumps(
        {"p": person.id, "i": good})
    other_key = URLSafeTimedSerializer("another-key", salt=unsubscribe.SALT).dumps(
        {"p": person.id})
    return [f"{payload}.{stamp}.{signature[:-2]}xy", f"{payload}x.{stamp}.{signature}",
            other_salt, other_key, "nonsense", good[:20]]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_or_tampered_token_is_refused(client, person, method):
    tokens = _forged(person)
    db.session.commit()
    for token in tokens:
        response = getattr(client, method)(f"/notifications/unsubscribe/{token}")
        assert response.status_code == 400, token
        page = response.get_data(as_text=True)
        assert "This unsubscribe link is not valid" in page and "Nothing was changed" in page
    assert modes(person.id) == {}


def test_an_expired_token_or_one_whose_person_changed_is_refused(client, person, monkeypatch):
    with monkeypatch.context() as patched:
        year_ago = TimestampSigner.get_timestamp(TimestampSigner("k")) - 366 * 86400
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: year_ago)
        expired = unsubscribe.token_for(person)
    renamed = unsubscribe.token_for(person)
    person.subject = "someone-else"  # the id now names another identity
    db.session.commit()
    for token in (expired, renamed):
        assert client.post(f"/notifications/unsubscribe/{token}").status_code == 400
    assert modes(person.id) == {}


def test_the_token_names_its_person_only(make_person):
    mona, lena = make_person("Mona", "mona@example.edu"), make_person("Lena", "lena@x.edu")
    assert unsubscribe.person_of(unsubscribe.token_for(mona)) == mona
    assert unsubscribe.person_of(unsubscribe.token_for(lena)) == lena
    assert unsubscribe.token_for(mona) != unsubscribe.token_for(lena)
    with pytest.raises(unsubscribe.InvalidToken):
        unsubscribe.person_of(unsubscribe.token_for(mona)[:-1])


def test_the_url_is_absolute_from_base_url_or_the_request(app, person):
    token_path = "/notifications/unsubscribe/"
    assert unsubscribe.url_for_person(person).startswith("http://127.0.0.1:5000" + token_path)
    app.config["BASE_URL"] = ""
    with app.test_request_context(base_url="https://tool.example.edu/"):
        assert unsubscribe.url_for_person(person).startswith(
            "https://tool.example.edu" + token_path)
    with app.test_request_context("/notifications/unsubscribe/x"):
        assert urlsplit(unsubscribe.url_for_person(person)).path.startswith(token_path)
    with app.test_request_context():
        from flask import url_for
        assert url_for("notify.unsubscribe_page", token="t") == token_path + "t"
