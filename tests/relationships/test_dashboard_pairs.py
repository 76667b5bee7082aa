"""The dashboard at any width and any size of program (issue 16, item 4): charts whose text
stays at 12 px or more (HTML labels under a text-free SVG) with a table of the same figures;
a true empty state; every pair a link to its staff page (metadata only, program-scoped);
filters by health and by mentor that keep the session token."""

import re
from pathlib import Path

import sqlalchemy as sa

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.pairs.models import Pair
from tests.support.clients import Participant
from tests.support.pairs import age_pair, person_id
from tests.support.privacy import fill

CSS = Path(__file__).resolve().parents[2] / "static" / "pairwise.css"
ROOT_PX = 16  # the browsers' default root font size, which the stylesheet keeps


def _rule(selector: str) -> str:
    """The declarations of the stylesheet's (last) rule for exactly `selector`."""
    found = re.findall(r"(?m)^" + re.escape(selector) + r"\s*\{([^}]*)\}", CSS.read_text())
    assert found, f"no rule for {selector}"
    return found[-1]


def _px(size: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(rem|em|px)", size.strip()).groups()
    return float(value) * (1 if unit == "px" else ROOT_PX)


def test_chart_text_is_html_at_12_px_or_more_whatever_the_width(app, pair):
    staff, mona, lena, pair_id = pair
    html = staff.get("/dashboard").data.decode()
    svgs = re.findall(r"<svg class=\"chart-bars\".*?</svg>", html, re.S)
    assert len(svgs) == 2
    assert "<dt>Mentors</dt><dd>1</dd>" in html  # the figure, not the filter's list
    for svg in svgs:  # the SVG stretches to its box and holds no text that would shrink
        assert "<text" not in svg and 'preserveAspectRatio="none"' in svg
    labels = re.findall(r'<ol class="chart-labels"[^>]*>(.*?)</ol>', html, re.S)
    assert [block.count("<li>") for block in labels] == [8, 4]  # weeks; health statuses
    size = re.search(r"font-size:\s*([^;]+);", _rule(".chart .chart-labels")).group(1)
    assert _px(size) >= 12, size
    assert "font-size" not in _rule(".chart .chart-labels li")  # no smaller override


def test_each_chart_has_a_table_of_its_figures(app, pair):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 25)
    html = staff.get("/dashboard").data.decode()
    assert 'aria-describedby="chart-health-table"' in html
    table = re.search(r'<table id="chart-health-table">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', table)
    assert rows == [("healthy", "0"), ("needs attention", "0"), ("at risk", "1"),
                    ("inactive", "0")]
    weeks = re.search(r'<table id="chart-weeks-table">(.*?)</table>', html, re.S).group(1)
    assert weeks.count('<th scope="row">') == 8


def test_a_program_without_pairs_says_so_and_what_to_do(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    html = staff.get("/dashboard").data.decode()
    assert "There are no pairs yet." in html
    assert "propose matches and publish them" in html and 'href="/matching?pw=' in html
    assert "Every pair is on track" not in html
    assert "<svg" not in html  # no chart of nothing
    assert "<dt>Active pairs</dt><dd>0</dd>" in html


def test_every_pair_listed_links_to_its_staff_page(app, pair):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 25)
    html = staff.get("/dashboard").data.decode()
    link = re.search(r'<td[^>]*><a href="(/dashboard/pairs/(\d+)\?pw=[^"]+)">Lena Learner – Mona '
                     r'Mentor</a></td>', html)
    assert link and int(link.group(2)) == pair_id
    page = staff.client.get(link.group(1).replace("&amp;", "&"))
    assert page.status_code == 200
    text = page.data.decode()
    assert "<h1>Lena Learner – Mona Mentor</h1>" in text
    assert "Health: at risk" in text and "mentoring agreement not signed" in text
    assert "<dt>Meetings held</dt><dd>0</dd>" in text


def test_the_staff_pair_page_shows_counts_never_what_the_pair_wrote(app, pair):
    staff, mona, lena, pair_id = pair
    fill(app, pair_id)  # messages, recaps (shared or not), goals, agreement, survey...
    text = staff.get(f"/dashboard/pairs/{pair_id}").data.decode()
    assert "<dt>Messages</dt><dd>2</dd>" in text and "<dt>Recaps</dt><dd>3</dd>" in text
    assert "<dt>Goals</dt><dd>2</dd>" in text
    for written in ("MSG", "RECAP", "NOTES", "ACTION", "TERMS", "HOPES", "GOAL", "STEP",
                    "SURVEY", "ANSWER", "AGENDA", "REQUEST", "STAFF-REASON"):
        assert written not in text, written


def test_the_staff_pair_page_is_for_the_programs_staff_only(app, platform, pair):
    staff, mona, lena, pair_id = pair
    assert lena.get(f"/dashboard/pairs/{pair_id}").status_code == 403
    assert mona.get(f"/dashboard/pairs/{pair_id}").status_code == 403
    other = Participant(app, platform, "50", "Instructor", "Olga Other",
                        context={"id": "other-course", "title": "Elsewhere"})
    assert other.get(f"/dashboard/pairs/{pair_id}").status_code == 404
    assert staff.get("/dashboard/pairs/999999").status_code == 404


def _second_pair(app) -> int:
    """Max mentors Leo in the same program (rows only: the dashboard reads pairs)."""
    with app.app_context():
        first = db.session.scalars(sa.select(Pair)).one()
        people = [Person(platform_id=first.mentor.platform_id, subject=sub, name=name)
                  for sub, name in (("3", "Max Mentor"), ("11", "Leo Learner"))]
        db.session.add_all(people)
        db.session.flush()
        second = Pair(program_id=first.program_id, mentor_id=people[0].id,
                      mentee_id=people[1].id, started_at=first.started_at)
        db.session.add(second)
        db.session.commit()
        return second.id


def _listed(html: str) -> list[str]:
    return re.findall(r'<td[^>]*><a href="/dashboard/pairs/\d+[^"]*">([^<]+)</a></td>', html)


def test_filters_by_health_and_by_mentor(app, pair):
    staff, mona, lena, pair_id = pair
    _second_pair(app)
    age_pair(app, pair_id, 25)  # Lena and Mona: at risk; Leo and Max, new: on track
    assert _listed(staff.get("/dashboard").data.decode()) == ["Lena Learner – Mona Mentor"]
    every = staff.get("/dashboard?health=all").data.decode()
    assert sorted(_listed(every)) == ["Lena Learner – Mona Mentor", "Leo Learner – Max Mentor"]
    assert "Pairs shown (2)" in every
    assert _listed(staff.get("/dashboard?health=healthy").data.decode()) == [
        "Leo Learner – Max Mentor"]
    max_id = person_id(app, "3")
    by_max = staff.get(f"/dashboard?health=all&mentor={max_id}").data.decode()
    assert _listed(by_max) == ["Leo Learner – Max Mentor"]
    assert f'<option value="{max_id}" selected>Max Mentor</option>' in by_max
    none = staff.get(f"/dashboard?health=at+risk&mentor={max_id}").data.decode()
    assert _listed(none) == [] and "No pair matches these filters." in none
    assert "Every pair is on track" not in none
    odd = staff.get("/dashboard?health=bogus&mentor=x").data.decode()  # ignored
    assert _listed(odd) == ["Lena Learner – Mona Mentor"]


def test_the_filter_form_keeps_the_session_token(app, pair):
    """A GET form drops its action's query: the token travels as a hidden field, and the
    form's fields alone open the filtered page (no cookie: as in an LMS iframe)."""
    staff, mona, lena, pair_id = pair
    html = staff.get("/dashboard").data.decode()
    form = re.search(r'<form method="get" action="/dashboard[^"]*" class="filters".*?</form>',
                     html, re.S).group(0)
    token = re.search(r'<input type="hidden" name="pw" value="([^"]+)">', form).group(1)
    mona_id = person_id(app, "2")
    assert f'<option value="{mona_id}">Mona Mentor</option>' in form
    sent = staff.client.get("/dashboard", query_string={"pw": token, "health": "all",
                                                        "mentor": str(mona_id)})
    assert sent.status_code == 200
    assert _listed(sent.data.decode()) == ["Lena Learner – Mona Mentor"]


def test_an_ended_pairs_staff_page_shows_its_dates(app, pair):
    staff, mona, lena, pair_id = pair
    with app.app_context():
        ended = db.session.get(Pair, pair_id)
        ended.status, ended.ended_at = "ended", ended.started_at
        db.session.commit()
    text = staff.get(f"/dashboard/pairs/{pair_id}").data.decode()
    assert "<dt>Ended on</dt>" in text and "<dd>ended early</dd>" in text
    assert "Health:" not in text  # only active pairs are assessed
