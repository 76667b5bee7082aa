"""The agreement's e-mails and the second signer's additions: each member hears of a version
waiting for them, of the signature, and, three days after a proposal still unsigned, gets a
reminder that is cancelled once the version is signed, replaced, or the pair ends. Each e-mail
goes to the right person, once, in their language and zone, with a link (through
`courses.landing.link_for`) to the agreement page."""

from datetime import timedelta

import pytest

from lti_tool.extensions import db
from lti_tool.notify.models import CANCELLED, PENDING, Notification
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc, utcnow
from lti_tool.workspace import notices, services
from lti_tool.workspace.models import AgreementVersion
from tests.support.introductions import set_person
from tests.support.pairs import followed, person_id
from tests.support.workspace import accept, page, propose, rows

GERMAN_DAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


@pytest.fixture
def links(monkeypatch):
    """Every link asked of the landing module: (person id, program id, destination)."""
    asked = []

    def link_for(person, program, destination):
        asked.append((person.id, program.id if program else None, destination))
        return f"https://lms.example/go/{len(asked)}"

    monkeypatch.setattr("lti_tool.courses.landing.link_for", link_for)
    return asked


def sent(app, kind: str) -> list[Notification]:
    return rows(app, Notification, kind=kind)


def test_a_proposal_tells_the_other_in_their_language_with_a_link(app, pair, links):
    _, mona, lena, pair_id = pair
    set_person(app, "2", locale="de-DE")
    followed(lena, propose(lena, pair_id, mentee_hopes="Feedback on my CV"))
    [told] = sent(app, "agreement_proposed")
    mona_id = person_id(app, "2")
    assert told.recipient_id == mona_id and told.status == PENDING
    assert told.subject == "Lena Learner proposed your mentoring agreement"
    assert "(Berlin time)" in told.body and any(day in told.body for day in GERMAN_DAYS)
    assert 'lang="de-DE"' in told.html and "Feedback on my CV" not in told.body
    assert abs(as_utc(told.send_after) - utcnow()) < timedelta(minutes=1)  # now
    assert (mona_id, 1, f"/pairs/{pair_id}/agreement") in links  # no session token in it
    assert told.link in told.body and told.link.startswith("https://lms.example/go/")


def test_an_unsigned_version_reminds_the_awaited_member_after_three_days(app, pair, links):
    _, mona, lena, pair_id = pair
    set_person(app, "2", locale="de-DE")  # Mona reads German, Lena English
    followed(lena, propose(lena, pair_id))
    [reminder] = sent(app, "agreement_waiting")
    [version] = rows(app, AgreementVersion)
    assert reminder.recipient_id == person_id(app, "2") and reminder.status == PENDING
    due = as_utc(reminder.send_after) - as_utc(version.created_at)
    assert abs(due - notices.WAITING_AFTER) < timedelta(minutes=1)
    assert notices.WAITING_AFTER == timedelta(days=3)
    assert "Lena Learner proposed version 1" in reminder.body and reminder.link in reminder.body
    assert any(day in reminder.body for day in GERMAN_DAYS) and 'lang="de-DE"' in reminder.html
    assert reminder.dedupe_key == f"agreement-waiting:{pair_id}:1:{reminder.recipient_id}"
    assert links.count((reminder.recipient_id, 1, f"/pairs/{pair_id}/agreement")) == 2

    followed(mona, accept(mona, pair_id, 1))  # signed: the reminder is not sent
    assert [n.status for n in sent(app, "agreement_waiting")] == [CANCELLED]
    [signed] = sent(app, "agreement_signed")
    assert signed.recipient_id == person_id(app, "10")  # the proposer hears of it
    assert "(New York time)" in signed.body and "it is signed" in signed.body
    assert not any(day in signed.body for day in GERMAN_DAYS) and 'lang="en' in signed.html
    assert (signed.recipient_id, 1, f"/pairs/{pair_id}/agreement") in links


def test_a_new_version_replaces_the_reminder(app, pair, links):
    _, mona, lena, pair_id = pair
    followed(lena, propose(lena, pair_id))
    followed(mona, propose(mona, pair_id, base="1", minutes="60"))
    first, second = sent(app, "agreement_waiting")
    assert (first.recipient_id, first.status) == (person_id(app, "2"), CANCELLED)
    assert (second.recipient_id, second.status) == (person_id(app, "10"), PENDING)
    told = sent(app, "agreement_proposed")[-1]
    assert told.subject == "Mona Mentor suggested changes to your mentoring agreement"
    assert "What changed: How long (minutes)" in told.body


def test_ending_the_pair_cancels_the_reminder(app, pair, links):
    staff, _, lena, pair_id = pair
    followed(lena, propose(lena, pair_id))
    followed(staff, staff.post(f"/pairs/{pair_id}/end", {"confirmed": "yes", "status": "completed"},
                               page="/matching"))
    assert [n.status for n in sent(app, "agreement_waiting")] == [CANCELLED]


def test_nothing_is_told_twice(app, pair, links):
    _, mona, lena, pair_id = pair
    followed(lena, propose(lena, pair_id))
    followed(mona, accept(mona, pair_id, 1))
    followed(mona, accept(mona, pair_id, 1))  # refused: signed already

    with app.test_request_context():  # the same events told again: nothing new is queued
        pair_row = db.session.get(Pair, pair_id)
        version = services.latest_version(pair_row)
        notices.proposed(version, pair_row.mentor, [])
        notices.signed(version, pair_row.mentor, pair_row.mentee)
        notices.schedule_waiting(version, pair_row.mentor)
        db.session.commit()
    assert [len(sent(app, kind)) for kind in
            ("agreement_proposed", "agreement_signed", "agreement_waiting")] == [1, 1, 1]


def test_the_second_signer_adds_their_wants_while_accepting(app, pair, links):
    _, mona, lena, pair_id = pair
    followed(lena, propose(lena, pair_id, mentee_hopes="Feedback on my CV"))
    view = page(mona, f"/pairs/{pair_id}/agreement")
    assert b"Add what you want from the relationship (optional)" in view
    assert b"Leave it empty to sign version 1 as it is. With something added, you accept it " \
        b"as version 2, for Lena Learner to accept in turn." in view

    added = followed(mona, mona.post(f"/pairs/{pair_id}/agreement/accept",
                                     {"version": "1", "additions": "  Hear how <juniors> see it "},
                                     page=f"/pairs/{pair_id}/agreement"))
    assert b"Version 2, with what you added, is proposed. Lena Learner has been told" in added
    first, second = rows(app, AgreementVersion)
    assert first.mentor_accepted_at is None  # version 1 is replaced, never signed
    assert second.proposed_by_id == person_id(app, "2")
    assert second.mentor_hopes == "Hear how <juniors> see it"
    assert second.mentee_hopes == "Feedback on my CV" and second.mentee_accepted_at is None
    assert second.mentor_accepted_at is not None and second.frequency == first.frequency
    assert second.signed_at is None
    told = sent(app, "agreement_proposed")[-1]
    assert told.recipient_id == person_id(app, "10")
    assert "What changed: What the mentor wants from the relationship" in told.body
    assert "juniors" not in told.body
    lena_view = page(lena, f"/pairs/{pair_id}/agreement")
    assert b"I accept version 2" in lena_view and b"Hear how &lt;juniors&gt; see it" in lena_view

    # More from Mona on a later round goes after what she wrote.
    followed(lena, lena.post(f"/pairs/{pair_id}/agreement/accept",
                             {"version": "2", "additions": "And mock interviews"},
                             page=f"/pairs/{pair_id}/agreement"))
    third = rows(app, AgreementVersion)[-1]
    assert third.mentee_hopes == "Feedback on my CV\n\nAnd mock interviews"
    assert third.mentor_hopes == "Hear how <juniors> see it"

    signed = followed(mona, accept(mona, pair_id, 3))  # without additions: signed as today
    assert b"Accepted: your agreement is signed." in signed
    assert rows(app, AgreementVersion)[-1].signed_at is not None
    assert len(rows(app, AgreementVersion)) == 3


def test_additions_that_cannot_be_taken_come_back(app, pair, links):
    _, mona, lena, pair_id = pair
    followed(lena, propose(lena, pair_id, mentor_hopes="x" * 1990))
    refused = mona.post(f"/pairs/{pair_id}/agreement/accept",
                        {"version": "1", "additions": "Twenty characters!!!"},
                        page=f"/pairs/{pair_id}/agreement")
    assert refused.status_code == 400
    assert b"keep it under 2,000 characters" in refused.data
    assert b"Twenty characters!!!</textarea>" in refused.data
    followed(mona, propose(mona, pair_id, base="1", minutes="60", mentor_hopes="Mine"))
    stale = mona.post(f"/pairs/{pair_id}/agreement/accept",
                      {"version": "1", "additions": "Late words"},
                      page=f"/pairs/{pair_id}/agreement")
    assert stale.status_code == 400 and b"Version 1 is no longer the latest" in stale.data
    assert len(rows(app, AgreementVersion)) == 2


def test_the_services_tell_outside_a_request_too(app, pair, links):
    """A script or command (no request) proposes and accepts: the e-mails go all the same."""
    _, _, _, pair_id = pair
    with app.app_context():
        pair_row = db.session.get(Pair, pair_id)
        services.propose_agreement(pair_row, pair_row.mentee, services.Terms(), None)
        services.accept_agreement(pair_row, pair_row.mentor, 1)
        db.session.commit()
    assert [len(sent(app, kind)) for kind in
            ("agreement_proposed", "agreement_signed", "agreement_waiting")] == [1, 1, 1]
    assert {destination for _, _, destination in links} == {f"/pairs/{pair_id}/agreement"}
