"""The pair's navigation bar: the same links on every page of the pair (whichever feature draws
it) for both members, the page they are on marked, no bar for anyone else (who still gets the
403 or 404 of the page)."""

import re

import pytest

from lti_tool.workspace.models import Goal
from tests.support.clients import Participant
from tests.support.introductions import second_pair
from tests.support.pairs import followed
from tests.support.workspace import add_goal, page, rows

SECTIONS = ("", "/getting-started", "/meetings", "/agreement", "/goals", "/guides", "/journal",
            "/messages", "/checkin")
LABELS = ("Overview", "Getting started", "Meetings", "Agreement", "Goals", "Guides",
          "Recaps and action items", "Messages", "Check-in")
NAV = re.compile(rb'<nav class="pair-nav" aria-label="([^"]*)">(.*?)</nav>', re.S)
LINK = re.compile(rb'<a href="([^"?]*)\?pw=[^"]*"( aria-current="(page|true)")?>([^<]*)</a>')


def bar(html: bytes) -> tuple[str, list[tuple[str, str, str]]]:
    """(the bar's name, [(path, aria-current, label)] of its section links)."""
    [(label, body)] = NAV.findall(html)
    links = [(path.decode(), current.decode(), text.decode())
             for path, _, current, text in LINK.findall(body)]
    return label.decode(), [link for link in links if link[0] != "/"]  # "/": the home link


@pytest.mark.parametrize("who", ["mona", "lena"])
def test_every_page_of_the_pair_has_the_same_bar(app, pair, who):
    _, mona, lena, pair_id = pair
    person, other = (mona, "Lena Learner") if who == "mona" else (lena, "Mona Mentor")
    expected = [f"/pairs/{pair_id}{section}" for section in SECTIONS]
    for here in expected:
        label, links = bar(page(person, here))
        assert label == f"Your workspace with {other}", here
        assert [path for path, _, _ in links] == expected, here
        assert [text for _, _, text in links] == list(LABELS), here
        assert [path for path, current, _ in links if current] == [here], here
        assert dict((path, current) for path, current, _ in links)[here] == "page"


def test_a_page_under_a_section_marks_the_section(app, pair):
    _, _, lena, pair_id = pair
    followed(lena, add_goal(lena, pair_id, title="Give a talk"))
    [goal] = rows(app, Goal)
    _, links = bar(page(lena, f"/goals/{goal.id}/edit"))
    assert [(path, current) for path, current, _ in links if current] == [
        (f"/pairs/{pair_id}/goals", "true")]


def test_a_form_shown_again_keeps_the_bar(app, pair):
    _, _, lena, pair_id = pair
    refused = lena.post(f"/pairs/{pair_id}/goals", {"title": ""}, page=f"/pairs/{pair_id}/goals")
    assert refused.status_code == 400
    _, links = bar(refused.data)
    assert [path for path, current, _ in links if current] == [f"/pairs/{pair_id}/goals"]


def test_no_bar_for_anyone_outside_the_pair(app, platform, pair):
    staff, _, _, pair_id = pair
    mateo, luis, _ = second_pair(app, platform)
    elsewhere = Participant(app, platform, "10", "Learner", "Lena Learner",
                            context={"id": "other-course", "title": "Elsewhere"})
    for section in SECTIONS:
        path = f"/pairs/{pair_id}{section}"
        for outsider in (staff, mateo, luis):
            refused = outsider.get(path)
            assert refused.status_code == 403, (path, refused.status_code)
            assert b"pair-nav" not in refused.data
        missing = elsewhere.get(path)
        assert missing.status_code == 404 and b"pair-nav" not in missing.data, path


def test_the_bar_has_no_inline_style_and_keeps_the_session(app, pair):
    _, _, lena, pair_id = pair
    [(_, body)] = NAV.findall(page(lena, f"/pairs/{pair_id}"))
    assert b"style=" not in body and b"<script" not in body
    assert body.count(b"?pw=") == len(SECTIONS) + 1  # every section and the home link
