"""The staff home reads a fixed number of SQL statements whatever the program's size: the
people counted by role in one query, the meetings a pair describes differently loaded with
their attendance and people in bulk (it read every meeting's attendance, then every row again
after its commit: 1,168 statements at 500 learners)."""

from datetime import timedelta

from lti_tool.extensions import db
from lti_tool.meetings.models import Attendance, Meeting
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import utcnow
from tests.support.staff_lists import counted_queries, grow, staff_of_program


def _disputed(app, pair_ids: list[int]) -> None:
    """A past meeting per pair that its mentee says happened and its mentor says did not."""
    with app.app_context():
        start = utcnow().replace(microsecond=0) - timedelta(days=3)
        for pair_id in pair_ids:
            pair = db.session.get(Pair, pair_id)
            meeting = Meeting(pair=pair, proposed_by_id=pair.mentor_id, status="scheduled",
                              start_at=start, timezone="UTC", uid=f"disputed-{pair_id}")
            db.session.add(meeting)
            for person_id, outcome in ((pair.mentee_id, "held"), (pair.mentor_id, "missed")):
                db.session.add(Attendance(meeting=meeting, occurrence_start=start,
                                          person_id=person_id, outcome=outcome))
        db.session.commit()


def test_the_staff_home_reads_the_same_statements_at_any_size(app, platform):
    staff, program_id = staff_of_program(app, platform)
    small = grow(app, program_id, learners=6, mentors=3, paired=3, first=5000)
    _disputed(app, small.pairs)
    staff.get("/")
    with counted_queries(app) as before:
        page = staff.get("/")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("says “") == 2 * 3  # each side of each meeting
    large = grow(app, program_id, learners=40, mentors=20, paired=20, first=7000)
    _disputed(app, large.pairs)
    staff.get("/")
    with counted_queries(app) as after:
        page = staff.get("/")
    assert page.get_data(as_text=True).count("says “") == 2 * 23
    assert "23 mentors, 46 learners, 1 staff known to Pairwise." in page.get_data(as_text=True)
    assert len(after) == len(before), (len(before), len(after))
