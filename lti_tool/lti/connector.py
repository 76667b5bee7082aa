"""Every call from the tool to a platform service goes through `ToolServiceConnector`.

It extends pylti1p3's ServiceConnector (which signs the client-credentials assertion) with:
- access tokens cached in the database per *registration* and scope set (pylti1p3 2.0.2 keys
  its cache by issuer only, so two client ids of one issuer would share a token, and
  its Flask connector keeps them in process memory, so each worker fetches its own);
- lenient `Link: rel=next` parsing (see `links.py`);
- one retry with a fresh token when the platform answers 401 (token revoked or expired early);
- a timeout on every request, and the outbound request policy (`lti/outbound.py`:
  blocked hosts and addresses, allowed ports, https only) on every connection.
"""

import hashlib
import logging
from datetime import timedelta

import requests
import sqlalchemy as sa
from flask import current_app
from pylti1p3.exception import LtiServiceException
from pylti1p3.service_connector import REQUESTS_USER_AGENT, ServiceConnector

from lti_tool.extensions import db
from lti_tool.lti.links import next_page_url
from lti_tool.lti.models import AccessToken
from lti_tool.lti.outbound import OutboundPolicy, guard
from lti_tool.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)
# A cached token is not used in its last seconds: a request must not outlive it.
EXPIRY_MARGIN = timedelta(seconds=30)


class TimeoutSession(requests.Session):
    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = f"Pairwise ({REQUESTS_USER_AGENT})"

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def http_session() -> TimeoutSession:
    """The session for every request the tool makes to a platform, redirects included."""
    session = TimeoutSession(current_app.config["LTI_HTTP_TIMEOUT_SECONDS"])
    guard(session, OutboundPolicy.from_config(current_app.config))
    return session


class ToolServiceConnector(ServiceConnector):
    def __init__(self, registration, requests_session=None):
        super().__init__(registration, requests_session or http_session())

    @property
    def platform_id(self) -> int:
        return self._registration.platform_id

    def _scope_key(self, scopes) -> str:
        reg = self._registration
        parts = [reg.get_issuer() or "", reg.get_client_id() or "", *sorted(scopes)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        row = self._token_row(scope_key)
        if row and as_utc(row.expires_at) - EXPIRY_MARGIN > utcnow():
            return row.token
        return None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float):
        row = self._token_row(scope_key) or AccessToken(
            platform_id=self.platform_id, scope_key=scope_key
        )
        row.token = access_token
        row.expires_at = utcnow() + timedelta(seconds=float(expires_in or 0))
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except sa.exc.IntegrityError:
            # Another worker cached a token for the same key at the same moment: use either.
            log.info("access token cached concurrently for platform %s", self.platform_id)

    def forget_access_token(self, scopes) -> None:
        db.session.execute(
            sa.delete(AccessToken).where(
                AccessToken.platform_id == self.platform_id,
                AccessToken.scope_key == self._scope_key(sorted(scopes)),
            )
        )

    def _token_row(self, scope_key: str) -> AccessToken | None:
        return db.session.scalars(
            sa.select(AccessToken).where(
                AccessToken.platform_id == self.platform_id, AccessToken.scope_key == scope_key
            )
        ).first()

    def make_service_request(self, scopes, url, *args, **kwargs):
        try:
            response = super().make_service_request(scopes, url, *args, **kwargs)
        except LtiServiceException as exc:
            if exc.response.status_code != 401:
                raise
            log.info("platform %s refused a cached token; fetching a new one", self.platform_id)
            self.forget_access_token(scopes)
            response = super().make_service_request(scopes, url, *args, **kwargs)
        headers = {k.lower(): v for k, v in response["headers"].items()}
        response["next_page_url"] = next_page_url(headers.get("link"))
        return response
