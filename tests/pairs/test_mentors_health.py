"""The mentors page filters mentors by the health of their pairs ("with a pair that is at
risk": whom staff call first), keeps the filter across pages, and says so when none match."""

import re
from urllib.parse import urlencode

import sqlalchemy as sa

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.pairs.models import Pair
from lti_tool.relationships.signals import AT_RISK, HEALTHY, INACTIVE, STATUSES
from tests.support.staff_lists import grow, health_as, staff_of_program


def _mentor_names(page: bytes) -> set[str]:
    return set(re.findall(r'<td data-label="Name">([^<]+)</td>', page.decode()))


def test_mentors_are_filtered_by_the_health_of_their_pairs(app, platform):
    staff, program_id = staff_of_program(app, platform)
    grown = grow(app, program_id, learners=14, mentors=6, paired=12)
    with app.app_context():
        mentor_of = {pair_id: mentor_id for pair_id, mentor_id in db.session.execute(
            sa.select(Pair.id, Pair.mentor_id).where(Pair.id.in_(grown.pairs)))}
        names = {p.id: p.display_name for p in db.session.scalars(sa.select(Person))}
    at_risk, inactive = grown.pairs[0], grown.pairs[1]
    plan = {pair_id: HEALTHY for pair_id in grown.pairs} | {at_risk: AT_RISK,
                                                            inactive: INACTIVE}
    health_as(app, program_id, plan)

    everyone = staff.get("/mentors").data
    form = everyone.decode()[everyone.decode().index('name="health"'):]
    assert re.findall(r'<option value="([^"]*)"', form[:form.index("</select>")]) == \
        ["", *STATUSES]
    page = staff.get(f"/mentors?{urlencode({'health': AT_RISK})}").data
    assert _mentor_names(page) == {names[mentor_of[at_risk]]}
    assert f'<option value="{AT_RISK}" selected>'.encode() in page
    healthy = {names[mentor_of[p]] for p, status in plan.items() if status == HEALTHY}
    assert _mentor_names(staff.get(f"/mentors?health={HEALTHY}").data) == healthy
    # An unknown status is no filter.
    assert _mentor_names(staff.get("/mentors?health=bogus").data) == _mentor_names(everyone)
    none = staff.get(f"/mentors?{urlencode({'health': AT_RISK, 'q': 'nobody'})}").data
    assert b"No mentor matches these filters." in none
