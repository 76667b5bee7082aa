"""An e-mail as its recipient gets it: one notification on its own, or several in one (when
the hourly limit gathered them, or the daily digest), laid out in the recipient's language.

A notification written by `compose.tell` keeps its text and its HTML, each with a footer (the
Notifications page, unsubscribing). In a bundle each one keeps its own words and its own link
under a heading that says how many there are, and the bundle gets the footer once: the text
part of each is its text up to the signature line ("-- "), the HTML part the fragment between
`START` and `END` (its own template writes them; what people wrote is escaped, so no text of
theirs can stand for a marker).
"""

from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale, gettext, ngettext
from markupsafe import Markup

from lti_tool.courses.models import Person
from lti_tool.notify.models import Notification
from lti_tool.notify.readers import reader_for

START, END = "<!--pairwise:message-->", "<!--/pairwise:message-->"
SIGNATURE = "\n-- \n"


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str | None
    unsubscribe_url: str = ""  # its List-Unsubscribe


def text_of(row: Notification) -> str:
    """A notification's text as it is sent on its own (its link added if it is not there)."""
    body = row.body.rstrip()
    if row.link and row.link not in body:
        body += f"\n\n{row.link}"
    return body + "\n"


def email_of(rows: list[Notification], person: Person, *, digest: bool,
             unsubscribe_url: str) -> Email:
    """The e-mail that carries `rows` (the first one leads) to `person`."""
    if len(rows) == 1:
        row = rows[0]
        return Email(row.subject, text_of(row), row.html, unsubscribe_url)
    reader = reader_for(person)
    with force_locale(reader.locale):
        subject, intro = _heading(rows, digest)
        context = {
            "subject": subject, "intro": intro, "lang": reader.lang,
            "items": [_item(row) for row in rows], "program": None,
            "manage_link": next((row.manage_link for row in rows if row.manage_link), ""),
            "unsubscribe_url": unsubscribe_url,
        }
        return Email(subject, render_template("email/bundle.txt", **context),
                     render_template("email/bundle.html", **context), unsubscribe_url)


def _heading(rows: list[Notification], digest: bool) -> tuple[str, str]:
    count = len(rows)
    if digest:
        return (gettext("Your daily digest from Pairwise"),
                ngettext("%(num)d update since your last digest.",
                         "%(num)d updates since your last digest.", count))
    more = count - 1
    return (ngettext("%(subject)s (and %(num)d more)", "%(subject)s (and %(num)d more)", more,
                     subject=rows[0].subject),
            ngettext("%(num)d update from Pairwise, in one e-mail.",
                     "%(num)d updates from Pairwise, in one e-mail.", count))


@dataclass(frozen=True)
class _Item:
    row: Notification
    text: str
    html: Markup | None  # None: a notification without HTML (shown from its text)


def _item(row: Notification) -> _Item:
    text = text_of(row)
    if SIGNATURE in text:
        text = text.rpartition(SIGNATURE)[0].rstrip() + "\n"
    return _Item(row, text, _fragment(row.html))


def _fragment(html: str | None) -> Markup | None:
    if not html or START not in html or END not in html:
        return None
    # Our own template's output between our own markers: already escaped.
    return Markup(html.partition(START)[2].partition(END)[0])  # noqa: S704
