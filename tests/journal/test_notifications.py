"""Action-item reminders and message notifications: to the item's owner (the day before it
is due and the day after, at 9:00 in their zone) and to the other member of the thread (at
most once an hour), in their language, with a link that lands on the journal or the messages,
never twice, and none for an item finished or a member who turned e-mail off."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_datetime

from lti_tool.extensions import db
from lti_tool.journal import services
from lti_tool.journal.models import ActionItem, Message
from lti_tool.timeutil import as_utc
from tests.support.notified import LinkRecorder, set_locale, told
from tests.support.pairs import followed, person_id

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


@pytest.fixture
def links(monkeypatch):
    return LinkRecorder().install(monkeypatch)


def add_item(person, pair_id, owner: int, due: date, title="Send Lena two articles"):
    return followed(person, person.post(
        f"/pairs/{pair_id}/journal/actions",
        {"title": title, "owner": owner, "due_on": due.isoformat()},
        page=f"/pairs/{pair_id}/journal"))


def write(person, pair_id, body: str):
    return followed(person, person.post(f"/pairs/{pair_id}/messages", {"body": body},
                                        page=f"/pairs/{pair_id}/messages"))


def test_action_reminders_reach_the_owner_at_nine_in_their_zone(app, pair, links):
    _, mona, lena, pair_id = pair
    mona_id = person_id(app, "2")
    due = date.today() + timedelta(days=4)
    add_item(lena, pair_id, mona_id, due)  # Lena writes it, Mona owns it
    with app.app_context():
        rows = told("action_reminder")
        assert [r.recipient_id for r in rows] == [mona_id, mona_id]
        assert [as_utc(r.send_after) for r in rows] == [
            datetime.combine(due + timedelta(days=days), time(9), BERLIN).astimezone(UTC)
            for days in (-1, 1)]
        assert rows[0].subject == "Due tomorrow: Send Lena two articles"
        assert rows[1].subject == "Overdue: Send Lena two articles"
        assert "See your action items: " + rows[0].link in rows[0].body
        assert format_date(due, "EEEE d MMMM y", locale="en") in rows[0].body
    assert links.destinations(mona_id) == [f"/pairs/{pair_id}/journal"] * 2


def test_action_reminders_in_the_owners_language(app, pair, links):
    _, mona, lena, pair_id = pair
    lena_id = person_id(app, "10")
    with app.app_context():
        set_locale(lena_id, "de")
    due = date(date.today().year + 1, 3, 1)
    add_item(lena, pair_id, lena_id, due, title="Lebenslauf schreiben")
    with app.app_context():
        rows = told("action_reminder")
        german_day = format_date(due, "EEEE d MMMM y", locale="de")  # "… 1 März …"
        assert "März" in german_day and all(german_day in r.body for r in rows)
        assert all('lang="de"' in r.html for r in rows)
        assert as_utc(rows[0].send_after) == datetime.combine(
            due - timedelta(days=1), time(9), NEW_YORK).astimezone(UTC)


def test_a_changed_item_plans_anew_and_a_finished_one_is_not_reminded(app, pair, links):
    _, mona, lena, pair_id = pair
    lena_id = person_id(app, "10")
    add_item(lena, pair_id, lena_id, date.today() + timedelta(days=4), title="Read chapter 3")
    with app.test_request_context():
        item = db.session.query(ActionItem).one()
        services.update_action(item, item.owner, due_on=date.today() + timedelta(days=9))
        db.session.commit()
        statuses = sorted(r.status for r in told("action_reminder"))
        assert statuses == ["cancelled", "cancelled", "pending", "pending"]  # never twice
        services.update_action(item, item.owner, status="done")
        db.session.commit()
        assert {r.status for r in told("action_reminder")} == {"cancelled"}


def test_a_message_tells_the_other_member_once_an_hour(app, pair, links):
    _, mona, lena, pair_id = pair
    mona_id, lena_id = person_id(app, "2"), person_id(app, "10")
    write(lena, pair_id, "Hi Mona! Shall we move Thursday?")
    write(lena, pair_id, "And one more thing")
    with app.app_context():
        rows = told("message")
        assert [r.recipient_id for r in rows] == [mona_id]  # not Lena, and once this hour
        assert rows[0].subject == "New message from Lena Learner"
        assert "> Hi Mona! Shall we move Thursday?" in rows[0].body
        assert "Read and reply: " + rows[0].link in rows[0].body
    assert set(links.destinations(mona_id)) == {f"/pairs/{pair_id}/messages"}  # no token
    assert links.destinations(lena_id) == []


def test_a_message_in_the_readers_language_and_zone(app, pair, links):
    _, mona, lena, pair_id = pair
    mona_id = person_id(app, "2")
    with app.app_context():
        set_locale(mona_id, "de")
    write(lena, pair_id, "Hallo Mona")
    with app.app_context():
        row = told("message")[0]
        sent = as_utc(db.session.query(Message).one().created_at).astimezone(BERLIN)
        german = format_datetime(sent, "EEEE d MMMM y, HH:mm", locale="de")
        assert f"{german} (Berlin time)" in row.body  # Mona reads Berlin time, in German
        assert 'lang="de"' in row.html


def test_no_message_e_mail_for_a_member_who_turned_it_off(app, pair, links):
    _, mona, lena, pair_id = pair
    followed(mona, mona.post(f"/pairs/{pair_id}/messages/email", {"email": "off"},
                             page=f"/pairs/{pair_id}/messages"))
    write(lena, pair_id, "Are you there?")
    with app.app_context():
        assert told("message") == []
