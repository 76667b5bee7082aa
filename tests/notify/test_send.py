"""Sending the outbox over real SMTP on loopback: the message (plain text, iTIP calendar part,
.ics attachment), the outbox-only default, retries with backoff, scheduled sends, claims that
never let two workers send one row, TLS and login."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from lti_tool import outbox
from lti_tool.extensions import db
from lti_tool.notify import services as notify
from lti_tool.notify.mail import MailConfigError, MailSettings, SmtpMailer
from lti_tool.notify.models import Notification
from lti_tool.timeutil import as_utc, utcnow
from tests.support.mail import SENDER, free_port, itip
from tests.support.racing import race


def fresh(row: Notification) -> Notification:
    db.session.commit()
    return db.session.get(Notification, row.id, populate_existing=True)


def queue(person, key: str = "meeting:42:proposed", **kwargs) -> Notification:
    kwargs.setdefault("subject", "Meeting proposed: Fri 10 May 14:00")
    kwargs.setdefault("body", "Lena proposed a meeting.\nJoin: https://meet.jit.si/room")
    row = notify.enqueue(person, kwargs.pop("kind", "meeting_proposed"), kwargs.pop("subject"),
                         kwargs.pop("body"), dedupe_key=key, **kwargs)
    db.session.commit()
    return row


# --- Without a mail server ------------------------------------------------------------------

def test_without_a_mail_server_notifications_are_kept_in_the_outbox(person, caplog):
    caplog.set_level("INFO", logger="lti_tool.notify")
    row = queue(person)
    report = notify.send_due()
    assert (report.sent, report.delivery) == (1, "outbox")
    row = fresh(row)
    assert (row.status, row.delivery, row.attempts) == ("sent", "outbox", 1)
    assert row.to_address == "mona@example.edu" and row.sent_at is not None
    assert row.claim_token is None
    assert f"Notification {row.id} (meeting_proposed) sent to person {person.id} via outbox" \
        in caplog.text
    assert notify.send_due().attempted == 0  # never twice


# --- Over SMTP ------------------------------------------------------------------------------

def test_plain_message_over_smtp(person, smtp_server):
    row = queue(person, link="https://tool.test/meetings/42")
    assert notify.send_due().sent == 1
    [received] = smtp_server.received
    assert received.mail_from == "pairwise@example.edu"
    assert received.rcpt_tos == ["mona@example.edu"]
    message = received.message
    assert message["From"] == SENDER
    assert message["To"] == "Mona Mentor <mona@example.edu>"
    assert message["Subject"] == "Meeting proposed: Fri 10 May 14:00"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].startswith(f"<pairwise.{row.id}.")
    assert message["Message-ID"].endswith("@example.edu>") and message["Date"]
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == ("Lena proposed a meeting.\nJoin: https://meet.jit.si/room"
                                     "\n\nhttps://tool.test/meetings/42\n")
    row = fresh(row)
    assert (row.status, row.delivery, row.last_error) == ("sent", "smtp", "")


def test_itip_invitation_has_a_calendar_part_and_an_ics_attachment(make_person, smtp_server):
    lena = make_person("Léna Lëarner", "lena@example.edu")
    calendar = itip("REQUEST", summary="Mentoring: Mona & Léna")
    queue(lena, subject="Invitation: Mentoring — Fri 10 May", body="Voilà: you're invited.",
          calendar=calendar)
    assert notify.send_due().sent == 1
    message = smtp_server.received[0].message
    assert message["Subject"] == "Invitation: Mentoring — Fri 10 May"
    assert message["To"].addresses[0].display_name == "Léna Lëarner"
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, invitation = alternative.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content() == "Voilà: you're invited.\n"
    assert invitation.get_content_type() == "text/calendar"
    assert invitation.get_param("method") == "REQUEST"
    assert invitation.get_content_charset() == "utf-8"
    assert 'charset="UTF-8"' in invitation["Content-Type"]
    assert invitation.get_content_disposition() is None  # inline: what clients act on
    parsed = Calendar.from_ical(invitation.get_content())
    assert parsed["METHOD"] == "REQUEST"
    [event] = parsed.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Mentoring: Mona & Léna"
    assert str(event["UID"]) == "meeting-42@pairwise.test"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    ics = Calendar.from_ical(attachment.get_content())
    assert ics["METHOD"] == "REQUEST" and ics.walk("VEVENT")[0]["UID"] == event["UID"]


def test_html_goes_beside_the_text_and_before_the_calendar(person, smtp_server):
    html = "<!doctype html><html><body><p>Voil\u00e0 <b>HTML</b></p></body></html>"
    queue(person, key="html-only", body="Voil\u00e0 text", html=html)
    queue(person, key="with-calendar", kind="meeting_reminder", body="Invited", html=html,
          calendar=itip("REQUEST"))
    assert notify.send_due().sent == 2
    plain_one, with_calendar = (r.message for r in smtp_server.received)
    assert plain_one.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in plain_one.iter_parts()] == ["text/plain", "text/html"]
    text, markup = plain_one.iter_parts()
    assert text.get_content() == "Voil\u00e0 text\n" and markup.get_content().strip() == html
    assert markup.get_content_charset() == "utf-8"
    alternative, attachment = with_calendar.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain", "text/html", "text/calendar"]
    assert attachment.get_filename() == "invite.ics"


def test_every_message_says_how_to_unsubscribe(person, smtp_server):
    queue(person)
    notify.send_due()
    message = smtp_server.received[0].message
    url = message["List-Unsubscribe"]
    assert url.startswith("<http://127.0.0.1:5000/notifications/unsubscribe/")
    assert url.endswith(">") and message["List-Unsubscribe-Post"] == \
        "List-Unsubscribe=One-Click"
    # One line however long the URL: folded, it would turn into encoded-words.
    raw = smtp_server.received[0].raw.decode()
    assert f"\r\nList-Unsubscribe: {url}\r\n" in raw


def test_cancellation_is_sent_with_method_cancel(person, smtp_server):
    queue(person, key="meeting:42:cancelled", calendar=itip("CANCEL"))
    notify.send_due()
    message = smtp_server.received[0].message
    _, invitation = next(message.iter_parts()).iter_parts()
    assert invitation.get_param("method") == "CANCEL"
    assert [p.get_filename() for p in message.iter_attachments()] == ["cancel.ics"]


def test_send_after_is_respected(person, smtp_server):
    soon = queue(person, key="meeting:42:proposed")
    now = utcnow()
    later = queue(person, key="meeting:42:reminder:24h", send_after=now + timedelta(hours=1))
    assert notify.send_due(now=now).outcomes == [(soon.id, "sent")]
    assert fresh(later).status == "pending"
    assert notify.send_due(now=now + timedelta(minutes=59)).attempted == 0
    assert notify.send_due(now=now + timedelta(hours=1)).outcomes == [(later.id, "sent")]
    assert len(smtp_server.received) == 2


def test_limit_sends_the_earliest_due_first(make_person, smtp_server):
    now = utcnow()
    rows = [queue(make_person(f"P{i}", f"p{i}@example.edu"), key=f"k{i}",
                  send_after=now - timedelta(minutes=i)) for i in range(3)]
    report = notify.send_due(2, now=now)
    assert [row_id for row_id, _ in report.outcomes] == [rows[2].id, rows[1].id]
    assert fresh(rows[0]).status == "pending"


def test_a_refusing_server_means_retries_with_backoff_then_failed(person, smtp_server, caplog):
    smtp_server.handler.refuse = "451 4.3.0 Mailbox temporarily unavailable"
    row = queue(person)
    now = utcnow()
    report = notify.send_due(now=now)
    assert (report.sent, report.retrying) == (0, 1)
    row = fresh(row)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "SMTPDataError: 451 4.3.0 Mailbox temporarily unavailable"
    assert as_utc(row.send_after) == now + timedelta(seconds=60)
    assert f"Notification {row.id} (meeting_proposed) attempt 1 failed" in caplog.text

    assert notify.send_due(now=now + timedelta(seconds=59)).attempted == 0  # backing off
    clock = now
    for attempt, wait in ((2, 60), (3, 120), (4, 240)):
        clock += timedelta(seconds=wait)
        assert notify.send_due(now=clock).retrying == 1
        row = fresh(row)
        assert row.attempts == attempt and row.status == "pending"
        assert as_utc(row.send_after) == clock + timedelta(seconds=60 * 2 ** (attempt - 1))
    clock += timedelta(seconds=480)
    assert notify.send_due(now=clock).failed == 1  # the fifth attempt was the last
    row = fresh(row)
    assert (row.status, row.attempts, row.delivery) == ("failed", 5, None)
    assert notify.send_due(now=clock + timedelta(days=1)).attempted == 0
    assert smtp_server.received == []


def test_a_retry_succeeds_once_the_server_accepts(person, smtp_server):
    smtp_server.handler.refuse, smtp_server.handler.refuse_at = "450 4.2.1 Try later", "RCPT"
    row = queue(person)
    now = utcnow()
    notify.send_due(now=now)
    assert fresh(row).last_error == "Recipient refused: mona@example.edu: 450 4.2.1 Try later"
    smtp_server.handler.refuse = None
    assert notify.send_due(now=now + timedelta(minutes=1)).sent == 1
    row = fresh(row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert len(smtp_server.received) == 1


def test_one_failure_does_not_stop_the_batch(make_person, smtp_server):
    bad = queue(make_person("Bad", "not an address"), key="bad")
    good = queue(make_person("Good", "good@example.edu"), key="good")
    report = notify.send_due()
    assert dict(report.outcomes) == {bad.id: "failed", good.id: "sent"}
    bad = fresh(bad)
    assert bad.attempts == 1 and "Not an e-mail address" in bad.last_error  # no retry helps
    assert [r.rcpt_tos for r in smtp_server.received] == [["good@example.edu"]]


def test_no_server_listening_is_a_retry(person, ctx):
    ctx.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_STARTTLS=False,
                      MAIL_FROM=SENDER, MAIL_TIMEOUT=2)
    row = queue(person)
    assert notify.send_due().retrying == 1
    row = fresh(row)
    assert row.status == "pending" and row.last_error.startswith("ConnectionRefusedError")


def test_an_address_removed_before_sending_means_no_address(person, smtp_server):
    row = queue(person)
    person.email = ""
    db.session.commit()
    assert notify.send_due().no_address == 1
    assert fresh(row).status == "no_address" and smtp_server.received == []


def test_no_address_and_cancelled_rows_are_never_sent(make_person, smtp_server):
    queue(make_person("Nobody", ""), key="a")
    queue(make_person("Someone", "s@example.edu"), key="meeting:1:reminder:1h")
    notify.cancel("meeting:1:")
    db.session.commit()
    assert notify.send_due().attempted == 0 and smtp_server.received == []


def test_one_connection_carries_the_whole_batch(make_person, smtp_server):
    for i in range(3):
        queue(make_person(f"P{i}", f"p{i}@example.edu"), key=f"k{i}")
    sessions = []
    original = SmtpMailer._connect

    def counting(self):
        sessions.append(1)
        return original(self)

    SmtpMailer._connect = counting
    try:
        assert notify.send_due().sent == 3
    finally:
        SmtpMailer._connect = original
    assert len(sessions) == 1 and len(smtp_server.received) == 3


# --- Claims: never twice --------------------------------------------------------------------

def claim(row_id: int, policy: outbox.Policy, now) -> str | None:
    """Claim the next due row as a worker does at `now`: the token, if that row was `row_id`."""
    taken = outbox.Outbox(notify.NOTIFICATIONS, policy, lambda: now).claim(1)
    return taken.token if taken.ids == [row_id] else None


def test_a_row_can_be_claimed_once(person, ctx):
    row = queue(person)
    policy = notify.NOTIFICATIONS.policy(ctx.config)
    now = utcnow()
    first = claim(row.id, policy, now)
    assert first and claim(row.id, policy, now) is None
    assert fresh(row).status == "sending" and notify.send_due().attempted == 0


def test_a_row_stuck_in_sending_is_reclaimed_and_the_old_claim_cannot_finish_it(person, ctx,
                                                                                smtp_server):
    row = queue(person)
    now = utcnow()
    policy = notify.NOTIFICATIONS.policy(ctx.config)
    stale_token = claim(row.id, policy, now)  # a worker that then died
    assert notify.send_due(now=now + timedelta(minutes=14)).attempted == 0
    report = notify.send_due(now=now + timedelta(minutes=16))
    assert report.sent == 1
    row = fresh(row)
    assert (row.status, row.attempts) == ("sent", 2)
    # The first worker waking up cannot move the row any more.
    outbox.Outbox(notify.NOTIFICATIONS, policy).finish(row.id, stale_token, status="pending",
                                                       last_error="late")
    assert fresh(row).status == "sent" and fresh(row).last_error == ""
    assert len(smtp_server.received) == 1


def test_a_row_stuck_in_sending_with_no_attempts_left_fails(person, ctx):
    row = queue(person)
    row.attempts = 4
    db.session.commit()
    now = utcnow()
    claim(row.id, notify.NOTIFICATIONS.policy(ctx.config), now)
    notify.send_due(now=now + timedelta(hours=1))
    row = fresh(row)
    assert row.status == "failed" and "stopped while sending" in row.last_error


def test_two_concurrent_senders_never_send_one_row_twice(app, make_person, smtp_server):
    rows = [queue(make_person(f"P{i}", f"p{i}@example.edu"), key=f"meeting:{i}:proposed")
            for i in range(30)]
    row_ids = sorted(row.id for row in rows)
    db.session.remove()
    reports = race(app, lambda: notify.send_due(limit=50))
    assert sum(r.sent for r in reports) == 30
    sent_ids = [row_id for r in reports for row_id, _ in r.outcomes]
    assert sorted(sent_ids) == row_ids
    message_ids = [r.message["Message-ID"] for r in smtp_server.received]
    assert len(message_ids) == 30 and len(set(message_ids)) == 30
    statuses = db.session.scalars(sa.select(Notification.status).distinct()).all()
    assert statuses == ["sent"]
    assert set(db.session.scalars(sa.select(Notification.attempts))) == {1}


# --- TLS and login --------------------------------------------------------------------------

@pytest.mark.parametrize("starttls", [True, False], ids=["starttls", "implicit-tls"])
def test_tls_and_login(person, ctx, tls_server, certificate, starttls):
    server = tls_server(starttls)
    ctx.config.update(MAIL_USERNAME="pairwise", MAIL_PASSWORD="s3cret")
    queue(person)
    mailer = SmtpMailer(MailSettings.from_config(ctx.config),
                        ssl_context=certificate.client_context)
    assert notify.send_due(mailer=mailer).sent == 1
    [received] = server.received
    assert received.secure and received.login == "pairwise"


def test_an_untrusted_certificate_is_refused(person, ctx, tls_server):
    tls_server(True)
    row = queue(person)
    assert notify.send_due().retrying == 1  # the default context checks the certificate
    assert "CERTIFICATE_VERIFY_FAILED" in fresh(row).last_error


def test_wrong_password_is_recorded(person, smtp_server, ctx):
    ctx.config.update(MAIL_USERNAME="pairwise", MAIL_PASSWORD="wrong")
    row = queue(person)
    assert notify.send_due().retrying == 1
    assert fresh(row).last_error.startswith("SMTPAuthenticationError: 535")
    assert smtp_server.received == []


@pytest.mark.parametrize("settings, message", [
    ({"MAIL_SERVER": "smtp.example.edu", "MAIL_FROM": ""}, "MAIL_FROM"),
    ({"MAIL_SERVER": "smtp.example.edu", "MAIL_FROM": SENDER, "MAIL_USE_TLS": True,
      "MAIL_USE_STARTTLS": True}, "not both"),
    ({"MAIL_SERVER": "smtp.example.edu", "MAIL_FROM": SENDER, "MAIL_USE_STARTTLS": False,
      "MAIL_USERNAME": "u", "MAIL_PASSWORD": "p"}, "unencrypted"),
])
def test_settings_that_cannot_work_are_refused(settings, message):
    with pytest.raises(MailConfigError, match=message):
        MailSettings.from_config({"MAIL_USE_STARTTLS": True, **settings})


def test_settings_from_the_environment_are_strings_and_numbers(monkeypatch):
    settings = MailSettings.from_config({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": "2525",
                                         "MAIL_FROM": SENDER, "MAIL_PASSWORD": 12345,
                                         "MAIL_USERNAME": "u", "MAIL_TIMEOUT": "7"})
    assert (settings.port, settings.password, settings.timeout) == (2525, "12345", 7.0)
    assert not settings.use_starttls  # login over loopback without TLS is allowed
