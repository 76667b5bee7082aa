"""The built-in library and a program's copy of it: at least eight guides, each with its four
parts; copied per program, once; staff changes stay in their program; restore brings back only
what is missing."""

import re

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Course, Person, Program
from lti_tool.extensions import db
from lti_tool.guides import library, services
from lti_tool.guides.models import Guide
from lti_tool.guides.render import markdown_html
from tests.support.rows import platform_row

TOPICS = ("first meeting", "goal", "career", "feedback", "cultures", "mid-point", "obstacles",
          "closing")


def test_the_library_has_at_least_eight_guides_with_four_parts():
    guides = library.builtin_guides()
    assert len(guides) >= 8
    assert len({guide.key for guide in guides}) == len(guides)
    titles = " | ".join(guide.title.lower() for guide in guides)
    for topic in TOPICS:
        assert topic in titles, topic
    for guide in guides:
        headings = re.findall(r"^## (.+)$", guide.body, re.MULTILINE)
        assert headings == list(library.SECTIONS), guide.key
        parts = dict(zip(headings, re.split(r"^## .+$", guide.body, flags=re.MULTILINE)[1:],
                         strict=True))
        questions = re.findall(r"^\d+\. ", parts["Discussion questions"], re.MULTILINE)
        assert 5 <= len(questions) <= 8, guide.key
        assert len(parts["Purpose"].split()) >= 30 and len(parts["Exercise"].split()) >= 30
        assert re.search(r"^- ", parts["Resources"], re.MULTILINE), guide.key
        assert guide.week is not None and 1 <= guide.week <= 12
        html = markdown_html(guide.body)
        assert html.count("<h2>") == 4 and "<ol>" in html and "&lt;" not in html


def test_the_suggested_weeks_follow_the_order():
    weeks = [guide.week for guide in library.builtin_guides()]
    assert weeks == sorted(weeks)
    assert library.builtin("first-meeting").week == 1 and library.builtin("nothing") is None


@pytest.fixture
def programs(app):
    with app.app_context():
        platform = platform_row("c")
        course = Course(platform_id=platform.id, context_id="course-1", title="Course")
        staff = Person(platform_id=platform.id, subject="staff-1", name="Sam Staff")
        db.session.add_all([course, staff])
        db.session.flush()
        first = Program(course_id=course.id, title="First")
        second = Program(course_id=course.id, title="Second")
        db.session.add_all([first, second])
        db.session.commit()
        yield first, second, staff


def test_copies_are_per_program_and_made_once(programs):
    first, second, staff = programs
    copied = services.ensure_library(first)
    assert [g.builtin_key for g in copied] == [b.key for b in library.builtin_guides()]
    assert [g.position for g in copied] == list(range(1, len(copied) + 1))
    assert services.ensure_library(first) == copied  # the second call copies nothing
    assert services.guides_for(first) == copied
    others = services.guides_for(second)
    assert {g.id for g in others}.isdisjoint({g.id for g in copied})
    db.session.commit()

    services.edit_guide(copied[0], staff, "Our kick-off", "## Purpose\n\nMeet.", week=2)
    services.delete_guide(copied[1])
    db.session.commit()
    assert services.guides_for(second)[0].title == "First meeting and rapport"
    assert services.guides_for(second)[0].week == 1
    after = services.guides_for(first)
    assert after[0].title == "Our kick-off" and after[0].updated_by_id == staff.id
    assert len(after) == len(copied) - 1  # a deleted guide is not copied back on the next use
    assert [b.key for b in services.missing_builtins(first)] == ["working-together-online"]

    restored = services.restore_builtins(first, staff)
    assert [g.builtin_key for g in restored] == ["working-together-online"]
    assert restored[0].position == max(g.position for g in after) + 1
    assert services.restore_builtins(first) == []
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Guide))
    assert count == 2 * len(copied)


def test_adding_moving_and_refusals(programs):
    first, _, staff = programs
    added = services.add_guide(first, staff, "Networking", "## Purpose\n\nMeet people.", 4)
    guides = services.guides_for(first)
    assert guides[-1] == added and added.slug == "networking" and added.builtin_key is None
    twin = services.add_guide(first, staff, "Goal setting", "Again.")
    assert twin.slug == "goal-setting-2"

    services.move(added, -1)
    assert services.guides_for(first)[-3] == added
    with pytest.raises(services.GuideError, match="already first"):
        services.move(services.guides_for(first)[0], -1)
    with pytest.raises(services.GuideError, match="already last"):
        services.move(services.guides_for(first)[-1], 1)
    for title, body, week, message in [
        ("", "text", None, "title"), ("  ", "text", None, "title"),
        ("T", "", None, "text first"), ("T", "   \n", None, "text first"),
        ("x" * 201, "text", None, "under 200"), ("T", "x" * 20_001, None, "under 20,000"),
        ("T", "text", 0, "week"), ("T", "text", 105, "week"),
    ]:
        with pytest.raises(services.GuideError, match=message):
            services.add_guide(first, staff, title, body, week)
    assert services.add_guide(first, staff, "Max", "x" * 20_000).body_markdown.startswith("x")
