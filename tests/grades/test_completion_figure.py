"""One figure of meetings everywhere (issue 16, "0/6 meetings held" where 3 complete the
activity): meetings held against the number that completes the activity, and how many count
for points when that differs, from `rubric.meetings_figure` on the staff grade pages, in the
comment the LMS receives and in what is queued for it."""

import re

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.grades import services
from lti_tool.grades.models import GradeRecord, GradeSync
from lti_tool.grades.rubric import Rubric, meetings_figure
from lti_tool.pairs.models import Pair
from tests.support.clients import Participant
from tests.support.grades import hold_meetings

TWO = "2 meetings held of 3 needed to complete (up to 6 count for points)"
NONE = "0 meetings held of 3 needed to complete (up to 6 count for points)"


@pytest.fixture
def course(app, platform):
    """min_meetings 3, meeting_cap 6; Lena has held two meetings, Luis none."""
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    for subject, name in (("2", "Mona Mentor"), ("10", "Lena Learner"), ("11", "Luis Learner")):
        Participant(app, platform, subject, "Learner" if subject != "2" else "Mentor", name)
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        policy = services.policy_of(program)
        policy.min_meetings, policy.meeting_cap = 3, 6
        ids = {p.subject: p.id for p in db.session.scalars(sa.select(Person))}
        lena = Pair(program_id=program.id, mentee_id=ids["10"], mentor_id=ids["2"])
        db.session.add_all([lena, Pair(program_id=program.id, mentee_id=ids["11"],
                                       mentor_id=ids["2"])])
        db.session.flush()
        hold_meetings(lena, 2)
        services.recompute(program)
        db.session.commit()
    return staff, ids


def test_the_figure_says_what_completes_and_what_counts():
    rubric = Rubric(min_meetings=3, meeting_cap=6)
    assert meetings_figure(0, rubric) == NONE
    assert meetings_figure(1, rubric).startswith("1 meeting held of 3 needed to complete")
    assert meetings_figure(4, rubric).startswith("4 meetings held of 3 needed to complete")
    # When the two agree, or meetings earn no points, one number is enough.
    assert meetings_figure(2, Rubric(min_meetings=3, meeting_cap=3)) == \
        "2 meetings held of 3 needed to complete"
    assert meetings_figure(2, Rubric(points_per_meeting=0)) == \
        "2 meetings held of 3 needed to complete"
    assert meetings_figure(1, Rubric(min_meetings=0, meeting_cap=6)) == \
        "1 meeting held (up to 6 count for points)"


def test_the_lms_comment_and_the_queued_score_carry_the_figure(app, course):
    _, ids = course
    with app.app_context():
        records = {r.person_id: r for r in db.session.scalars(sa.select(GradeRecord))}
        assert records[ids["10"]].comment.startswith(TWO + ", last met ")
        assert records[ids["11"]].comment.startswith(NONE + ", ")
        assert records[ids["10"]].missing[0] == "1 more meeting held"  # 3 - 2, same rule
        queued = {s.record.person_id: s.comment for s in db.session.scalars(sa.select(GradeSync))}
        assert queued[ids["10"]].startswith(TWO) and queued[ids["11"]].startswith(NONE)
        assert not any("/6" in text for text in queued.values())


def test_the_grade_pages_show_the_same_figure(app, course):
    staff, ids = course
    index = staff.get("/grades").get_data(as_text=True)
    assert TWO in index and NONE in index and "/6 meetings" not in index
    assert "at least 3 meetings held" in index
    person = staff.get(f"/grades/{ids['10']}").get_data(as_text=True)
    shown = re.search(r'<dd id="meetings-figure">([^<]*)</dd>', person).group(1)
    assert shown == TWO
    assert "needs 1 more meeting held" in person
