"""The tool's RSA signing keys: created on first use, published as a JWKS, rotated with a
grace period so that platforms holding the old key's tokens keep verifying them."""

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app
from jwcrypto.jwk import JWK

from lti_tool.extensions import db
from lti_tool.lti import caches
from lti_tool.lti.models import ToolKey
from lti_tool.timeutil import as_utc, utcnow


def pem_pair(private_key: rsa.RSAPrivateKey) -> tuple[str, str]:
    """(private PKCS#8 PEM, public SubjectPublicKeyInfo PEM) of an RSA key."""
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


def generate_key(bits: int | None = None) -> ToolKey:
    bits = bits or current_app.config["TOOL_KEY_BITS"]
    private_pem, public_pem = pem_pair(rsa.generate_private_key(65537, bits))
    key = ToolKey(kid=secrets.token_hex(10), private_pem=private_pem, public_pem=public_pem)
    db.session.add(key)
    db.session.flush()
    return key


def signing_key() -> ToolKey:
    """The newest active key; one is generated (and committed by the caller) if none exists."""
    key = db.session.scalars(
        db.select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.id.desc())
    ).first()
    return key or generate_key()


@dataclass(frozen=True)
class SigningKey:
    """The signing key's parts, cached per process (lti/caches.py: a rotation committed here
    is seen at once, one committed elsewhere within LTI_REGISTRATION_CACHE_SECONDS; the old
    key stays published for days, so tokens signed with it in between still verify)."""

    kid: str
    private_pem: str
    public_pem: str


def current_signing_key() -> SigningKey:
    """`signing_key()` from this process's cache. A key generated here is flushed, not
    committed: it is cached only once a commit makes it everyone's (that commit empties the
    cache, and the next call reads it back)."""
    cache = caches.cache("tool_keys", size=2)
    found = cache.get("signing")
    if found is None:
        read_at = caches.generation()
        key = signing_key()
        found = SigningKey(key.kid, key.private_pem, key.public_pem)
        if not caches.uncommitted_change(db.session):
            cache.put("signing", found, read_at=read_at)
    return found


def ensure_key() -> ToolKey:
    key = signing_key()
    db.session.commit()
    return key


def rotate() -> ToolKey:
    """Add a new signing key; older active keys are retired but stay published for the grace."""
    now = utcnow()
    for old in db.session.scalars(db.select(ToolKey).where(ToolKey.retired_at.is_(None))):
        old.retired_at = now
    key = generate_key()
    db.session.commit()
    return key


def public_jwk(key: ToolKey) -> dict:
    jwk = json.loads(JWK.from_pem(key.public_pem.encode()).export_public())
    return {**jwk, "kid": key.kid, "alg": "RS256", "use": "sig"}


def published_keys() -> list[ToolKey]:
    """Active keys and retired keys still inside their grace period, newest first."""
    grace = timedelta(days=current_app.config["KEY_ROTATION_GRACE_DAYS"])
    cutoff = utcnow() - grace
    keys = db.session.scalars(db.select(ToolKey).order_by(ToolKey.id.desc())).all()
    return [k for k in keys if k.retired_at is None or as_utc(k.retired_at) > cutoff]


def jwks() -> dict:
    """The published keys as a JWKS, cached per process like the signing key."""
    cache = caches.cache("tool_keys", size=2)
    found = cache.get("jwks")
    if found is None:
        read_at = caches.generation()
        found = {"keys": [public_jwk(k) for k in published_keys()]}
        if not caches.uncommitted_change(db.session):
            cache.put("jwks", found, read_at=read_at)
    return {"keys": [dict(key) for key in found["keys"]]}
