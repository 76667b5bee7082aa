"""The sandbox LMS's Outbox page: notifications newest first, escaped, and only where the
sandbox is enabled."""

from datetime import UTC, datetime, timedelta, timezone

from lti_tool.extensions import db
from lti_tool.notify import services as notify
from tests.support.apps import dispose, make_app


def test_outbox_lists_notifications_newest_first_and_escaped(client, make_person):
    mona = make_person("Mona <b>Mentor</b>", "mona@example.edu")
    nobody = make_person("Nobody", "")
    notify.enqueue(mona, "meeting_proposed", "First <script>alert(1)</script>",
                   "Body & <i>more</i>", dedupe_key="first", link="javascript:alert(2)")
    notify.enqueue(nobody, "reminder_24h", "Second", "Tomorrow", dedupe_key="second",
                   link="https://tool.test/meetings/1")
    db.session.commit()
    notify.send_due()

    response = client.get("/sandbox/outbox")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<a href="/sandbox/outbox">Outbox</a>' in html
    assert html.index("Second") < html.index("First")
    assert "<script>alert(1)" not in html and "First &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Body &amp; &lt;i&gt;more&lt;/i&gt;" in html
    assert "Mona &lt;b&gt;Mentor&lt;/b&gt;" in html and "<b>Mentor" not in html
    assert 'href="javascript:' not in html and 'href="https://tool.test/meetings/1"' in html
    assert "no_address" in html and "via outbox" in html and "no e-mail address" in html
    assert "pending: 0 · sending: 0 · sent: 1 · failed: 0 · cancelled: 0 · no_address: 1" in html


def test_scheduled_notifications_show_when_they_are_due(client, person):
    notify.enqueue(person, "reminder_1h", "In an hour", "Soon", dedupe_key="later",
                   send_after=datetime(2030, 5, 10, 16, 0, tzinfo=timezone(timedelta(hours=2))))
    db.session.commit()
    html = client.get("/sandbox/outbox").get_data(as_text=True)
    assert "pending" in html and "due 2030-05-10 14:00:00" in html


def test_times_are_shown_in_utc():
    naive, aware = datetime(2030, 5, 10, 14, 0), datetime(2030, 5, 10, 14, 0, tzinfo=UTC)
    tokyo = aware.astimezone(timezone(timedelta(hours=9)))
    assert notify.utc_text(naive) == notify.utc_text(tokyo) == "2030-05-10 14:00:00"
    assert notify.utc_text(None) == ""


def test_empty_outbox(client):
    html = client.get("/sandbox/outbox").get_data(as_text=True)
    assert "No notifications yet." in html


def test_no_outbox_without_the_sandbox(database_url, tmp_path):
    app = make_app(database_url, tmp_path, SANDBOX_ENABLED=False)
    try:
        assert app.test_client().get("/sandbox/outbox").status_code == 404
        assert "notify" in app.cli.commands  # sending does not depend on the sandbox
    finally:
        dispose(app)
