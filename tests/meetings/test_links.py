"""Meeting links: fresh Jitsi rooms nobody can guess, pasted links checked before they are
shown to both people or put in calendar files, and the place of a meeting."""

import re

import pytest

from lti_tool.meetings.links import (
    MAX_LINK_LENGTH,
    LinkError,
    jitsi_room_url,
    validate_link,
    venue,
)


def test_jitsi_rooms_are_unique_and_unguessable():
    rooms = {jitsi_room_url() for _ in range(1000)}
    assert len(rooms) == 1000
    for room in rooms:
        assert re.fullmatch(r"https://meet\.jit\.si/pairwise-[a-z2-7]{24}", room)


def test_jitsi_base_and_prefix_can_be_chosen():
    room = jitsi_room_url("mentoring-42", "https://jitsi.example.org/")
    assert re.fullmatch(r"https://jitsi\.example\.org/mentoring-42-[a-z2-7]{24}", room)


@pytest.mark.parametrize("prefix", ["", "has space", "a/b", "x" * 41, "-start"])
def test_a_bad_room_prefix_is_refused(prefix):
    with pytest.raises(ValueError, match="room prefix"):
        jitsi_room_url(prefix)


def test_an_http_jitsi_base_is_refused():
    with pytest.raises(LinkError, match="https"):
        jitsi_room_url(base_url="http://jitsi.example.org")


@pytest.mark.parametrize(("url", "provider", "name"), [
    ("https://us02web.zoom.us/j/81234567890?pwd=abcDEF", "zoom", "Zoom"),
    ("https://zoom.us/j/1234", "zoom", "Zoom"),
    ("https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0", "teams",
     "Microsoft Teams"),
    ("https://meet.google.com/abc-defg-hij", "google_meet", "Google Meet"),
    ("https://university.webex.com/meet/ana", "webex", "Webex"),
    ("https://meet.jit.si/pairwise-abc", "jitsi", "Jitsi Meet"),
    ("https://whereby.com/ana", "other", "video call"),
    ("https://zoom.us.example.com/j/1", "other", "video call"),  # not Zoom's host
    ("https://notzoom.us/j/1", "other", "video call"),
])
def test_providers_are_recognised_by_host(url, provider, name):
    link = validate_link(url)
    assert (link.url, link.provider, link.provider_name) == (url, provider, name)


def test_links_are_tidied():
    link = validate_link("  HTTPS://Meet.Google.COM/abc-defg-hij  ")
    assert link.url == "https://meet.google.com/abc-defg-hij"
    assert validate_link("https://zoom.us:443/j/1").url == "https://zoom.us:443/j/1"


@pytest.mark.parametrize(("url", "message"), [
    ("http://zoom.us/j/1", "Use the https:// version"),
    ("javascript:alert(1)", "starts with https://"),
    ("JavaScript://zoom.us/%0aalert(1)", "starts with https://"),
    ("data:text/html,<script>alert(1)</script>", "starts with https://"),
    ("ftp://files.example.org/x", "starts with https://"),
    ("//zoom.us/j/1", "starts with https://"),
    ("zoom.us/j/1", "starts with https://"),
    ("https://ana:secret@zoom.us/j/1", "Remove the user name or password"),
    ("https://ana@zoom.us/j/1", "Remove the user name or password"),
    ("https://", "no valid web address"),
    ("https:///j/1", "no valid web address"),
    ("https://localhost/j/1", "no valid web address"),
    ("https://exa mple.org/", "spaces"),
    ("https://zoom.us/j/1\nSet-Cookie: x", "control characters"),
    ("https:\\\\evil.example\\x", "backslashes"),
    ("https://zoom.us:99999/j/1", "invalid port"),
    ("", "Paste the link"),
    ("https://zoom.us/" + "a" * MAX_LINK_LENGTH, "longer than 2000"),
])
def test_bad_links_are_refused(url, message):
    with pytest.raises(LinkError, match=message):
        validate_link(url)


def test_video_gets_a_jitsi_room_unless_a_link_is_pasted():
    default = venue()
    assert (default.modality, default.provider) == ("video", "jitsi")
    assert default.url.startswith("https://meet.jit.si/pairwise-")
    pasted = venue("video", link="https://zoom.us/j/1")
    assert (pasted.url, pasted.provider_name) == ("https://zoom.us/j/1", "Zoom")
    with pytest.raises(LinkError):
        venue("video", link="http://zoom.us/j/1")


def test_in_person_needs_a_one_line_location():
    assert venue("in_person", location="  Library, room 2 ").location == "Library, room 2"
    with pytest.raises(LinkError, match="Say where"):
        venue("in_person")
    with pytest.raises(LinkError, match="one line"):
        venue("in_person", location="Library\nroom 2")
    with pytest.raises(LinkError, match="not a link"):
        venue("in_person", location="Library", link="https://zoom.us/j/1")


def test_phone_and_chat_need_nothing_and_take_no_location():
    assert venue("phone") == venue("phone", link=None)
    assert venue("chat", link="https://chat.example.org/room").provider == "other"
    with pytest.raises(LinkError, match="Only a meeting in person"):
        venue("phone", location="Library")
    with pytest.raises(LinkError, match="not 'carrier pigeon'"):
        venue("carrier pigeon")
