"""An e-mail's link followed as its reader would, for the browser journeys: in a fresh
browser (no cookie, no session of the tool), with third-party cookies blocked, from the
outbox to the activity's page in the sandbox LMS, whose iframe launches the tool, which opens
the page the e-mail is about.

    link = newest_link(server, LENA, "match_published")    # what the outbox holds for Lena
    with link_followed(playwright_instance, server, link) as landed:
        landed.frame.get_by_role("heading", name="You and Mona Mentor").wait_for()
        assert_landed(landed, server, f"/pairs/{pair_id}")

`server` is the `live_sandbox` fixture, `playwright_instance` the session's Playwright
(tests/browser/conftest.py). `tell_over_app` queues a notification the way features do, for
journeys whose feature sends none yet.
"""

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from playwright.sync_api import FrameLocator, Page

from lti_tool.courses.models import Person, Program, ResourceLink
from lti_tool.extensions import db
from lti_tool.notify.compose import Message, Reader, tell
from lti_tool.notify.models import Notification
from lti_tool.web.sessions import TOKEN_PARAM
from tests.support.browser import BASE_ARGS, BLOCK_THIRD_PARTY_COOKIES, CHROMIUM
from tests.support.journeys import TOOL_FRAME, query

BLOCKED = "third-party cookies blocked"


@dataclass
class Landed:
    """The browser after following the link: the LMS page on top, the tool in its iframe."""

    page: Page
    frame: FrameLocator

    @property
    def tool_url(self) -> str:
        """The address the tool's iframe shows now."""
        frame = self.page.frame(name=TOOL_FRAME)
        assert frame is not None, f"no tool iframe on {self.page.url}"
        return frame.url


# --- The link ----------------------------------------------------------------------------------

def newest_link(server, user_id: str, kind: str) -> str:
    """The link of the newest notification of `kind` to the sandbox user `user_id`."""
    def read() -> str:
        person = _person(user_id)
        row = db.session.scalars(sa.select(Notification)
                                 .filter_by(recipient_id=person.id, kind=kind)
                                 .order_by(Notification.id.desc())).first()
        assert row is not None and row.link, f"no {kind} link for user {user_id}"
        return row.link
    return query(server, read)


def tell_over_app(server, user_id: str, kind: str, activity_id: int, destination: str,
                  compose: Callable[[Reader], Message] | None = None) -> str:
    """Queue `kind` to the sandbox user `user_id` about `destination` (a path of the tool, in
    the program of the sandbox activity `activity_id`) as a feature does; returns its link."""
    def write() -> str:
        program = db.session.scalars(sa.select(Program).join(ResourceLink).where(
            ResourceLink.link_id == str(activity_id))).one()
        row = tell(_person(user_id), kind, compose or _plain, program=program,
                   destination=destination, dedupe_key=f"journey:{kind}:{user_id}:{destination}")
        db.session.commit()
        assert row is not None and row.link
        return row.link
    with server.app.test_request_context(base_url=server.tool_url):
        return write()


def _plain(reader: Reader) -> Message:
    return Message(subject="Something waits for you", lines=["Open it in Pairwise."],
                   action="Open it")


def _person(user_id: str) -> Person:
    return db.session.scalars(sa.select(Person).filter_by(subject=user_id)).one()


# --- In a fresh browser ------------------------------------------------------------------------

@contextlib.contextmanager
def link_followed(playwright, server, link: str, *, block_third_party_cookies: bool = True
                  ) -> Iterator[Landed]:
    """Open `link` in a browser of its own (a fresh context: no cookie, no session), by
    default with third-party cookies blocked, and wait until the LMS's activity page is on
    top (the tool's iframe is launching from it)."""
    args = [*BASE_ARGS, *([BLOCK_THIRD_PARTY_COOKIES] if block_third_party_cookies else [])]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    context.set_default_timeout(15000)
    try:
        page = context.new_page()
        page.cookie_mode = BLOCKED if block_third_party_cookies else "default cookies"
        page.goto(link)
        page.wait_for_url(f"{server.sandbox_url}/activity/**")
        yield Landed(page, page.frame_locator(f"iframe[name={TOOL_FRAME}]"))
    finally:
        context.close()
        browser.close()


def assert_landed(landed: Landed, server, destination: str) -> None:
    """The link went through the LMS (its activity page on top) and the launch in its iframe
    opened `destination` on the tool, carried by the session token (with third-party cookies
    blocked, the tool's cookie never reached the frame)."""
    page = landed.page
    assert page.url.startswith(f"{server.sandbox_url}/activity/"), page.url
    frame = page.frame(name=TOOL_FRAME)
    assert frame is not None
    expected = urlsplit(destination)
    frame.wait_for_url(lambda url: urlsplit(url).path == expected.path)
    shown = urlsplit(landed.tool_url)
    assert f"{shown.scheme}://{shown.netloc}" == server.tool_url, landed.tool_url
    assert TOKEN_PARAM in parse_qs(shown.query), landed.tool_url
    if page.cookie_mode == BLOCKED:
        assert not [c for c in page.context.cookies(server.tool_url)
                    if c["name"] == "pairwise_session"]
