"""Recaps, action items and messages over HTTP: what a pair writes stays with
the pair (staff see counts, and recaps shared with them), text is escaped, drafts survive a
failed save, only an item's owner or author changes it, ended pairs are read-only, due dates
plan reminders in the outbox and finishing an item cancels them, unread counts and e-mail."""

import re
from datetime import date, timedelta

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.journal import services
from lti_tool.journal.models import ActionItem, Message, Recap
from lti_tool.notify.models import Notification
from lti_tool.pairs.models import Pair
from tests.support.clients import Participant
from tests.support.meetings import scheduled
from tests.support.pairs import followed, intake, person_id

SCRIPT = "<script>alert('x')</script>"


def journal(person, pair_id) -> bytes:
    page = person.get(f"/pairs/{pair_id}/journal")
    assert page.status_code == 200
    return page.data


def write(person, pair_id, **fields):
    return person.post(f"/pairs/{pair_id}/journal/recaps", fields,
                       page=f"/pairs/{pair_id}/journal")


def test_a_recap_with_an_action_item_is_private_to_the_pair(app, platform, pair):
    staff, mona, lena, pair_id = pair
    due = date.today() + timedelta(days=5)
    saved = followed(lena, write(lena, pair_id, takeaways=f"Practise pitching {SCRIPT}",
                                 notes="Ask about mentors", action_title="Draft my CV",
                                 action_owner=person_id(app, "10"),
                                 action_due=due.isoformat()))
    assert b"Recap saved." in saved
    assert SCRIPT.encode() not in saved and b"&lt;script&gt;" in saved
    assert b"Only you and Mona Mentor can read this" in saved
    mona_view = journal(mona, pair_id)
    assert b"Practise pitching" in mona_view and b"Draft my CV" in mona_view
    # Staff and outsiders cannot read it; staff get counts only.
    assert staff.get(f"/pairs/{pair_id}/journal").status_code == 403
    luis = Participant(app, platform, "11", "Learner", "Luis Learner")
    intake(luis, topics=["Leadership"])
    assert luis.get(f"/pairs/{pair_id}/journal").status_code == 403
    assert luis.get(f"/pairs/{pair_id}/messages").status_code == 403
    assert b"Practise pitching" not in staff.get("/shared-recaps").data
    with app.app_context():
        summary = services.pair_summary(db.session.get(Pair, pair_id))
    assert summary["recaps"] == 1 and summary["actions"]["open"] == 1
    assert "Practise" not in repr(summary)


def test_shared_recaps_reach_staff_and_nobody_else(app, pair):
    staff, mona, lena, pair_id = pair
    followed(mona, write(mona, pair_id, takeaways="Great first session", shared="y"))
    followed(lena, write(lena, pair_id, takeaways="My private thoughts"))
    page = staff.get("/shared-recaps")
    assert page.status_code == 200
    assert b"Great first session" in page.data and b"My private thoughts" not in page.data
    assert lena.get("/shared-recaps").status_code == 403


def test_a_failed_save_keeps_the_draft(app, pair):
    _, mona, lena, pair_id = pair
    empty = write(lena, pair_id, takeaways="   ", notes="A long note I wrote")
    assert empty.status_code == 400
    assert b"A long note I wrote" in empty.data
    big = write(lena, pair_id, takeaways="x" * 5001)
    assert big.status_code == 400 and b"5000" in big.data.replace(b",", b"")
    past = write(lena, pair_id, takeaways="Fine", action_title="Late thing",
                 action_owner=person_id(app, "10"),
                 action_due=(date.today() - timedelta(days=1)).isoformat())
    assert past.status_code == 400 and b"The due date has passed" in past.data
    assert b"Late thing" in past.data
    with app.app_context():
        assert db.session.scalars(sa.select(Recap)).all() == []
        assert db.session.scalars(sa.select(ActionItem)).all() == []


def test_only_the_owner_or_author_changes_an_item_and_reminders_follow(app, pair):
    _, mona, lena, pair_id = pair
    lena_id, mona_id = person_id(app, "10"), person_id(app, "2")
    due = date.today() + timedelta(days=4)
    followed(mona, mona.post(f"/pairs/{pair_id}/journal/actions",
                             {"title": "Send Lena two articles", "owner": mona_id,
                              "due_on": due.isoformat()}, page=f"/pairs/{pair_id}/journal"))
    with app.app_context():
        item_id = db.session.scalars(sa.select(ActionItem.id)).one()
        reminders = list(db.session.scalars(sa.select(Notification).filter_by(
            kind="action_reminder")))
        assert {r.recipient_id for r in reminders} == {mona_id}
        assert len(reminders) == 2 and all(r.status == "pending" for r in reminders)
    refused = followed(lena, lena.post(f"/actions/{item_id}/status", {"status": "done"},
                                       page=f"/pairs/{pair_id}/journal"))
    assert b"they update it" in refused
    done = followed(mona, mona.post(f"/actions/{item_id}/status", {"status": "done"},
                                    page=f"/pairs/{pair_id}/journal"))
    assert b"Marked done." in done
    with app.app_context():
        item = db.session.get(ActionItem, item_id)
        assert item.status == "done" and item.done_at is not None
        statuses = {r.status for r in db.session.scalars(sa.select(Notification).filter_by(
            kind="action_reminder"))}
        assert statuses == {"cancelled"}
    # Lena may not assign items to someone outside the pair.
    stranger = lena.post(f"/pairs/{pair_id}/journal/actions",
                         {"title": "Nope", "owner": lena_id + mona_id + 99},
                         page=f"/pairs/{pair_id}/journal")
    assert stranger.status_code == 400 and b"one of the two of you" in stranger.data


def test_open_items_come_back_on_the_next_meeting(app, pair):
    _, mona, lena, pair_id = pair
    scheduled(app, mona, lena, pair_id)
    followed(lena, lena.post(f"/pairs/{pair_id}/journal/actions",
                             {"title": "Read chapter 3", "owner": person_id(app, "10")},
                             page=f"/pairs/{pair_id}/journal"))
    page = mona.get(f"/pairs/{pair_id}/meetings").data
    assert b"Still open from earlier meetings" in page and b"Read chapter 3" in page


def test_messages_with_unread_counts_and_email(app, pair):
    _, mona, lena, pair_id = pair
    sent = followed(lena, lena.post(f"/pairs/{pair_id}/messages",
                                    {"body": f"Hi Mona! {SCRIPT}\nSecond line"},
                                    page=f"/pairs/{pair_id}/messages"))
    assert b"Hi Mona!" in sent and SCRIPT.encode() not in sent
    with app.app_context():
        the_pair = db.session.get(Pair, pair_id)
        mona_person = the_pair.mentor
        assert services.unread_count(the_pair, mona_person) == 1
        assert services.unread_count(the_pair, the_pair.mentee) == 0
    emailed = [n for n in db_rows(app, Notification) if n.kind == "message"]
    assert len(emailed) == 1 and "Hi Mona!" in emailed[0].body
    # A second message within the hour does not e-mail again.
    followed(lena, lena.post(f"/pairs/{pair_id}/messages", {"body": "One more thing"},
                             page=f"/pairs/{pair_id}/messages"))
    assert len([n for n in db_rows(app, Notification) if n.kind == "message"]) == 1
    page = mona.get(f"/pairs/{pair_id}/messages").data
    assert len(re.findall(rb"<strong>new</strong>", page)) == 2
    with app.app_context():
        the_pair = db.session.get(Pair, pair_id)
        assert services.unread_count(the_pair, the_pair.mentor) == 0
    followed(mona, mona.post(f"/pairs/{pair_id}/messages/email", {"email": "off"},
                             page=f"/pairs/{pair_id}/messages"))
    with app.app_context():
        the_pair = db.session.get(Pair, pair_id)
        assert services.state_of(the_pair, the_pair.mentor).email is False
    empty = lena.post(f"/pairs/{pair_id}/messages", {"body": ""},
                      page=f"/pairs/{pair_id}/messages")
    assert empty.status_code == 400


def test_an_ended_pair_is_read_only(app, pair):
    staff, mona, lena, pair_id = pair
    followed(lena, lena.post(f"/pairs/{pair_id}/messages", {"body": "Thanks for everything"},
                             page=f"/pairs/{pair_id}/messages"))
    followed(staff, staff.post(f"/pairs/{pair_id}/end", {"confirmed": "yes", "status": "completed"},
                               page="/matching"))
    page = lena.get(f"/pairs/{pair_id}/messages")
    assert page.status_code == 200 and b"Thanks for everything" in page.data
    assert b"closed" in page.data
    refused = lena.post(f"/pairs/{pair_id}/messages", {"body": "Hello?"},
                        page="/intake")  # the closed pages have no form to take a token from
    assert refused.status_code == 400 and b"This pair has ended" in refused.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def db_rows(app, model):
    with app.app_context():
        rows = list(db.session.scalars(sa.select(model)))
        db.session.expunge_all()
        return rows
