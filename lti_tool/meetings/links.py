"""Where a meeting happens: a video link (by default a fresh Jitsi Meet room, or a link the pair
pastes), or a phone call, chat, or a place to meet in person.

A Jitsi Meet room needs no account or API key: anyone with the URL joins, so the room name
carries about 120 random bits and is never derived from names or ids. A pasted link is shown
to both people and put in calendar files, so it must be a plain https URL with a host, no user
name or password in it, and a sane length; the provider is recognised from the host only for
display ("Join on Zoom").
"""

import base64
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from lti_tool.catalogue import N_
from lti_tool.matching.profiles import MODALITIES

JITSI_BASE = "https://meet.jit.si"
MAX_LINK_LENGTH = 2000
MAX_LOCATION_LENGTH = 200
ROOM_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")
HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # line breaks included
CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")

# Host suffix -> (provider key, name to show). A suffix matches the host or a subdomain of it.
PROVIDERS = {
    "zoom.us": ("zoom", "Zoom"),
    "zoom.com": ("zoom", "Zoom"),
    "zoomgov.com": ("zoom", "Zoom"),
    "teams.microsoft.com": ("teams", "Microsoft Teams"),
    "teams.live.com": ("teams", "Microsoft Teams"),
    "teams.microsoft.us": ("teams", "Microsoft Teams"),
    "meet.google.com": ("google_meet", "Google Meet"),
    "webex.com": ("webex", "Webex"),
    "meet.jit.si": ("jitsi", "Jitsi Meet"),
    "8x8.vc": ("jitsi", "Jitsi Meet"),
}
OTHER = ("other", "video call")


class LinkError(ValueError):
    """A pasted link or a place that cannot be used, with the reason in words."""


@dataclass(frozen=True)
class MeetingLink:
    url: str
    provider: str  # "zoom" | "teams" | "google_meet" | "webex" | "jitsi" | "other"
    provider_name: str  # "Zoom", ..., "video call"


def jitsi_room_url(prefix: str = "pairwise", base_url: str = JITSI_BASE) -> str:
    """A new, unguessable Jitsi Meet room: <base_url>/<prefix>-<24 random characters>."""
    if not ROOM_PREFIX.fullmatch(prefix):
        raise ValueError("The room prefix is 1-40 letters, digits or hyphens.")
    base = validate_link(base_url).url.rstrip("/")
    token = base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()  # 120 bits
    return f"{base}/{prefix}-{token}"


def validate_link(text: str) -> MeetingLink:
    """A pasted meeting link, checked and tidied (scheme and host in lower case), or LinkError."""
    url = (text or "").strip()
    if not url:
        raise LinkError(N_("Paste the link to the video call."))
    if len(url) > MAX_LINK_LENGTH:
        raise LinkError(f"That link is longer than {MAX_LINK_LENGTH} characters.")
    if CONTROL_OR_SPACE.search(url) or "\\" in url:
        raise LinkError(N_("A link cannot contain spaces, backslashes or control characters."))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "http":
        raise LinkError(N_("Use the https:// version of the link: http:// is not encrypted."))
    if scheme != "https":
        raise LinkError(N_("A meeting link starts with https://."))
    if parts.username is not None or parts.password is not None:
        raise LinkError(N_("Remove the user name or password from the link before sharing it."))
    host = (parts.hostname or "").rstrip(".")
    if not _valid_host(host):
        raise LinkError(N_("The link has no valid web address after https://."))
    try:
        port = parts.port
    except ValueError as exc:
        raise LinkError(N_("The link has an invalid port number.")) from exc
    netloc = host if port is None else f"{host}:{port}"
    provider, name = provider_of(host)
    tidy = urlunsplit(("https", netloc, parts.path, parts.query, parts.fragment))
    return MeetingLink(url=tidy, provider=provider, provider_name=name)


def _valid_host(host: str) -> bool:
    labels = host.split(".")
    return len(host) <= 253 and len(labels) >= 2 and all(HOST_LABEL.fullmatch(label)
                                                          for label in labels)


def provider_of(host: str) -> tuple[str, str]:
    """(provider key, name to show) for a lower-case host name."""
    for suffix, provider in PROVIDERS.items():
        if host == suffix or host.endswith("." + suffix):
            return provider
    return OTHER


@dataclass(frozen=True)
class Venue:
    """How the pair meets: a video call with its link, a phone call, chat or e-mail, or in
    person at a location."""

    modality: str  # one of lti_tool.matching.profiles.MODALITIES
    url: str | None = None
    provider: str | None = None
    provider_name: str | None = None
    location: str | None = None


def venue(modality: str = "video", *, link: str | None = None, location: str | None = None,
          room_prefix: str = "pairwise", jitsi_base: str = JITSI_BASE) -> Venue:
    """The place of a meeting. Video uses the pasted `link`, or a new Jitsi room when none is
    given; in person needs a `location`; phone and chat may carry a link (a chat room)."""
    if modality not in MODALITIES:
        raise LinkError(f"A meeting is by {', '.join(MODALITIES)}, not {modality!r}.")
    place = (location or "").strip()
    if modality == "in_person":
        if link:
            raise LinkError(N_("A meeting in person has a location, not a link."))
        if not place:
            raise LinkError(N_("Say where you will meet in person."))
        if len(place) > MAX_LOCATION_LENGTH or CONTROL.search(place):
            raise LinkError(f"A location is one line of at most {MAX_LOCATION_LENGTH} "
                            "characters.")
        return Venue(modality, location=place)
    if place:
        raise LinkError(N_("Only a meeting in person has a location."))
    if modality == "video" and not link:
        url = jitsi_room_url(room_prefix, jitsi_base)
        return Venue(modality, url=url, provider="jitsi", provider_name="Jitsi Meet")
    if not link:
        return Venue(modality)
    checked = validate_link(link)
    return Venue(modality, url=checked.url, provider=checked.provider,
                 provider_name=checked.provider_name)
