"""Who belongs to a pair: its mentee and its mentor, nobody else. Staff are not members, even
of their program's pairs: what a pair writes is theirs (staff see dates, counts and statuses
on pages of their own). The one definition of the rule, for the services that refuse a
non-member with their own words (`checker`) and for the pages that answer one with a 403
(`member_pair`: the launched program's pair with both members; `member_row`: the scoped
loader of lti_tool/courses/scoped.py; then this rule)."""

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from flask import abort, g
from flask_babel import gettext
from sqlalchemy.orm import joinedload

from lti_tool.courses.access import current_program
from lti_tool.courses.models import Person
from lti_tool.courses.scoped import in_program, owner
from lti_tool.extensions import db
from lti_tool.pairs.models import Pair

Row = TypeVar("Row")


def other_member(pair: Pair, person: Person) -> Person:
    """The member of the pair who is not `person` (the mentee for the mentor, and back)."""
    return pair.mentor if person.id == pair.mentee_id else pair.mentee


def is_member(pair: Pair, person_id: int) -> bool:
    return person_id in (pair.mentee_id, pair.mentor_id)


def checker(refusal: type[Exception], not_member: str,
            ended: str) -> Callable[[Pair, Person], None]:
    """A service's `check_member(pair, person)`: nothing happens for a member of an active
    pair; anyone else is refused with `refusal(not_member)`, and a member of a pair that ended
    with `refusal(ended)` (what an ended pair kept stays readable, but no longer changes).
    The messages are N_-marked English, translated when the refusal is raised."""

    def check_member(pair: Pair, person: Person) -> None:
        if not is_member(pair, person.id):
            raise refusal(gettext(not_member))
        if pair.status != "active":
            raise refusal(gettext(ended))

    return check_member


# A pair of the launched program with both its members (every pair page names the other):
# one query, built once.
_PAIR_WITH_MEMBERS = (
    sa.select(Pair)
    .where(Pair.id == sa.bindparam("pair_id"), Pair.program_id == sa.bindparam("program_id"))
    .options(joinedload(Pair.mentee), joinedload(Pair.mentor)))


def member_pair(pair_id: int) -> Pair:
    """A pair of the launched program whose member the viewer is: 404 for a pair elsewhere,
    403 for anyone else (staff included: what a pair writes is theirs)."""
    pair = db.session.scalars(_PAIR_WITH_MEMBERS, {"pair_id": pair_id,
                                                   "program_id": current_program().id}).first()
    if pair is None:
        abort(404)
    return members_only(pair)


def member_row(model: type[Row], row_id: int) -> Row:
    """A row a pair keeps (a recap, a meeting, a goal...) as `member_pair` answers for its
    pair: 404 for another program's, 403 unless the viewer is one of the pair's members."""
    row = in_program(model, row_id)
    pair = owner(row)
    if not isinstance(pair, Pair):
        raise TypeError(f"{model.__name__} does not belong to a pair")
    members_only(pair)
    return row


def members_only(pair: Pair) -> Pair:
    if not is_member(pair, g.enrolment.person_id):
        abort(403)
    return pair
