"""The sandbox as an LTI platform: its URLs, its signing key and JWKS, the tools registered
with it, the tokens it signs for itself (message hints, registration tokens, deep-linking
data) and the tool key sets it fetches to check what tools sign."""

import functools
import json
import secrets
import string
import time
from datetime import datetime, timedelta
from typing import Any

import jwt
import requests
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app
from jwcrypto.jwk import JWK

from lti_tool.extensions import db
from lti_tool.lti.keys import pem_pair
from lti_tool.sandbox.models import PlatformKey, ToolRegistration, UsedNonce
from lti_tool.timeutil import utcnow

AGS_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
AGS_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
AGS_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = (AGS_LINEITEM, AGS_LINEITEM_READONLY, AGS_RESULT_READONLY, AGS_SCORE)
SUPPORTED_SCOPES = (*AGS_SCOPES, NRPS_SCOPE)

PRODUCT_FAMILY = "sandbox"
PLATFORM_VERSION = "0.1.0"
KEY_BITS = 2048
CLIENT_ID_LENGTH = 15  # Moodle's client ids are 15 random letters and digits
# Seconds of clock skew tolerated on tokens the tools sign.
LEEWAY = 10


class TokenError(Exception):
    """A token the sandbox was shown is not one it accepts; the message says why."""


# --- URLs -----------------------------------------------------------------------------------

def sandbox_url() -> str:
    """The platform's base URL and issuer, exactly as configured (no trailing slash)."""
    configured = current_app.config.get("SANDBOX_URL") or ""
    if not configured:
        raise RuntimeError("Set SANDBOX_URL (e.g. http://localhost:5000/sandbox) to use the "
                           "sandbox LMS.")
    return configured.rstrip("/")


def url(path: str = "") -> str:
    return sandbox_url() + path


def endpoints() -> dict[str, str]:
    return {
        "issuer": sandbox_url(),
        "auth": url("/auth"),
        "token": url("/token"),
        "jwks": url("/jwks"),
        "openid_configuration": url("/.well-known/openid-configuration"),
        "registration": url("/register"),
    }


# --- The platform key -----------------------------------------------------------------------

def signing_key() -> PlatformKey:
    """The newest key; one is generated (and flushed, the caller commits) if there is none."""
    key = db.session.scalars(sa.select(PlatformKey).order_by(PlatformKey.id.desc())).first()
    return key or _generate_key()


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _generate_key() -> PlatformKey:
    private_pem, public_pem = pem_pair(new_private_key())
    key = PlatformKey(kid=secrets.token_hex(10), private_pem=private_pem, public_pem=public_pem)
    db.session.add(key)
    db.session.flush()
    return key


@functools.lru_cache(maxsize=8)
def private_key(pem: str) -> rsa.RSAPrivateKey:
    """The loaded key for a PEM: loading checks the RSA key, which costs ~10 ms a time."""
    return serialization.load_pem_private_key(pem.encode(), password=None)


def public_jwk(key: PlatformKey) -> dict[str, Any]:
    jwk = json.loads(JWK.from_pem(key.public_pem.encode()).export_public())
    return {**jwk, "kid": key.kid, "alg": "RS256", "use": "sig"}


def jwks() -> dict[str, list]:
    keys = db.session.scalars(sa.select(PlatformKey).order_by(PlatformKey.id.desc()))
    return {"keys": [public_jwk(key) for key in keys]}


# --- Tokens the sandbox signs for itself ----------------------------------------------------

def sign(claims: dict[str, Any], lifetime: int) -> str:
    """RS256 with the platform key's kid; iat and exp from one clock reading."""
    key = signing_key()
    now = int(time.time())
    payload = {"iss": sandbox_url(), **claims, "iat": now, "exp": now + lifetime}
    return jwt.encode(payload, private_key(key.private_pem), algorithm="RS256",
                      headers={"kid": key.kid})


def verify(token: str, use: str) -> dict[str, Any]:
    """Claims of a token this platform signed for `use` (a `sandbox_use` claim keeps message
    hints, registration tokens and deep-linking data from standing in for each other)."""
    key = _key_for(token)
    try:
        claims = jwt.decode(token, key.public_pem, algorithms=["RS256"], issuer=sandbox_url(),
                            options={"require": ["exp", "iat", "iss"], "verify_aud": False})
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    if claims.get("sandbox_use") != use:
        raise TokenError(f"not a {use} token")
    return claims


def _key_for(token: str) -> PlatformKey:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise TokenError("malformed token") from exc
    key = db.session.scalars(sa.select(PlatformKey).where(PlatformKey.kid == kid)).first()
    if key is None:
        raise TokenError("token not signed by this platform")
    return key


# --- Tool registrations ---------------------------------------------------------------------

def current_registration() -> ToolRegistration | None:
    """The tool the course page launches: the newest registration."""
    return db.session.scalars(
        sa.select(ToolRegistration).order_by(ToolRegistration.id.desc())
    ).first()


def registration_by_client_id(client_id: str | None) -> ToolRegistration | None:
    if not client_id:
        return None
    return db.session.scalars(
        sa.select(ToolRegistration).where(ToolRegistration.client_id == client_id)
    ).first()


def new_client_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(CLIENT_ID_LENGTH))


def create_registration(**fields: Any) -> ToolRegistration:
    """A new tool type; its id becomes its deployment id, as in Moodle. Flushed, not committed."""
    registration = ToolRegistration(client_id=new_client_id(), deployment_id="", **fields)
    db.session.add(registration)
    db.session.flush()
    registration.deployment_id = str(registration.id)
    return registration


# --- What tools sign ------------------------------------------------------------------------

def fetch_tool_jwks(jwks_url: str) -> dict[str, Any]:
    """The tool's key set, fetched now (tools rotate keys; a sandbox needs no cache)."""
    timeout = current_app.config["LTI_HTTP_TIMEOUT_SECONDS"]
    try:
        response = requests.get(jwks_url, timeout=timeout, headers={"Accept": "application/json"})
        response.raise_for_status()
        key_set = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise TokenError(f"could not fetch the tool's JWKS from {jwks_url}: {exc}") from exc
    if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
        raise TokenError(f"the tool's JWKS at {jwks_url} has no 'keys' list")
    return key_set


def consume_once(value: str, expires_at: datetime | int) -> bool:
    """Record a nonce or jti; False if it was seen before (a replay)."""
    if isinstance(expires_at, int):
        expires_at = datetime.fromtimestamp(expires_at, tz=utcnow().tzinfo)
    now = utcnow()
    db.session.execute(sa.delete(UsedNonce).where(UsedNonce.expires_at < now))
    if db.session.get(UsedNonce, value) is not None:
        return False
    try:
        with db.session.begin_nested():
            # Kept a little past the token's expiry: the token is checked with a leeway.
            db.session.add(UsedNonce(value=value, expires_at=expires_at + timedelta(minutes=5)))
    except sa.exc.IntegrityError:
        return False  # another request recorded it at the same moment
    return True
