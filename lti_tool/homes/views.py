"""The home page for the launched person's role (see the package's docstring)."""

import sqlalchemy as sa
from flask import Blueprint, g, redirect, render_template, url_for

from lti_tool.courses.access import current_link, login_required
from lti_tool.courses.forms import ConfirmForm
from lti_tool.courses.models import Enrolment, Role
from lti_tool.dbutil import commits_keep_loaded
from lti_tool.extensions import db
from lti_tool.homes import setup
from lti_tool.homes.needs import participant_needs, staff_needs
from lti_tool.i18n import translated
from lti_tool.intake import services as intake
from lti_tool.meetings import services as meetings
from lti_tool.meetings.models import OUTCOMES
from lti_tool.pairs import choice
from lti_tool.pairs.forms import AnswerForm, RequestForm
from lti_tool.pairs.services import pairs_of
from lti_tool.relationships import stories

blueprint = Blueprint("homes", __name__)


@blueprint.get("/")
@login_required
def home():
    link = current_link()
    program = link.program if link else None
    if g.enrolment.role == Role.STAFF:
        return _staff_home(program)
    profile = intake.profile_for(program, g.enrolment.person) if program else None
    if program and profile is None:
        return redirect(url_for("intake.intake"), code=303)  # the intake comes first
    person = g.enrolment.person
    pairs = pairs_of(person, program) if program else []
    mentee_view = program and program.mentee_choice and g.enrolment.role == Role.LEARNER
    context = {
        "recommendations": choice.recommendations(program, person)
        if mentee_view and not pairs else [],
        "my_requests": choice.requests_of(program, person) if mentee_view else [],
        "requests_to_me": choice.requests_to(program, person) if program else [],
        "needs": participant_needs(person, program, pairs),
        "stories": stories.published(program, limit=3) if program else [],
    }
    page = render_template("homes/participant.html", program=program, profile=profile,
                           pairs=pairs, request_form=RequestForm(), answer_form=AnswerForm(),
                           **context)
    # Lapsed requests are recorded as such; after rendering, as a commit expires every row
    # the page would otherwise read again.
    db.session.commit()
    return page


def _staff_home(program):
    needs = staff_needs(program)
    state = setup.setup_state(program) if program else None
    with commits_keep_loaded():  # what was read stays loaded: the page shows it next
        db.session.commit()  # the pairs' health assessed on the way is kept for the dashboard
    person = g.enrolment.person
    mentoring = program is not None and intake.mentor_row(program, person) is not None
    return render_template("homes/staff.html", program=program,
                           people=role_counts(g.enrolment.course_id),
                           form=ConfirmForm(), needs=needs,
                           disputed=(meetings.disagreements(program)
                                     if any(need.kind == "disagreements" for need in needs)
                                     else []),
                           outcomes=translated(OUTCOMES), state=state,
                           checklist=setup.checklist(state) if state else [],
                           next_step=setup.next_step(state, needs) if state else None,
                           mentoring=mentoring,
                           my_profile=intake.profile_for(program, person) if mentoring else None,
                           my_pairs=pairs_of(person, program) if mentoring else [])


def role_counts(course_id: int) -> dict[str, int]:
    """How many of the course's people Pairwise knows in each role, in one query."""
    counts = db.session.execute(sa.select(Enrolment.role, sa.func.count())
                                .where(Enrolment.course_id == course_id)
                                .group_by(Enrolment.role))
    return {Role.MENTOR: 0, Role.LEARNER: 0, Role.STAFF: 0, **{role: n for role, n in counts}}
