"""The recipient of a notification as a reader: their language and time zone, and formatters
that use both. `compose.tell` writes each message for one; the sender lays out bundles and
digests for one (`delivery`)."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from flask_babel import gettext, ngettext

from lti_tool import i18n
from lti_tool.courses.models import Person
from lti_tool.timeutil import as_utc


@dataclass(frozen=True)
class Reader:
    """The recipient as a reader: their locale and zone, and formatters that use both."""

    person: Person
    locale: str
    zone: str

    def when(self, moment: datetime, *, with_zone: bool = True) -> str:
        """ "Monday 12 May 2025, 14:00 (Berlin time)" in their language and zone."""
        local = as_utc(moment).astimezone(zone_info(self.zone))
        text = format_datetime(local, "EEEE d MMMM y, HH:mm", locale=self.locale)
        return f"{text} ({self.place})" if with_zone else text

    def day(self, value: date) -> str:
        return format_date(value, "EEEE d MMMM y", locale=self.locale)

    @property
    def place(self) -> str:
        return gettext("%(place)s time", place=self.zone.rsplit("/", 1)[-1].replace("_", " "))

    @property
    def lang(self) -> str:
        """The locale as an HTML lang attribute ("de-DE")."""
        return self.locale.replace("_", "-")

    gettext = staticmethod(gettext)
    ngettext = staticmethod(ngettext)


def reader_for(person: Person, zone: str | None = None) -> Reader:
    """Messages in the launch locale's language where Pairwise has it (else English), dates
    and times formatted for the launch locale itself (Babel knows every locale)."""
    language = i18n.match_locale(person.locale, i18n.available_locales()) or i18n.DEFAULT_LOCALE
    return Reader(person=person, locale=_babel_locale(person.locale) or language,
                  zone=valid_zone(zone or person.timezone))


def _babel_locale(value: str) -> str:
    try:
        return str(Locale.parse(i18n.normalise(value))) if i18n.normalise(value) else ""
    except (ValueError, UnknownLocaleError):
        return ""


def valid_zone(name: str | None) -> str:
    """`name` if it is an IANA zone, else "UTC"."""
    try:
        ZoneInfo(name or "")
        return name or "UTC"
    except (ValueError, ZoneInfoNotFoundError):
        return "UTC"


def zone_info(name: str | None) -> ZoneInfo:
    return ZoneInfo(valid_zone(name))
