"""An e-mail's link, opened in a fresh browser with third-party cookies blocked, goes through
the sandbox LMS and lands on the page the e-mail is about.

Mona and Lena are paired over plain HTTP (tests/support/journeys.py `pair_mona_with_lena`).
Lena is told about her pair's hub and Mona about a message, through `notify.compose.tell` as
features do. Each link is opened in a browser that has never seen the tool: it reaches the
tool (`/go/...`), which sends it to the activity's page in the sandbox LMS (on another site);
that page launches the tool in its iframe, and the launch opens the hub, or the messages page,
instead of the home page: no cookie crossed into the iframe, the session token did the work.
"""

import pytest
import sqlalchemy as sa
from flask import url_for

from lti_tool.courses.models import PendingLanding
from lti_tool.extensions import db
from tests.support.browser import screenshot
from tests.support.email_links import assert_landed, link_followed, tell_over_app
from tests.support.journeys import LENA, MONA, pair_mona_with_lena, query, weekly_hours

pytestmark = pytest.mark.browser


def _path(server, endpoint: str, **values) -> str:
    with server.app.test_request_context():
        return url_for(endpoint, **values)


def test_an_emails_link_lands_on_its_page_through_the_lms(live_sandbox, playwright_instance):
    server = live_sandbox
    activity_id, pair_id = pair_mona_with_lena(
        server, "Winter mentoring",
        mona={"expertise": ["Leadership"], "timezone": "Europe/Berlin", "capacity": "2",
              "availability": weekly_hours((18, 19))},
        lena={"topics": ["Leadership"], "timezone": "Europe/Berlin",
              "availability": weekly_hours((18, 19))})
    hub = _path(server, "workspace.hub", pair_id=pair_id)
    messages = _path(server, "journal.messages", pair_id=pair_id)

    link = tell_over_app(server, LENA, "message", activity_id, hub)
    assert link.startswith(f"{server.tool_url}/go/")
    with link_followed(playwright_instance, server, link) as landed:
        landed.frame.get_by_role("heading", name="You and Mona Mentor", exact=True).wait_for()
        assert_landed(landed, server, hub)
        assert landed.page.url == f"{server.sandbox_url}/activity/{activity_id}?user={LENA}"
        screenshot(landed.page, "email-link-lands-on-the-hub")

    link = tell_over_app(server, MONA, "message", activity_id, messages)
    with link_followed(playwright_instance, server, link) as landed:
        landed.frame.get_by_role("heading", name="Messages with Lena Learner").wait_for()
        assert_landed(landed, server, messages)

    # Each page was used once.
    assert query(server, lambda: db.session.scalars(sa.select(PendingLanding)).all()) == []
