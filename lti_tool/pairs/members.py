"""Who belongs to a pair: its mentee and its mentor, nobody else. Staff are not members, even
of their program's pairs: what a pair writes is theirs (staff see dates, counts and statuses
on pages of their own). The one definition of the rule, for the services that refuse a
non-member with their own words (`checker`) and for the pages that answer one with a 403
(lti_tool/web/scoped.py)."""

from collections.abc import Callable

from flask_babel import gettext

from lti_tool.courses.models import Person
from lti_tool.pairs.models import Pair


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
