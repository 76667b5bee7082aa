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
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from flask import render_template
from flask_babel import force_locale, gettext, ngettext

from lti_tool import i18n
from lti_tool.courses import landing
from lti_tool.courses.models import Person, Program
from lti_tool.notify import kinds, services
from lti_tool.notify.models import Notification
from lti_tool.timeutil import as_utc


@dataclass
class Message:
    """What one e-mail says, before it is laid out as text and HTML."""

    subject: str
    lines: list[str]  # paragraphs, plain text (escaped in HTML)
    facts: list[tuple[str, str]] = field(default_factory=list)  # ("When", "Monday 10:00 …")
    quote: str = ""  # someone's own words (a mentee's goals), set apart
    quote_by: str = ""
    action: str = ""  # the link's label: "Answer the request"


@dataclass(frozen=True)
class Reader:
    """The recipient as a reader: their locale and zone, and formatters that use both."""

    person: Person
    locale: str
    zone: str

    def when(self, moment: datetime, *, with_zone: bool = True) -> str:
        """ "Monday 12 May 2025, 14:00 (Berlin time)" in their language and zone."""
        local = as_utc(moment).astimezone(_zone(self.zone))
        text = format_datetime(local, "EEEE d MMMM y, HH:mm", locale=self.locale)
        return f"{text} ({self.place})" if with_zone else text

    def day(self, value: date) -> str:
        return format_date(value, "EEEE d MMMM y", locale=self.locale)

    @property
    def place(self) -> str:
        return gettext("%(place)s time", place=self.zone.rsplit("/", 1)[-1].replace("_", " "))

    gettext = staticmethod(gettext)
    ngettext = staticmethod(ngettext)


def reader_for(person: Person, zone: str | None = None) -> Reader:
    """Messages in the launch locale's language where Pairwise has it (else English), dates
    and times formatted for the launch locale itself (Babel knows every locale)."""
    language = i18n.match_locale(person.locale, i18n.available_locales()) or i18n.DEFAULT_LOCALE
    return Reader(person=person, locale=_babel_locale(person.locale) or language,
                  zone=_valid_zone(zone or person.timezone))


def _babel_locale(value: str) -> str:
    try:
        return str(Locale.parse(i18n.normalise(value))) if i18n.normalise(value) else ""
    except (ValueError, UnknownLocaleError):
        return ""


def _valid_zone(name: str) -> str:
    try:
        ZoneInfo(name)
        return name
    except (ValueError, ZoneInfoNotFoundError):
        return "UTC"


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(_valid_zone(name))


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
    with force_locale(reader.locale):
        message = compose(reader)
        text = _render("email/message.txt", message, reader, link, program)
        html = _render("email/message.html", message, reader, link, program)
    return services.enqueue(person, kind, message.subject, text, html=html, link=link,
                            dedupe_key=dedupe_key, send_after=send_after, calendar=calendar,
                            calendar_method=calendar_method)


def _render(template: str, message: Message, reader: Reader, link: str,
            program: Program | None) -> str:
    return render_template(template, message=message, reader=reader, link=link,
                           program=program, lang=reader.locale.replace("_", "-"))
