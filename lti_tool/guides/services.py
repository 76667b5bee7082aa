"""Guides of a program and their use by pairs. A program gets its own copy of the built-in
library the first time anyone asks for its guides (once: a guide staff delete stays deleted
until they restore the library); staff edit, add, order and delete copies without touching
other programs. A pair picks a guide as an agenda, perhaps for one of its scheduled meetings,
and marks it covered. Callers commit; a refusal is a GuideError and nothing is written."""

import re
import unicodedata
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.guides.library import BuiltinGuide, builtin_guides
from lti_tool.guides.models import Guide, GuideLibrary, GuideUse
from lti_tool.i18n import N_
from lti_tool.meetings import agenda
from lti_tool.meetings.models import Meeting
from lti_tool.pairs import members
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc, utcnow

LIMITS = {"title": 200, "body": 20_000}
MAX_WEEK = 104


class GuideError(ValueError):
    """What someone asked for that cannot be done; the message says why."""


# --- A program's library ---------------------------------------------------------------------

def ensure_library(program: Program) -> list[Guide]:
    """Copy the built-in library into the program on its first use (and never again); the
    program's guides in suggested order."""
    if db.session.get(GuideLibrary, program.id) is None:
        try:
            with db.session.begin_nested():
                db.session.add(GuideLibrary(program_id=program.id))
                _copy_builtins(program, {builtin.key for builtin in builtin_guides()})
        except sa.exc.IntegrityError:
            pass  # another request copied it at the same moment: theirs is as good
    return _ordered(program)


def guides_for(program: Program) -> list[Guide]:
    """The program's guides in suggested order (the library is copied in on first use)."""
    return ensure_library(program)


def restore_builtins(program: Program, by: Person | None = None) -> list[Guide]:
    """Copy back the built-in guides the program no longer has; the guides added."""
    return _copy_builtins(program, {builtin.key for builtin in missing_builtins(program)}, by)


def missing_builtins(program: Program) -> list[BuiltinGuide]:
    """The built-in guides the program no longer has a copy of (staff deleted them)."""
    ensure_library(program)
    present = set(db.session.scalars(sa.select(Guide.builtin_key).filter_by(
        program_id=program.id)))
    return [builtin for builtin in builtin_guides() if builtin.key not in present]


def _copy_builtins(program: Program, keys: set[str], by: Person | None = None) -> list[Guide]:
    position = _last_position(program)
    added = []
    for builtin in builtin_guides():
        if builtin.key in keys:
            position += 1
            added.append(Guide(program_id=program.id, slug=_free_slug(program, builtin.key),
                               title=builtin.title, body_markdown=builtin.body,
                               week=builtin.week, position=position, builtin_key=builtin.key,
                               updated_by_id=by.id if by else None))
            db.session.add(added[-1])
            db.session.flush()
    return added


def _ordered(program: Program) -> list[Guide]:
    return list(db.session.scalars(sa.select(Guide).filter_by(program_id=program.id)
                                   .order_by(Guide.position, Guide.id)))


def _last_position(program: Program) -> int:
    return db.session.scalar(sa.select(sa.func.max(Guide.position))
                             .filter_by(program_id=program.id)) or 0


def guide_of(program: Program, guide_id: int) -> Guide | None:
    """The guide if it belongs to this program (None for another program's)."""
    guide = db.session.get(Guide, guide_id)
    return guide if guide is not None and guide.program_id == program.id else None


# --- Staff authoring -------------------------------------------------------------------------

def _checked(title: str, body: str, week: int | None) -> tuple[str, str, int | None]:
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise GuideError(gettext("Give the guide a title."))
    if len(title) > LIMITS["title"]:
        raise GuideError(gettext("Keep the title under %(limit)s characters.",
                                 limit=format(LIMITS["title"], ",")))
    if not body:
        raise GuideError(gettext("Write the guide's text first."))
    if len(body) > LIMITS["body"]:
        raise GuideError(gettext("Keep the guide under %(limit)s characters (it has %(length)s).",
                                 limit=format(LIMITS["body"], ","), length=format(len(body), ",")))
    if week is not None and not 1 <= week <= MAX_WEEK:
        raise GuideError(gettext("The week is a number from 1 to %(max)s, or left empty.",
                                 max=MAX_WEEK))
    return title, body + "\n", week


def add_guide(program: Program, by: Person, title: str, body: str,
              week: int | None = None) -> Guide:
    """A new guide at the end of the program's sequence."""
    title, body, week = _checked(title, body, week)
    ensure_library(program)
    guide = Guide(program_id=program.id, slug=_free_slug(program, title), title=title,
                  body_markdown=body, week=week, position=_last_position(program) + 1,
                  updated_by_id=by.id)
    db.session.add(guide)
    db.session.flush()
    return guide


def edit_guide(guide: Guide, by: Person, title: str, body: str,
               week: int | None = None) -> Guide:
    guide.title, guide.body_markdown, guide.week = _checked(title, body, week)
    guide.updated_by_id = by.id
    guide.updated_at = utcnow()
    return guide


def delete_guide(guide: Guide) -> None:
    """Gone from the program, with the pairs' record of having used it."""
    db.session.execute(sa.delete(GuideUse).filter_by(guide_id=guide.id))
    db.session.delete(guide)
    db.session.flush()


def move(guide: Guide, step: int) -> None:
    """One place earlier (step -1) or later (+1) in the sequence; numbers the sequence 1..n."""
    ordered = _ordered(guide.program)
    index = ordered.index(guide)
    other = index + step
    if not 0 <= other < len(ordered):
        raise GuideError(gettext("That guide is already first.") if step < 0
                         else gettext("That guide is already last."))
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, each in enumerate(ordered, start=1):
        each.position = position


def _free_slug(program: Program, text: str) -> str:
    base = _slugify(text)
    taken = set(db.session.scalars(sa.select(Guide.slug).filter_by(program_id=program.id)))
    slug, number = base, 2
    while slug in taken:
        suffix = f"-{number}"
        slug, number = base[:80 - len(suffix)] + suffix, number + 1
    return slug


def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "guide"


def use_counts(program: Program) -> dict[int, tuple[int, int]]:
    """Guide id -> (pairs that chose it, pairs that covered it): counts only, for staff."""
    rows = db.session.execute(
        sa.select(GuideUse.guide_id,
                  sa.func.count(sa.distinct(GuideUse.pair_id)),
                  sa.func.count(sa.distinct(sa.case((GuideUse.covered_at.is_not(None),
                                                     GuideUse.pair_id)))))
        .join(Guide, GuideUse.guide_id == Guide.id)
        .where(Guide.program_id == program.id)
        .group_by(GuideUse.guide_id))
    return {guide_id: (chosen, covered) for guide_id, chosen, covered in rows}


# --- A pair's agenda -------------------------------------------------------------------------

check_member = members.checker(
    GuideError, N_("Only the two members of a pair choose its guides."),
    N_("This pair has ended: its guides are kept, but can no longer change."))


def uses_of(pair: Pair) -> list[GuideUse]:
    """The pair's chosen guides, open ones first, then those covered, latest first."""
    return list(db.session.scalars(
        sa.select(GuideUse).filter_by(pair_id=pair.id).options(selectinload(GuideUse.guide))
        .order_by(GuideUse.covered_at.is_not(None), GuideUse.covered_at.desc(),
                  GuideUse.chosen_at.desc(), GuideUse.id.desc())))


@agenda.contributes("guides")
def _chosen_for_meetings(pair: Pair, shown: agenda.Agenda) -> None:
    """On the pair's meetings page: the guides chosen as a meeting's agenda, not yet covered."""
    for use in uses_of(pair):
        if use.meeting_id is not None and use.covered_at is None:
            shown.guides.setdefault(use.meeting_id, []).append(use.guide)


def choose(pair: Pair, person: Person, guide: Guide,
           meeting: Meeting | None = None) -> GuideUse:
    """The guide becomes the pair's agenda (for one of its scheduled meetings, if given).
    Choosing a guide already on the agenda moves it to the meeting given."""
    check_member(pair, person)
    if guide.program_id != pair.program_id:
        raise GuideError(gettext("That guide belongs to another program."))
    if meeting is not None and (meeting.pair_id != pair.id or meeting.status != "scheduled"):
        raise GuideError(gettext("Choose one of your own scheduled meetings."))
    use = db.session.scalars(sa.select(GuideUse).filter_by(
        pair_id=pair.id, guide_id=guide.id, covered_at=None)).first()
    if use is None:
        use = GuideUse(pair_id=pair.id, guide_id=guide.id, chosen_by_id=person.id)
        db.session.add(use)
    use.meeting_id = meeting.id if meeting is not None else None
    use.chosen_by_id, use.chosen_at = person.id, utcnow()
    db.session.flush()
    return use


def mark_covered(use: GuideUse, person: Person) -> GuideUse:
    """The pair talked the guide through; marking it twice keeps the first time."""
    check_member(use.pair, person)
    if use.covered_at is None:
        use.covered_at, use.covered_by_id = utcnow(), person.id
    return use


def drop(use: GuideUse, person: Person) -> None:
    """Take a guide off the agenda before it was covered."""
    check_member(use.pair, person)
    if use.covered_at is not None:
        raise GuideError(gettext("A covered guide stays in your history."))
    db.session.delete(use)


def pair_week(pair: Pair, today: date | None = None) -> int:
    """Which week of the relationship this is (week 1 starts when the pair was published)."""
    today = today or utcnow().date()
    return max(1, (today - as_utc(pair.started_at).date()).days // 7 + 1)


def active_pairs_of(program: Program, person: Person) -> list[Pair]:
    """The person's active pairs in the program: their members read its guides (as staff do)."""
    return list(db.session.scalars(
        sa.select(Pair).where(Pair.program_id == program.id, Pair.status == "active",
                              sa.or_(Pair.mentee_id == person.id, Pair.mentor_id == person.id))
        .order_by(Pair.id)))
