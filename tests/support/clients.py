"""People in a program, each with a browser of their own: `Participant`.

A participant has no cookies: their session travels in every URL (`?pw=`), as in an LMS iframe
with third-party cookies blocked. They are signed in one of two ways:

- directly (the default): the launch's claims go through the same `LaunchContext` and
  `record_launch` a real launch uses, and the session a launch would make is written as it
  is. No OIDC login, no signature, no JWKS: what feature tests do not test, they do not pay for;
- by a real signed launch (`launch=True`): OIDC login initiation, an id_token signed by the
  platform double's key, validated against its JWKS over HTTP. Tests of launches use this.

Forms are posted with the session's CSRF token, read once (the page a test names is still
fetched first, as a person would open it before sending its form).
"""

import re
import secrets
from datetime import timedelta

from flask import session
from flask_wtf.csrf import generate_csrf

from lti_tool.courses.services import record_launch
from lti_tool.extensions import db
from lti_tool.lti.context import LaunchContext
from lti_tool.timeutil import utcnow
from lti_tool.web.sessions import TOKEN_PARAM, WebSession, make_token
from tests.support.platform import LTI, PlatformDouble, landed_at, launch

ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: bytes) -> str:
    """The first CSRF token in a page."""
    return CSRF.search(html).group(1).decode()


class Participant:
    """A person launched (or signed in) into the program, with their own session token."""

    def __init__(self, app, platform: PlatformDouble, sub: str, role: str, name: str,
                 context: dict | None = None, *, launch: bool = False, **claims):
        self.app = app
        self.client = app.test_client(use_cookies=False)
        claims = {"sub": sub, "name": name, "given_name": name.split()[0],
                  LTI + "roles": [ROLE + role], **claims}
        if context:
            claims[LTI + "context"] = context
        if launch:
            self.response = _launched(self.client, platform, claims)
            self.token = landed_at(self.response).split(f"{TOKEN_PARAM}=")[1]
            self._csrf = None
        else:
            self.response = None
            self.token, self._csrf = _signed_in(app, platform, claims)

    def url(self, path: str) -> str:
        return f"{path}{'&' if '?' in path else '?'}{TOKEN_PARAM}={self.token}"

    def get(self, path: str):
        return self.client.get(self.url(path))

    def post(self, path: str, data: dict | None = None, page: str = "/"):
        opened = self.get(page)
        token = self._csrf or csrf_token(opened.data)
        return self.client.post(self.url(path), data={"csrf_token": token, **(data or {})})


def _launched(client, platform: PlatformDouble, claims: dict):
    return launch(client, platform, **claims)


def _signed_in(app, platform: PlatformDouble, overrides: dict) -> tuple[str, str]:
    """Record the launch's claims as a launch does and write its session; (token, CSRF)."""
    claims = platform.claims(nonce="signed-in-directly")
    claims.update(overrides)
    with app.test_request_context():
        ctx = LaunchContext.from_claims(claims)
        recorded = record_launch(ctx)
        sid = secrets.token_urlsafe(32)
        data = {"enrolment_id": recorded.enrolment.id, "launch_id": f"direct-{sid[:12]}",
                "resource_link_id": recorded.resource_link.id if recorded.resource_link
                else None, "deep_linking": ctx.is_deep_linking, "embedded": ctx.embedded,
                "locale": ctx.locale}
        csrf = _csrf_for(data)
        now = utcnow()
        db.session.add(WebSession(id=sid, data=data, started_at=now,
                                  expires_at=now + timedelta(hours=8)))
        db.session.commit()
        return make_token(sid), csrf


def _csrf_for(data: dict) -> str:
    """Put a CSRF secret into the session data and return its signed token, as the first
    page with a form does (Flask-WTF keeps the secret in the session)."""
    generate_csrf()  # writes the secret into this test request's own (throwaway) session
    data["csrf_token"] = session["csrf_token"]
    return generate_csrf()
