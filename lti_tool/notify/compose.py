"""Notifications written for their reader: `tell(person, kind, compose, ...)` calls `compose`
with a `Reader` (the recipient's language and time zone), turns the `Message` it returns into
plain text and HTML, and queues it (`services.enqueue`) with a link that reaches the person
through their LMS (`courses.landing`).

Callers say what happened; this module says how it reads:

    tell(mentor, "request_received",
         lambda r: Message(subject=r.gettext("…"), lines=[…],
                           facts=[(r.gettext("Answer by"), r.when(deadline))],
                           action=r.gettext("Answer the request")),
         dedupe_key=f"request:{pair.id}:received", program=pair.program,
         destination=url_for("pairs.request", …), zone=zone_of(mentor, program))

`compose` runs under the recipient's locale (`flask_babel.force_locale`), so `gettext` and
`lazy_gettext` texts made inside it are in their language.

Every message ends with a footer: the person's Notifications page (through their LMS) and
their one-click unsubscribe link (`unsubscribe`). The footer's page link is made with
`landing.link_for` as bound when this module was imported: tests that record the links a
feature gives people (tests/support/notified.py replaces `landing.link_for`) see the link the
message is about, not the footer's.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale

from lti_tool.courses import landing
from lti_tool.courses.landing import link_for as _page_link
from lti_tool.courses.models import Person, Program
from lti_tool.notify import kinds, services, unsubscribe
from lti_tool.notify.models import Notification
from lti_tool.notify.readers import Reader, reader_for
from lti_tool.web.sessions import TOKEN_PARAM

__all__ = ["Message", "Reader", "links", "page", "reader_for", "tell"]


@dataclass
class Message:
    """What one e-mail says, before it is laid out as text and HTML."""

    subject: str
    lines: list[str]  # paragraphs, plain text (escaped in HTML)
    facts: list[tuple[str, str]] = field(default_factory=list)  # ("When", "Monday 10:00 …")
    quote: str = ""  # someone's own words (a mentee's goals), set apart
    quote_by: str = ""
    action: str = ""  # the link's label: "Answer the request"


@contextmanager
def links() -> Iterator[None]:
    """Lets `url_for` build the tool's paths outside a request too (CLI sweeps, erasure)."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context(base_url=current_app.config.get("BASE_URL") or None):
        yield


def page(endpoint: str, **values) -> str:
    """The path of the page an e-mail is about (its `destination`), in a request or outside
    one, and never with the session token `url_for` adds in a request: the e-mail goes to
    someone else than the person whose request wrote it."""
    with links():
        return url_for(endpoint, **values, **{TOKEN_PARAM: None})


def tell(person: Person | None, kind: str, compose: Callable[[Reader], Message], *,
         dedupe_key: str, program: Program | None = None, destination: str = "",
         zone: str | None = None, send_after: datetime | None = None,
         calendar: str | None = None, calendar_method: str | None = None
         ) -> Notification | None:
    """Write `kind` for `person` and queue it (inside the caller's transaction).

    `destination` is the tool's path the e-mail is about ("/pairs/12/"); the link sent goes
    through the person's LMS and lands there (`courses.landing`). `zone` is the zone they read
    times in (default: their LMS profile's). Idempotent on `dedupe_key` (`services.enqueue`).
    """
    if person is None:
        return None
    kinds.kind(kind)  # an unknown kind fails here, in the caller's test
    reader = reader_for(person, zone)
    link = landing.link_for(person, program, destination) if destination else ""
    manage_link = _page_link(person, program, unsubscribe.PREFERENCES_PATH)
    with force_locale(reader.locale):
        message = compose(reader)
        context = {"message": message, "reader": reader, "link": link, "lang": reader.lang,
                   "subject": message.subject, "program": program, "manage_link": manage_link,
                   "unsubscribe_url": unsubscribe.url_for_person(person)}
        text = render_template("email/message.txt", **context)
        html = render_template("email/message.html", **context)
    return services.enqueue(person, kind, message.subject, text, html=html, link=link,
                            dedupe_key=dedupe_key, send_after=send_after, calendar=calendar,
                            calendar_method=calendar_method, manage_link=manage_link)
