"""Issuer URLs compared as parsed URLs, never as strings.

A string-prefix test lets `https://moodle.example@attacker.example/openid` pass for the issuer
`https://moodle.example`: the part before `@` is user-info, and the host is the attacker's.
LTI Dynamic Registration 1.0 (§3.4, §3.5.1) has the platform's OpenID configuration live under
its issuer, and the configuration's `issuer` be that issuer. Here "under" means the same
scheme, host and port, and a path inside the issuer's path; user-info is never accepted.
"""

from typing import cast
from urllib.parse import SplitResult, urlsplit

from flask import current_app
from flask_babel import gettext as _

from lti_tool.lti.outbound import OutboundPolicy

DEFAULT_PORTS = {"http": 80, "https": 443}


class IssuerMismatch(ValueError):
    """A URL that is not a platform's, or not under the issuer it claims; the message is
    safe to show (it names nothing the tool fetched)."""


def https_required() -> bool:
    """Whether platforms must use https (OUTBOUND_HTTPS_ONLY, on in production), read as the
    outbound request policy reads it."""
    return OutboundPolicy.from_config(current_app.config).https_only


def parse(url: object, *, https_only: bool) -> SplitResult:
    """The parts of an absolute http(s) URL with a host and no user-info."""
    if not isinstance(url, str) or not url.strip():
        raise IssuerMismatch(_("The address is empty."))
    if any(c in url for c in "\\ \t\r\n") or not url.isprintable():
        # Parsers disagree on these (a browser reads a backslash as "/"): refuse them.
        raise IssuerMismatch(_("The address contains spaces or backslashes."))
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as exc:
        raise IssuerMismatch(_("The address has an invalid port.")) from exc
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise IssuerMismatch(_("The address is not an http(s) URL."))
    if "@" in parts.netloc:
        raise IssuerMismatch(_("The address contains a user name or password."))
    if https_only and parts.scheme != "https":
        raise IssuerMismatch(_("The address must use https."))
    return parts


def normalise(issuer: str, *, https_only: bool) -> str:
    """An issuer as `scheme://host[:port][/path]`, lower-case scheme and host, no default port
    and no trailing slash, for comparisons (the stored issuer keeps the platform's spelling)."""
    parts = parse(issuer, https_only=https_only)
    if parts.query or parts.fragment:
        raise IssuerMismatch(_("An issuer has no query or fragment."))
    return _origin(parts) + parts.path.rstrip("/")


def is_under(url: str, issuer: str, *, https_only: bool) -> bool:
    """Whether `url` is the issuer's own address or a path below it."""
    base = parse(issuer, https_only=https_only)
    parts = parse(url, https_only=https_only)
    if _origin(parts) != _origin(base):
        return False
    prefix = base.path.rstrip("/")
    return parts.path == prefix or parts.path.startswith(prefix + "/")


def _origin(parts: SplitResult) -> str:
    # `parts` come from parse(), which refuses a URL without a host.
    scheme, host = parts.scheme.lower(), cast(str, parts.hostname).lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else \
        f"{scheme}://{host}:{port}"
