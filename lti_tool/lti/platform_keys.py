"""Platforms' public keys (their JWKS), fetched once and kept per process.

A key set is kept for the Cache-Control max-age the platform sends (LTI_JWKS_CACHE_SECONDS
without one), never less than LTI_JWKS_MIN_SECONDS nor more than LTI_JWKS_MAX_SECONDS. An
id_token signed with a `kid` the set lacks may mean the platform rotated its keys: the set is
fetched again, but at most once per LTI_JWKS_MIN_SECONDS per registration, so tokens with
made-up kids cannot make the tool fetch the JWKS on every request. Entries are keyed by the
registration's id *and* its JWKS URL: one platform's keys never verify another's tokens, and
an edited URL is a new entry (so an edited registration needs no emptying of this cache; a
removed one's entry is never asked for again and ages out).
"""

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import current_app
from jwcrypto.jwk import JWK
from pylti1p3.exception import LtiKeyException

from lti_tool.lti import caches

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*no-(?:store|cache)\b", re.IGNORECASE)
_fetch_lock = threading.Lock()


@dataclass
class KeySet:
    jwks: dict[str, Any]
    expires_at: float
    refetched_at: float = float("-inf")  # the last fetch an unknown kid asked for
    _parsed: dict[tuple[str, str], Any] = field(default_factory=dict)

    def find(self, kid: str, alg: str) -> Any | None:
        """The public key with this kid and alg, parsed once."""
        if (kid, alg) not in self._parsed:
            self._parsed[(kid, alg)] = _parse(self.jwks, kid, alg)
        return self._parsed[(kid, alg)]


def public_key(platform_id: int, key_set_url: str, kid: str, alg: str,
               session: requests.Session, clock: Callable[[], float] | None = None) -> Any:
    """The platform's key for an id_token's (kid, alg), fetching its JWKS when this process
    has none, when it has expired, or (at most once per interval) when it lacks the kid."""
    clock = clock or caches.now
    cache = caches.cache("jwks", size=256, ttl=_limits()[2], follows_registrations=False)
    where = (platform_id, key_set_url)
    now = clock()
    entry = cache.get(where)
    fetched = False
    if entry is None or entry.expires_at <= now:
        entry, fetched = _refresh(cache, where, session, clock, stale=entry), True
    key = entry.find(kid, alg)
    if key is None and not fetched and now - entry.refetched_at >= _limits()[1]:
        entry = _refresh(cache, where, session, clock, stale=entry, unknown_kid=True)
        key = entry.find(kid, alg)
    if key is None:
        raise LtiKeyException("Unable to find public key")
    return key


def _refresh(cache: caches.ProcessCache, where: tuple[int, str], session: requests.Session,
             clock: Callable[[], float], stale: KeySet | None,
             unknown_kid: bool = False) -> KeySet:
    with _fetch_lock:
        # Another thread may have fetched it while this one waited.
        current = cache.get(where)
        if current is not None and current is not stale and current.expires_at > clock():
            return current
        jwks, lifetime = _fetch(where[1], session)
        now = clock()
        entry = KeySet(jwks, now + lifetime)
        if stale is not None:
            entry.refetched_at = stale.refetched_at
        if unknown_kid:
            entry.refetched_at = now
        cache.put(where, entry)
        return entry


def _fetch(url: str, session: requests.Session) -> tuple[dict[str, Any], float]:
    """(the JWKS, how long to keep it); errors worded as pylti1p3 words them (rejections.py)."""
    if not url.startswith(("http://", "https://")):
        raise LtiKeyException("The public key set URL is invalid: " + url)
    try:
        response = session.get(url)
    except requests.exceptions.RequestException as exc:
        raise LtiKeyException(f"Error while fetching the public key URL {url}: {exc}") from exc
    try:
        jwks = response.json()
    except ValueError as exc:
        raise LtiKeyException("Invalid response while fetching the platform's public key "
                              f"from {url}. Must be JSON") from exc
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise LtiKeyException(f"Invalid response while fetching the platform's public key "
                              f"from {url}. It has no keys")
    return jwks, lifetime(response.headers.get("Cache-Control", ""))


def lifetime(cache_control: str) -> float:
    """Seconds to keep a key set answered with this Cache-Control, within the limits."""
    default, shortest, longest = _limits()
    if _NO_CACHE.search(cache_control):
        return shortest
    found = _MAX_AGE.search(cache_control)
    seconds = float(found.group(1)) if found else default
    return min(max(seconds, shortest), longest)


def _limits() -> tuple[float, float, float]:
    config = current_app.config
    return (float(config["LTI_JWKS_CACHE_SECONDS"]), float(config["LTI_JWKS_MIN_SECONDS"]),
            float(config["LTI_JWKS_MAX_SECONDS"]))


def _parse(jwks: dict[str, Any], kid: str, alg: str) -> Any | None:
    for jwk in jwks["keys"]:
        if not isinstance(jwk, dict) or not jwk.get("kid") or jwk.get("kid") != kid \
                or jwk.get("alg", "RS256") != alg:
            continue
        try:
            pem = JWK.from_json(json.dumps(jwk)).export_to_pem()
            return load_pem_public_key(pem)
        except (ValueError, TypeError) as exc:
            raise LtiKeyException("Can't convert JWT key to PEM format") from exc
    return None
