"""The staff page of a person after an override that completes the activity in the LMS:
it shows the comment that was sent, and that the LMS counts the activity complete."""

import sqlalchemy as sa

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.grades import services
from lti_tool.pairs.models import Pair
from tests.support.clients import Participant, csrf_token


def test_the_person_page_shows_what_the_lms_was_told_after_an_override(app, platform):
    staff = Participant(app, platform, "1", "Instructor", "Iris Instructor")
    Participant(app, platform, "2", "Mentor", "Mona Mentor")
    Participant(app, platform, "10", "Learner", "Lena Learner")
    with app.app_context():
        program = db.session.scalars(sa.select(Program)).one()
        ids = {p.subject: p.id for p in db.session.scalars(sa.select(Person))}
        db.session.add(Pair(program_id=program.id, mentee_id=ids["10"], mentor_id=ids["2"]))
        db.session.flush()
        services.queue_recompute(program)
        db.session.commit()
    page = f"/grades/{ids['10']}"
    token = csrf_token(staff.get(page).data)
    staff.client.post(staff.url(f"{page}/override"),
                      data={"csrf_token": token, "score": "80", "reason": "Met by phone"})
    html = staff.get(page).get_data(as_text=True)
    assert "complete in the LMS: the score set by staff reaches the grade to pass" in html
    assert "completed; score set by staff" in html
    assert "not complete yet; score set by staff" not in html
