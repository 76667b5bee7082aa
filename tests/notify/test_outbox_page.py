"""The sandbox LMS's Outbox page: notifications newest first, escaped, and only where the
sandbox is enabled; each e-mail as its recipient reads it (headers, HTML, text), bundles with
what they carried, and why a notification waits or was skipped."""

import html
import re
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


def test_each_email_is_shown_as_its_recipient_reads_it(client, person):
    from lti_tool.notify.compose import Message, tell

    person.name = "Mona <b>Mentor</b>"
    row = tell(person, "message", lambda r: Message(
        subject="Lena wrote <to you>", lines=["Hello & <script>alert(1)</script>"],
        action="Read it"), dedupe_key="m1", destination="/pairs/1/messages")
    db.session.commit()
    notify.send_due()
    listing = client.get("/sandbox/outbox").get_data(as_text=True)
    assert f'<a href="/sandbox/outbox/{row.id}">Lena wrote &lt;to you&gt;</a>' in listing

    response = client.get(f"/sandbox/outbox/{row.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Lena wrote &lt;to you&gt;</h1>" in page
    assert "Mona &lt;b&gt;Mentor&lt;/b&gt;" in page and "mona@example.edu" in page
    assert "&lt;http://127.0.0.1:5000/notifications/unsubscribe/" in page
    # The HTML in a frame that runs nothing: escaped once more, as an attribute value.
    frame = re.search(r'<iframe class="email-frame"[^>]* sandbox="([^"]*)" srcdoc="([^"]*)"',
                      page)
    assert frame and "allow-scripts" not in frame.group(1)
    shown = html.unescape(frame.group(2))
    assert '<base target="_top">' in shown and "Hello &amp; &lt;script&gt;" in shown
    assert "<script>" not in shown and f'href="{html.escape(row.link)}"' in shown
    assert "Hello &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in page.split("As plain text")[1]
    assert "sent" in page and "via outbox" in page
    assert "Content-Security-Policy" in response.headers  # the sandbox's own policy
    assert client.get("/sandbox/outbox/999999").status_code == 404


def test_a_bundle_is_shown_with_what_it_carried(client, person):
    now = datetime.now(UTC)
    rows = [notify.enqueue(person, kind, f"Subject {kind}", f"Body {kind}", dedupe_key=kind,
                           link=f"https://tool.test/{kind}", send_after=now)
            for kind in ("message", "action_reminder")]
    db.session.commit()
    notify.send_due(now=now)
    listing = client.get("/sandbox/outbox").get_data(as_text=True)
    assert "led an e-mail carrying others" in listing
    assert f'went in the e-mail of <a href="/sandbox/outbox/{rows[0].id}">' in listing
    page = client.get(f"/sandbox/outbox/{rows[1].id}").get_data(as_text=True)
    assert "<h1>Subject message (and 1 more)</h1>" in page
    assert "One e-mail carrying 2 notifications" in page
    assert "Body message" in page and "Body action_reminder" in page
    assert 'href="https://tool.test/action_reminder"' in page


def test_waiting_and_skipped_notifications_say_why(client, person):
    from lti_tool.notify import preferences

    preferences.choose(person, {"actions": "off", "checkins": "digest"})
    now = datetime.now(UTC)
    notify.enqueue(person, "message", "sent", "sent", dedupe_key="sent", send_after=now)
    db.session.commit()
    notify.send_due(now=now)
    later = now + timedelta(minutes=10)
    for key, kind in (("hour", "message"), ("off", "action_reminder"), ("digest", "checkin_due")):
        notify.enqueue(person, kind, key, key, dedupe_key=key, send_after=later)
    db.session.commit()
    notify.send_due(now=later)
    listing = client.get("/sandbox/outbox").get_data(as_text=True)
    assert "the person had an e-mail less than an hour ago" in listing
    assert "waiting for the person's daily digest" in listing
    assert "the person turned this topic off" in listing
    assert "skipped: 1" in listing
