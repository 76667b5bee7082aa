"""Security headers on every response.

- HTML pages get a Content-Security-Policy: everything from the tool itself (`pairwise.js`
  and `pairwise.css`; no inline scripts or styles), images also as `data:`, no plugins. Only
  the tool and the registered platforms may frame a page (the LMS course page embeds the tool)
  or receive its forms (the deep-linking response auto-posts to the LMS). A platform's origins
  are those of its issuer and its OIDC login URL, cached per process for
  `CSP_PLATFORM_CACHE_SECONDS` and refreshed at once when this process commits a change to a
  registration. `CSP_EXTRA_ORIGINS` adds origins for an LMS whose pages live elsewhere.
- Dynamic registration (`/lti/register/<link>`) is opened in the platform's frame before the
  platform is registered: the origin of the platform's `openid_configuration` URL may frame
  that endpoint's answers too (the view sets `g.frame_ancestor`; without a valid link the
  answer is a refusal with nothing to click).
  Registrations come only from administrators (the admin page, the CLI, or a registration
  link they made), so no stranger can add an origin to the policy.
- The sandbox LMS (development and tests) gets its own, looser policy: like a real LMS it uses
  inline auto-submit scripts and frames and posts to another site (the tool).
- `Strict-Transport-Security` over https when `HSTS_ENABLED` (production).
- `Referrer-Policy: same-origin` (the session token travels in URLs: never leak it to other
  sites through Referer) and `X-Content-Type-Options: nosniff` on every response.
"""

import logging
import re
import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.dbutil import database_unavailable
from lti_tool.extensions import db
from lti_tool.lti import caches
from lti_tool.lti.models import Platform

log = logging.getLogger(__name__)

CSP = "Content-Security-Policy"
# A host we are willing to write into a policy: a DNS name, an IPv4 or an IPv6 address.
# Anything else (spaces, semicolons, quotes from a hostile registration) is left out.
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
                   r"|[0-9a-f:.]*:[0-9a-f:.]*)")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CACHE_KEY = "pairwise.csp_origins"

SANDBOX_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
                  "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                  "frame-src 'self' http: https:; form-action 'self' http: https:; "
                  "object-src 'none'; base-uri 'self'; frame-ancestors 'self'{ancestors}")


def init_app(app: Flask) -> None:
    app.extensions[_CACHE_KEY] = {"origins": (), "loaded": float("-inf"), "generation": -1}
    app.after_request(add_headers)


def add_headers(response):
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html" and CSP not in response.headers:
        response.headers[CSP] = content_security_policy()
    config = current_app.config
    if config["HSTS_ENABLED"] and request.is_secure:
        value = f"max-age={int(config['HSTS_SECONDS'])}"
        if config["HSTS_INCLUDE_SUBDOMAINS"]:
            value += "; includeSubDomains"
        response.headers.setdefault("Strict-Transport-Security", value)
    return response


def content_security_policy() -> str:
    """The policy for this request's page."""
    if request.blueprint == "sandbox":
        return SANDBOX_POLICY.format(ancestors=_join(_development_origins()))
    platforms = platform_origins()
    ancestors = platforms
    extra = origin(g.get("frame_ancestor") or "")
    if extra and extra not in platforms:
        ancestors = (*platforms, extra)
    return ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
            f"form-action 'self'{_join(platforms)}; frame-ancestors 'self'{_join(ancestors)}")


def _join(origins) -> str:
    return "".join(" " + o for o in origins)


def origin(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL, lower-case, without a default port; None for
    anything that is not a plain http(s) URL with a sane host."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not _HOST.fullmatch(host):
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else \
        f"{scheme}://{host}:{port}"


def platform_origins() -> tuple[str, ...]:
    """Origins of every registered platform (issuer, login URL), the configured extra origins
    and, with the sandbox enabled, the sandbox's and the tool's own. Cached briefly."""
    cache = current_app.extensions[_CACHE_KEY]
    ttl = current_app.config["CSP_PLATFORM_CACHE_SECONDS"]
    now = time.monotonic()
    # A commit of this process that changes a registration bumps the generation (lti/caches.py).
    if cache["generation"] != caches.generation() or now - cache["loaded"] > ttl:
        generation = caches.generation()
        try:
            urls = _platform_urls()
        except SQLAlchemyError as exc:
            # An outage is answered 503 elsewhere and logged there; a bug gets its traceback.
            log.log(logging.WARNING if database_unavailable(exc) else logging.ERROR,
                    "csp: cannot read platform registrations; keeping the last origins",
                    exc_info=not database_unavailable(exc))
            return cache["origins"]
        configured = re.split(r"[\s,]+", current_app.config.get("CSP_EXTRA_ORIGINS") or "")
        found = [*_development_origins(), *(origin(url) for url in (*urls, *configured))]
        cache.update(origins=tuple(dict.fromkeys(o for o in found if o)), loaded=now,
                     generation=generation)
    return cache["origins"]


def _platform_urls() -> list[str]:
    # On a connection of its own: the request's session may be mid-transaction or failed.
    with db.engine.connect() as connection:
        rows = connection.execute(sa.select(Platform.issuer, Platform.auth_login_url)).all()
    return [url for row in rows for url in row]


def _development_origins() -> tuple[str, ...]:
    config = current_app.config
    if not config.get("SANDBOX_ENABLED"):
        return ()
    found = (origin(config.get("SANDBOX_URL") or ""), origin(config.get("BASE_URL") or ""))
    return tuple(dict.fromkeys(o for o in found if o))

