"""Enqueueing inside the caller's transaction: idempotent on the dedupe key, scheduled,
validated, kept for people without an address, and cancelled by key prefix."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.notify import services as notify
from lti_tool.notify.models import Notification
from lti_tool.timeutil import as_utc, utcnow
from tests.support.mail import itip


def rows() -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).order_by(Notification.id)))


def test_enqueue_creates_a_pending_row_in_the_callers_transaction(person):
    row = notify.enqueue(person, "meeting_proposed", "Meeting proposed", "Body",
                         dedupe_key="meeting:42:proposed", link="https://tool.test/m/42")
    assert row.id is not None and row.status == "pending" and row.attempts == 0
    assert row.recipient is person and row.kind == "meeting_proposed"
    assert row.link == "https://tool.test/m/42" and row.calendar is None
    assert abs(as_utc(row.send_after) - utcnow()) < timedelta(seconds=5)
    db.session.rollback()  # the caller's transaction decides: nothing is left
    assert rows() == []


def test_enqueue_is_idempotent_on_the_dedupe_key(person, make_person):
    first = notify.enqueue(person, "reminder", "Tomorrow", "Body",
                           dedupe_key="meeting:42:reminder:24h")
    db.session.commit()
    again = notify.enqueue(make_person("Other", "o@example.edu"), "other", "Changed", "Other",
                           dedupe_key="meeting:42:reminder:24h")
    assert again.id == first.id and again.subject == "Tomorrow" and again.recipient is person
    assert len(rows()) == 1


def test_a_cancelled_key_stays_cancelled(person):
    notify.enqueue(person, "reminder", "Soon", "Body", dedupe_key="meeting:7:reminder:1h")
    notify.cancel("meeting:7:")
    again = notify.enqueue(person, "reminder", "Soon", "Body", dedupe_key="meeting:7:reminder:1h")
    assert again.status == "cancelled" and len(rows()) == 1


def test_send_after_is_stored_in_utc(person):
    paris = timezone(timedelta(hours=2))
    row = notify.enqueue(person, "reminder", "Soon", "Body", dedupe_key="k1",
                         send_after=datetime(2030, 5, 10, 16, 0, tzinfo=paris))
    naive = notify.enqueue(person, "reminder", "Soon", "Body", dedupe_key="k2",
                           send_after=datetime(2030, 5, 10, 14, 0))
    db.session.commit()
    db.session.expire_all()
    assert as_utc(row.send_after) == as_utc(naive.send_after) == datetime(2030, 5, 10, 14, 0,
                                                                          tzinfo=UTC)


def test_recipient_without_an_address_is_kept_as_no_address(make_person):
    nobody = make_person("Nobody", email="")
    row = notify.enqueue(nobody, "meeting_proposed", "Hi", "Body", dedupe_key="nobody:1")
    assert row.status == "no_address"
    assert notify.enqueue(None, "x", "s", "b", dedupe_key="none") is None


def test_subject_is_one_line(person):
    row = notify.enqueue(person, "x", "Line one\r\nBcc: evil@example.org", "Body",
                         dedupe_key="subject")
    assert row.subject == "Line one Bcc: evil@example.org"


def test_calendar_method_comes_from_the_calendar_or_must_agree_with_it(person):
    row = notify.enqueue(person, "invite", "Invite", "Body", dedupe_key="c1",
                         calendar=itip("REQUEST"))
    assert row.calendar_method == "REQUEST" and "BEGIN:VEVENT" in row.calendar
    row = notify.enqueue(person, "cancel", "Cancelled", "Body", dedupe_key="c2",
                         calendar=itip("CANCEL"), calendar_method="cancel")
    assert row.calendar_method == "CANCEL"
    row = notify.enqueue(person, "file", "File", "Body", dedupe_key="c3", calendar=itip(None))
    assert row.calendar_method == "PUBLISH"
    with pytest.raises(ValueError, match="differs"):
        notify.enqueue(person, "x", "s", "b", dedupe_key="c4", calendar=itip("REQUEST"),
                       calendar_method="CANCEL")
    with pytest.raises(ValueError, match="without a calendar"):
        notify.enqueue(person, "x", "s", "b", dedupe_key="c5", calendar_method="REQUEST")
    with pytest.raises(ValueError, match="not an iCalendar"):
        notify.enqueue(person, "x", "s", "b", dedupe_key="c6", calendar="hello")


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_dedupe_key_is_required_and_bounded(person, key):
    with pytest.raises(ValueError, match="dedupe_key"):
        notify.enqueue(person, "x", "s", "b", dedupe_key=key)


def test_cancel_by_prefix_touches_only_pending_rows_under_the_prefix(person):
    for key in ("meeting:4:reminder:24h", "meeting:4:reminder:1h", "meeting:42:reminder:1h",
                "meeting_4:reminder:1h", "meeting:4:proposed"):
        notify.enqueue(person, "reminder", "s", "b", dedupe_key=key)
    sent = notify.enqueue(person, "reminder", "s", "b", dedupe_key="meeting:4:reminder:old")
    sent.status = "sent"
    db.session.flush()
    assert notify.cancel("meeting:4:reminder:") == 2
    status = {row.dedupe_key: row.status for row in rows()}
    assert status == {
        "meeting:4:reminder:24h": "cancelled", "meeting:4:reminder:1h": "cancelled",
        "meeting:42:reminder:1h": "pending", "meeting_4:reminder:1h": "pending",
        "meeting:4:proposed": "pending", "meeting:4:reminder:old": "sent",
    }
    # LIKE wildcards in the prefix are literal characters.
    assert notify.cancel("meeting_4") == 1
    assert notify.cancel("%") == 0
    with pytest.raises(ValueError):
        notify.cancel("")


def test_a_persons_notifications_go_with_them(person):
    notify.enqueue(person, "x", "s", "b", dedupe_key="gone")
    db.session.commit()
    db.session.execute(sa.delete(type(person)).where(type(person).id == person.id))
    db.session.commit()
    assert rows() == []


def test_counts_and_recent(make_person):
    a, b = make_person("A", "a@example.edu"), make_person("B", "")
    notify.enqueue(a, "x", "first", "b", dedupe_key="r1")
    notify.enqueue(b, "x", "second", "b", dedupe_key="r2")
    db.session.commit()
    assert notify.counts() == {"pending": 1, "sending": 0, "sent": 0, "failed": 0,
                               "cancelled": 0, "no_address": 1, "skipped": 0}
    assert [n.subject for n in notify.recent()] == ["second", "first"]
