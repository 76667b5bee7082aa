"""The matching page's published pairs by health: the filter offers every health status in
words, keeps only the pairs with that status, shows each pair's health in the table, stays
within its program, and costs the same number of queries whatever the cohort's size. Health
comes from relationships, registered in pairs/health_source.py."""

import re
from urllib.parse import urlencode

import pytest

from lti_tool.pairs import health_source
from lti_tool.relationships.signals import AT_RISK, ATTENTION, HEALTHY, INACTIVE, STATUSES
from tests.support.clients import Participant
from tests.support.staff_lists import counted_queries, grow, health_as, staff_of_program


@pytest.fixture
def big(app, platform):
    """12 published pairs: 6 healthy, 3 needing attention, 2 at risk, 1 inactive."""
    staff, program_id = staff_of_program(app, platform)
    grown = grow(app, program_id, learners=14, mentors=6, paired=12)
    plan = [HEALTHY] * 6 + [ATTENTION] * 3 + [AT_RISK] * 2 + [INACTIVE]
    health_as(app, program_id, dict(zip(grown.pairs, plan, strict=True)))
    return staff, grown, plan


def published_rows(page: bytes) -> list[tuple[str, str]]:
    """(mentee, health label) of each row of the published-pairs table."""
    text = page.decode()
    start = text.index('<caption class="visually-hidden">Published pairs</caption>')
    body = text[start:text.index("</table>", start)]
    return re.findall(r'<label class="pick"><input[^>]*>([^<]+)</label>.*?'
                      r'<td data-label="Health"[^>]*>([^<]*)</td>', body, re.S)


def test_relationships_registers_the_health_source(app):
    source = health_source.current()
    assert source is not None and source.statuses == STATUSES


def test_the_filter_offers_every_status_with_its_label(app, big):
    staff, _, _ = big
    page = staff.get("/matching").data.decode()
    form = page[page.index('name="health"'):]
    form = form[:form.index("</select>")]
    assert re.findall(r'<option value="([^"]*)"', form) == ["", *STATUSES]
    assert ">needs attention</option>" in form


@pytest.mark.parametrize("status", STATUSES)
def test_filter_by_each_status(app, big, status):
    staff, grown, plan = big
    page = staff.get(f"/matching?{urlencode({'health': status})}").data
    expected = plan.count(status)
    assert f"{expected} of 12 published pairs match.".encode() in page
    rows = published_rows(page)
    assert len(rows) == expected and {label for _, label in rows} == {status}
    assert f'<option value="{status}" selected>'.encode() in page
    assert b"Clear filters" in page


def test_the_table_shows_each_pairs_health(app, big):
    staff, grown, plan = big
    rows = published_rows(staff.get("/matching").data)
    assert len(rows) == 12
    assert sorted(label for _, label in rows) == sorted(plan)


def test_an_unknown_status_is_ignored(app, big):
    staff, _, _ = big
    page = staff.get("/matching?health=bogus").data
    assert b"12 of 12 published pairs match." in page and b"Clear filters" not in page


def test_health_stays_within_the_program(app, platform, big):
    staff, grown, _ = big
    outsider = Participant(app, platform, "99", "Instructor", "Olga Other",
                           context={"id": "other", "title": "Another course"})
    page = outsider.get(f"/matching?{urlencode({'health': AT_RISK})}")
    assert page.status_code == 200
    assert published_rows(page.data) == []
    assert b"Learner" not in page.data


def test_queries_do_not_grow_with_the_cohort(app, platform):
    staff, program_id = staff_of_program(app, platform)
    small_cohort = grow(app, program_id, learners=8, mentors=4, paired=4, first=5000)
    health_as(app, program_id, dict.fromkeys(small_cohort.pairs, AT_RISK))
    staff.get("/matching")  # the first view remembers things once (as test_matching_page)
    with counted_queries(app) as small:
        assert staff.get("/matching?health=at+risk").status_code == 200
    large_cohort = grow(app, program_id, learners=40, mentors=20, paired=20, first=7000)
    health_as(app, program_id, dict.fromkeys(small_cohort.pairs + large_cohort.pairs, AT_RISK))
    with counted_queries(app) as large:
        page = staff.get("/matching?health=at+risk")
    assert b"24 of 24 published pairs match." in page.data
    assert len(large) == len(small), (len(small), len(large))
