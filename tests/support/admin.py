"""The administrator's side, for the admin page and CLI tests: signing in to the admin pages
with the admin token, the address of a registration link, and the audit log without the admin's
own sign-ins."""

import re

import sqlalchemy as sa

from lti_tool.extensions import db
from tests.support.clients import csrf_token

REGISTRATION_LINK = re.compile(r"http://127\.0\.0\.1:5000/lti/register/[A-Za-z0-9_-]{43}")


def sign_in_admin(client, token="testing-admin-token"):
    """Post the admin sign-in form with `token` (the testing configuration's by default)."""
    page = client.get("/admin/sign-in")
    return client.post("/admin/sign-in", data={"token": token,
                                               "csrf_token": csrf_token(page.data)})


def audit_events(app):
    """The audit log's (action, details), without the admin's own sign-ins."""
    from lti_tool.security.models import AuditEvent

    with app.app_context():
        return [(e.action, e.details) for e in
                db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
                if not e.action.startswith("admin.")]
