"""`compose.tell`: a notification written in its reader's language and zone, as text and
HTML, with the reader's words escaped in the HTML."""

from datetime import UTC, datetime

import pytest

from lti_tool.notify.compose import Message, tell


def _about_a_meeting(reader):
    return Message(subject="A meeting <soon>", lines=["Mona & Lena meet."],
                   facts=[("When", reader.when(datetime(2026, 5, 11, 12, 0, tzinfo=UTC)))],
                   quote="I want to <learn>\nand grow", quote_by="Lena", action="Open it")


def test_a_message_is_written_in_the_readers_language_and_zone(ctx, person):
    person.locale, person.timezone = "de-DE", "Europe/Berlin"
    row = tell(person, "meeting_proposed", _about_a_meeting, dedupe_key="k1",
               destination="/pairs/1/")
    assert "Montag 11 Mai 2026, 14:00 (Berlin time)" in row.body
    assert "> I want to <learn>" in row.body and row.link.endswith("/pairs/1/")
    assert "Open it: " + row.link in row.body
    assert "A meeting &lt;soon&gt;" in row.html and "Mona &amp; Lena meet." in row.html
    assert "I want to &lt;learn&gt;" in row.html and f'href="{row.link}"' in row.html
    assert 'lang="de-DE"' in row.html


def test_an_unknown_locale_or_zone_reads_as_english_and_utc(ctx, person):
    person.locale, person.timezone = "xx-nope", "Mars/Olympus"
    row = tell(person, "meeting_proposed", _about_a_meeting, dedupe_key="k2")
    assert "Monday 11 May 2026, 12:00 (UTC time)" in row.body and row.link == ""


def test_an_unknown_kind_is_refused(ctx, person):
    with pytest.raises(ValueError, match="Unknown notification kind"):
        tell(person, "no_such_kind", _about_a_meeting, dedupe_key="k3")
