"""`compose.tell`: a notification written in its reader's language and zone, as text and
HTML, with the reader's words escaped in the HTML, a link through the LMS, and a footer that
leads to the Notifications page and to unsubscribing."""

from datetime import UTC, datetime

import pytest
from markupsafe import escape

from lti_tool.notify import compose, unsubscribe
from lti_tool.notify.bundles import END, START
from lti_tool.notify.compose import Message, tell
from tests.support.notified import LINK, LinkRecorder


def _about_a_meeting(reader):
    return Message(subject="A meeting <soon>", lines=["Mona & Lena meet."],
                   facts=[("When", reader.when(datetime(2026, 5, 11, 12, 0, tzinfo=UTC)))],
                   quote="I want to <learn>\nand grow", quote_by="Lena", action="Open it")


def test_a_message_is_written_in_the_readers_language_and_zone(ctx, person, monkeypatch):
    links = LinkRecorder().install(monkeypatch)
    person.locale, person.timezone = "de-DE", "Europe/Berlin"
    row = tell(person, "meeting_proposed", _about_a_meeting, dedupe_key="k1",
               destination="/pairs/1/")
    assert "Montag 11 Mai 2026, 14:00 (Berlin time)" in row.body
    assert "> I want to <learn>" in row.body
    assert links.destinations(person.id) == ["/pairs/1/"]  # the link goes through the LMS
    assert row.link.startswith(LINK)
    assert "Open it: " + row.link in row.body
    assert "A meeting &lt;soon&gt;" in row.html and "Mona &amp; Lena meet." in row.html
    assert "I want to &lt;learn&gt;" in row.html and f'href="{escape(row.link)}"' in row.html
    assert 'lang="de-DE"' in row.html


def test_every_message_ends_with_the_notifications_page_and_unsubscribing(ctx, person,
                                                                          monkeypatch):
    pages = []
    monkeypatch.setattr(compose, "_page_link", lambda who, program, path: pages.append(
        (who.id, program, path)) or f"{LINK}&to=notifications")
    row = tell(person, "message", _about_a_meeting, dedupe_key="k4")
    unsubscribe_url = unsubscribe.base_url() + "/notifications/unsubscribe/"
    assert pages == [(person.id, None, "/notifications/")]  # through the LMS (courses.landing)
    assert row.manage_link == f"{LINK}&to=notifications"
    text, _, footer = row.body.rpartition("\n-- \n")
    assert "Mona & Lena meet." in text and "Manage notifications: " + row.manage_link in footer
    assert f"Unsubscribe from the e-mails that are not essential: {unsubscribe_url}" in footer
    token = footer.rsplit("/", 1)[1].strip()
    assert unsubscribe.person_of(token) == person
    assert f'href="{escape(row.manage_link)}"' in row.html
    assert f'href="{unsubscribe_url}' in row.html
    # The message itself (what a bundle shows of it) is marked off from the footer.
    message = row.html.partition(START)[2].partition(END)[0]
    assert "Mona &amp; Lena meet." in message and "unsubscribe" not in message


def test_an_unknown_locale_or_zone_reads_as_english_and_utc(ctx, person):
    person.locale, person.timezone = "xx-nope", "Mars/Olympus"
    row = tell(person, "meeting_proposed", _about_a_meeting, dedupe_key="k2")
    assert "Monday 11 May 2026, 12:00 (UTC time)" in row.body and row.link == ""


def test_an_unknown_kind_is_refused(ctx, person):
    with pytest.raises(ValueError, match="Unknown notification kind"):
        tell(person, "no_such_kind", _about_a_meeting, dedupe_key="k3")
