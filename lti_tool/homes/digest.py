"""The weekly staff digest (kind "staff_digest"): what needs a program's staff (`staff_needs`,
the list at the top of their home), e-mailed to each staff member once per ISO week. An e-mail
has one link: it opens the staff home, where each item links to its page; the e-mail names
that page beside each item. Nothing needs them: no digest that week (a later sweep of the same
week sends it if something comes up)."""

from datetime import datetime

import sqlalchemy as sa

from lti_tool.courses.models import Person, Program
from lti_tool.courses.services import staff_of
from lti_tool.extensions import db
from lti_tool.homes.needs import Need, staff_needs
from lti_tool.intake.services import zone_of
from lti_tool.notify.compose import Message, Reader, page, tell
from lti_tool.notify.models import Notification
from lti_tool.timeutil import as_utc

KIND = "staff_digest"


def week_of(now: datetime) -> str:
    """The ISO week of `now` (UTC), e.g. "2025-W07": the digest's version."""
    year, week, _ = as_utc(now).isocalendar()
    return f"{year}-W{week:02d}"


def dedupe_key(program: Program, person: Person, now: datetime) -> str:
    return f"{KIND}:{program.id}:{person.id}:{week_of(now)}"


def send_digest(program: Program, now: datetime) -> int:
    """Queue this week's digest to each staff member who has not had it; how many were
    queued. Runs inside a request context (links); the caller commits."""
    staff = staff_of(program)
    keys = {person.id: dedupe_key(program, person, now) for person in staff}
    sent = set(db.session.scalars(sa.select(Notification.dedupe_key)
                                  .where(Notification.dedupe_key.in_(keys.values()))))
    due = [person for person in staff if keys[person.id] not in sent]
    needs = staff_needs(program) if due else []
    if not needs:
        return 0
    home = page("homes.home")
    return sum(1 for person in due if tell(
        person, KIND, lambda reader: _digest(reader, program, needs), dedupe_key=keys[person.id],
        program=program, destination=home, zone=zone_of(person, program)) is not None)


def _digest(reader: Reader, program: Program, needs: list[Need]) -> Message:
    """Each need with the page where it is dealt with, in the reader's language."""
    return Message(
        subject=reader.gettext("What needs you in %(program)s this week", program=program.title),
        lines=[reader.gettext("This week in %(program)s, these wait for the program's staff:",
                              program=program.title),
               reader.gettext("Your home page in Pairwise lists them too, each with a link to "
                              "the page where you deal with it.")],
        facts=[(need.label, need.page) for need in needs],
        action=reader.gettext("Open your home page"))
