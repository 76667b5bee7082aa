"""The delivery rules over real SMTP on loopback: topics turned off are skipped (what is
essential still goes), one e-mail per person per hour (what comes meanwhile goes together in
the next one), urgent kinds at once, calendar invitations on their own, the daily digest at
08:00 in the person's zone; and bundles claimed safely (never a row another worker holds,
never twice, given back when the e-mail fails)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.notify import delivery, kinds, preferences
from lti_tool.notify import services as notify
from lti_tool.notify.kinds import Kind
from lti_tool.notify.models import DIGEST, EACH, OFF, Mailbox, Notification
from lti_tool.timeutil import as_utc, utcnow
from tests.support.mail import itip
from tests.support.racing import race

NOW = utcnow().replace(microsecond=0)
HOUR = timedelta(hours=1)


def queue(person, key: str, kind: str = "message", at=None, **kwargs) -> Notification:
    row = notify.enqueue(person, kind, f"Subject {key}", f"Body {key}", dedupe_key=key,
                         link=f"https://lms.test/{key}", send_after=at or NOW, **kwargs)
    db.session.commit()
    return row


def fresh(*rows: Notification) -> list[Notification]:
    db.session.commit()
    return [db.session.get(Notification, row.id, populate_existing=True) for row in rows]


def parts(received) -> tuple[str, str]:
    message = received.message
    return (message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content() if message.get_body(("html",)) else "")


def choose(person, **modes) -> None:
    preferences.choose(person, modes)
    db.session.commit()


# --- The rules, without a database ------------------------------------------------------------

PLAIN = Kind("plain", kinds.MESSAGES)
URGENT = Kind("soon", kinds.MEETINGS, urgent=True)


@pytest.mark.parametrize("kind, mode, held, action", [
    (PLAIN, EACH, None, delivery.SEND),
    (PLAIN, OFF, None, delivery.SKIP),
    (PLAIN, DIGEST, None, delivery.HOLD),
    (PLAIN, DIGEST, "digest", delivery.SEND),  # its digest time has come
    (URGENT, DIGEST, None, delivery.SEND),  # a close deadline skips the digest
    (URGENT, OFF, None, delivery.SKIP),  # ... but not being turned off
])
def test_the_plan_for_each_mode(kind, mode, held, action):
    plan = delivery.plan(kind, mode, held, NOW, "UTC")
    assert plan.action == action
    assert plan.limited == (action == delivery.SEND and not kind.urgent and held is None)


def test_an_essential_kind_of_a_topic_turned_off_goes_as_each_email():
    modes = {kinds.MEETINGS: OFF}
    assert preferences.mode_for(kinds.kind("meeting_proposed"), modes) == EACH
    assert preferences.mode_for(kinds.kind("meeting_outcome"), modes) == OFF


@pytest.mark.parametrize("now, zone, digest_at", [
    (datetime(2030, 6, 3, 5, 59, tzinfo=UTC), "Europe/Berlin", datetime(2030, 6, 3, 6, 0)),
    (datetime(2030, 6, 3, 6, 0, tzinfo=UTC), "Europe/Berlin", datetime(2030, 6, 4, 6, 0)),
    # New York moves its clocks on 10 March 2030: 08:00 is 13:00 UTC before, 12:00 after.
    (datetime(2030, 3, 9, 15, 0, tzinfo=UTC), "America/New_York", datetime(2030, 3, 10, 12, 0)),
    (datetime(2030, 3, 9, 12, 30, tzinfo=UTC), "America/New_York", datetime(2030, 3, 9, 13, 0)),
    (datetime(2030, 6, 3, 23, 0, tzinfo=UTC), "Asia/Tokyo", datetime(2030, 6, 3, 23, 0)
     + timedelta(days=1)),
    (datetime(2030, 6, 3, 7, 0, tzinfo=UTC), "Mars/Olympus", datetime(2030, 6, 3, 8, 0)),
])
def test_the_next_digest_is_at_0800_in_the_persons_zone(now, zone, digest_at):
    assert delivery.next_digest(now, zone) == digest_at.replace(tzinfo=UTC)


# --- Off ----------------------------------------------------------------------------------------

def test_a_topic_turned_off_is_skipped_but_what_is_essential_goes(person, smtp_server):
    choose(person, messages=OFF, meetings=OFF)
    chat = queue(person, "chat")
    reminder = queue(person, "reminder", kind="meeting_reminder")  # urgent, not essential
    proposal = queue(person, "proposal", kind="meeting_proposed")  # essential
    report = notify.send_due(now=NOW)
    assert (report.sent, report.skipped) == (1, 2)
    chat, reminder, proposal = fresh(chat, reminder, proposal)
    assert (chat.status, reminder.status, proposal.status) == ("skipped", "skipped", "sent")
    assert chat.attempts == 0 and chat.sent_at is None
    assert [r.message["Subject"] for r in smtp_server.received] == ["Subject proposal"]
    assert notify.counts()["skipped"] == 2
    assert "skipped 2 (turned off)" in report.summary()
    assert notify.send_due(now=NOW + 2 * HOUR).attempted == 0  # skipped for good


# --- One e-mail per hour ------------------------------------------------------------------------

def test_what_comes_within_the_hour_waits_and_goes_in_one_email(person, smtp_server):
    first = queue(person, "m1")
    assert notify.send_due(now=NOW).sent == 1
    second = queue(person, "m2", at=NOW + timedelta(minutes=10))
    third = queue(person, "a3", kind="action_reminder", at=NOW + timedelta(minutes=20))
    report = notify.send_due(now=NOW + timedelta(minutes=25))
    assert (report.sent, report.waiting, report.attempted) == (0, 2, 0)
    for row in fresh(second, third):
        assert (row.status, row.held, row.attempts) == ("pending", "hour", 0)
        assert as_utc(row.send_after) == NOW + HOUR  # an hour after the last e-mail
    assert notify.send_due(now=NOW + timedelta(minutes=59)).attempted == 0

    report = notify.send_due(now=NOW + HOUR)
    assert (report.sent, report.emails) == (2, 1)
    assert "Sent 2 (smtp)" in report.summary() and "in 1 e-mails" in report.summary()
    assert len(smtp_server.received) == 2
    bundle = smtp_server.received[1].message
    assert bundle["Subject"] == "Subject m2 (and 1 more)"
    assert bundle["Message-ID"].startswith(f"<pairwise.{second.id}.")
    assert bundle["List-Unsubscribe"].startswith("<http://127.0.0.1:5000/notifications/")
    text, html = parts(smtp_server.received[1])
    for key in ("m2", "a3"):
        assert f"Body {key}" in text and f"https://lms.test/{key}" in text
        assert f"Body {key}" in html and f'href="https://lms.test/{key}"' in html
    assert "2 updates from Pairwise" in text and text.index("Body m2") < text.index("Body a3")
    first, second, third = fresh(first, second, third)
    assert first.bundle_id is None
    assert second.bundle_id == third.bundle_id == second.id
    assert (second.status, third.status, second.attempts, third.attempts) == ("sent", "sent",
                                                                              1, 1)


def test_an_urgent_kind_goes_at_once_and_counts_as_the_hours_email(person, smtp_server):
    queue(person, "m1")
    notify.send_due(now=NOW)
    later = NOW + timedelta(minutes=5)
    waiting = queue(person, "m2", at=later)
    urgent = queue(person, "cancelled", kind="meeting_reminder", at=later)
    report = notify.send_due(now=later)
    assert report.outcomes == [(waiting.id, "waiting"), (urgent.id, "sent")]
    assert [r.message["Subject"] for r in smtp_server.received] == ["Subject m1",
                                                                    "Subject cancelled"]
    # The urgent e-mail was one too: the waiting one goes an hour after it.
    assert notify.send_due(now=NOW + HOUR).outcomes == [(waiting.id, "waiting")]
    assert as_utc(fresh(waiting)[0].send_after) == later + HOUR
    assert notify.send_due(now=later + HOUR).sent == 1


def test_an_urgent_email_carries_what_is_due_with_it(person, smtp_server):
    urgent = queue(person, "reminder", kind="meeting_reminder", at=NOW - timedelta(minutes=1))
    chat = queue(person, "chat")
    report = notify.send_due(now=NOW)
    assert (report.sent, report.emails, report.claimed) == (2, 1, 1)
    [received] = smtp_server.received
    assert received.message["Subject"] == "Subject reminder (and 1 more)"
    urgent, chat = fresh(urgent, chat)
    assert urgent.status == chat.status == "sent" and chat.bundle_id == urgent.id


def test_calendar_invitations_go_on_their_own_and_count(person, smtp_server):
    chat = queue(person, "chat")
    invitation = queue(person, "invite", kind="meeting_proposed", calendar=itip("REQUEST"))
    notify.send_due(now=NOW)
    chat, invitation = fresh(chat, invitation)
    assert (chat.status, invitation.status, invitation.held) == ("sent", "pending", "hour")
    later = queue(person, "later", at=NOW + HOUR)
    report = notify.send_due(now=NOW + HOUR)
    assert report.outcomes[0] == (invitation.id, "sent") and report.emails == 1
    assert fresh(later)[0].held == "hour"  # the invitation was the hour's e-mail
    message = smtp_server.received[1].message
    assert message["Subject"] == "Subject invite" and message.get_content_type() == \
        "multipart/mixed"
    assert [p.get_filename() for p in message.iter_attachments()] == ["invite.ics"]
    assert "Body later" not in parts(smtp_server.received[1])[0]


# --- The daily digest ---------------------------------------------------------------------------

def test_a_topic_in_the_digest_waits_until_0800_in_the_persons_zone(person, smtp_server):
    person.timezone = "America/New_York"
    choose(person, messages=DIGEST)
    evening = datetime(2030, 3, 9, 15, 0, tzinfo=UTC)  # 10:00 in New York
    digest_at = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)  # 08:00 there, clocks moved on
    first = queue(person, "m1", at=evening)
    action = queue(person, "a1", kind="action_reminder", at=evening)  # each e-mail
    report = notify.send_due(now=evening)
    assert report.outcomes == [(first.id, "waiting"), (action.id, "sent")]
    second = queue(person, "m2", at=evening + 2 * HOUR)
    notify.send_due(now=evening + 2 * HOUR)
    for row in fresh(first, second):
        assert (row.status, row.held, as_utc(row.send_after)) == ("pending", "digest", digest_at)
    queue(person, "a2", kind="action_reminder", at=digest_at - timedelta(minutes=30))
    notify.send_due(now=digest_at - timedelta(minutes=30))  # an e-mail half an hour before
    assert notify.send_due(now=digest_at - timedelta(minutes=1)).attempted == 0

    report = notify.send_due(now=digest_at)  # the digest does not wait for the hour
    assert (report.sent, report.emails) == (2, 1)
    digest = smtp_server.received[-1]
    assert digest.message["Subject"] == "Your daily digest from Pairwise"
    text, html = parts(digest)
    assert "2 updates since your last digest" in text
    assert "Body m1" in text and "Body m2" in text and "Body m2" in html
    assert len(smtp_server.received) == 3


def test_choosing_again_releases_what_waits_for_the_digest(person, smtp_server):
    choose(person, messages=DIGEST)
    row = queue(person, "m1")
    notify.send_due(now=NOW)
    assert fresh(row)[0].held == "digest"
    preferences.choose(person, {"messages": EACH}, now=NOW + timedelta(minutes=5))
    db.session.commit()
    row = fresh(row)[0]
    assert (row.held, as_utc(row.send_after)) == (None, NOW + timedelta(minutes=5))
    assert notify.send_due(now=NOW + timedelta(minutes=5)).sent == 1


# --- Bundles claimed safely ---------------------------------------------------------------------

def test_a_bundle_never_takes_a_notification_another_worker_holds(person, smtp_server):
    lead, held_elsewhere, free = queue(person, "a"), queue(person, "b"), queue(person, "c")
    db.session.execute(sa.update(Notification).where(Notification.id == held_elsewhere.id)
                       .values(status="sending", claim_token="other-worker", claimed_at=NOW,
                               attempts=1))
    db.session.commit()
    report = notify.send_due(now=NOW)
    assert sorted(report.outcomes) == [(lead.id, "sent"), (free.id, "sent")]
    lead, held_elsewhere, free = fresh(lead, held_elsewhere, free)
    assert (held_elsewhere.status, held_elsewhere.claim_token) == ("sending", "other-worker")
    assert free.bundle_id == lead.id and held_elsewhere.bundle_id is None
    assert "Body b" not in parts(smtp_server.received[0])[0]


def test_a_failed_bundle_gives_back_what_it_carried_and_the_hour(person, smtp_server):
    queue(person, "m1")
    notify.send_due(now=NOW)
    lead, other = queue(person, "m2"), queue(person, "m3")
    smtp_server.handler.refuse = "451 4.3.0 Try again later"
    report = notify.send_due(now=NOW + HOUR)
    assert (report.retrying, report.sent) == (1, 0)
    lead, other = fresh(lead, other)
    retry_at = NOW + HOUR + timedelta(seconds=60)
    assert (lead.status, lead.attempts, as_utc(lead.send_after)) == ("pending", 1, retry_at)
    # What the e-mail carried waits with it, its claim not counted as an attempt.
    assert (other.status, other.attempts, other.claim_token) == ("pending", 0, None)
    assert as_utc(other.send_after) == retry_at
    last = db.session.scalar(sa.select(Mailbox.last_sent_at).filter_by(person_id=person.id))
    assert as_utc(last) == NOW  # the hour is as it was: nothing went
    smtp_server.handler.refuse = None
    assert notify.send_due(now=retry_at - timedelta(seconds=1)).attempted == 0
    report = notify.send_due(now=retry_at)
    assert sorted(report.outcomes) == [(lead.id, "sent"), (other.id, "sent")]
    assert report.emails == 1 and fresh(other)[0].attempts == 1


def test_a_bundle_no_server_can_take_leaves_each_to_fail_on_its_own(make_person,
                                                                    smtp_server):
    nobody = make_person("Bad", "not an address")
    lead, other = queue(nobody, "m1"), queue(nobody, "m2")
    report = notify.send_due(now=NOW)
    assert sorted(report.outcomes) == [(lead.id, "failed"), (other.id, "failed")]
    for row in fresh(lead, other):
        assert row.attempts == 1 and "Not an e-mail address" in row.last_error
    assert smtp_server.received == []


def test_workers_racing_over_one_persons_notifications_send_each_once(app, person,
                                                                      smtp_server):
    rows = [queue(person, f"m{i}") for i in range(12)]
    row_ids = sorted(row.id for row in rows)
    db.session.remove()
    reports = race(app, lambda: notify.send_due(limit=50, now=NOW))
    assert len(smtp_server.received) == 1  # one e-mail in the hour, whoever sent it
    sent = [row_id for r in reports for row_id, status in r.outcomes if status == "sent"]
    assert len(sent) == len(set(sent)) >= 1
    text = parts(smtp_server.received[0])[0]
    for row in db.session.scalars(sa.select(Notification)):
        key = row.dedupe_key
        if row.id in sent:
            assert row.status == "sent" and f"Body {key}\n" in text
        else:
            assert (row.status, row.held) == ("pending", "hour")
    notify.send_due(now=NOW + HOUR)  # what waited goes in one e-mail
    assert len(smtp_server.received) == (1 if len(sent) == len(rows) else 2)
    statuses = dict(db.session.execute(sa.select(Notification.id, Notification.status)).all())
    assert sorted(statuses) == row_ids and set(statuses.values()) == {"sent"}
    texts = "".join(parts(r)[0] for r in smtp_server.received)
    assert all(texts.count(f"Body m{i}\n") == 1 for i in range(12))


def test_the_hour_is_reserved_once_however_many_workers_ask(app, person):
    person_id = person.id
    db.session.commit()
    assert delivery.reserve(person_id, NOW, limited=True) is not None
    assert delivery.reserve(person_id, NOW + timedelta(minutes=59), limited=True) is None
    assert delivery.reserve(person_id, NOW + timedelta(minutes=1), limited=False) is not None
    db.session.rollback()
    start = threading.Barrier(4)
    won, errors = [], []

    def worker():
        try:
            with app.app_context():
                start.wait(timeout=10)
                won.append(delivery.reserve(person_id, NOW, limited=True) is not None)
                db.session.commit()
        except Exception as exc:  # surfaced below, with the thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and sorted(won) == [False, False, False, True]
