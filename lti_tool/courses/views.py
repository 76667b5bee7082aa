"""Pages a launched person sees: the home page for their role, the roster for staff, and the
program settings staff choose when they add the activity (deep linking)."""

import logging

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext as _
from pylti1p3.exception import LtiException
from requests import RequestException

from lti_tool.courses import services
from lti_tool.courses.forms import ConfirmForm, ProgramForm
from lti_tool.courses.models import Program, ResourceLink, Role
from lti_tool.courses.roster import sync_roster
from lti_tool.extensions import db
from lti_tool.i18n import translated
from lti_tool.intake import services as intake
from lti_tool.journal import services as journal
from lti_tool.lti import deep_linking
from lti_tool.lti.advantage import ServiceUnavailable
from lti_tool.meetings import services as meetings
from lti_tool.meetings.models import OUTCOMES
from lti_tool.pairs import choice
from lti_tool.pairs.forms import AnswerForm, RequestForm
from lti_tool.pairs.services import pairs_of
from lti_tool.relationships import stories
from lti_tool.surveys import services as surveys
from lti_tool.web.auth import current_link, login_required, role_required
from lti_tool.web.forms import change
from lti_tool.web.scoped import in_course
from lti_tool.web.submissions import idempotent

log = logging.getLogger(__name__)
blueprint = Blueprint("courses", __name__)


@blueprint.get("/")
@login_required
def home():
    link = current_link()
    program = link.program if link else None
    if g.enrolment.role == Role.STAFF:
        roster = services.course_roster(g.enrolment.course)
        disputed = meetings.disagreements(program) if program else []
        return render_template("courses/staff_home.html", program=program, roster=roster,
                               form=ConfirmForm(), disputed=disputed,
                               outcomes=translated(OUTCOMES))
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
        "checkins": {p.id: due for p in pairs if (due := surveys.due_for(p, person))},
        "unread": {p.id: journal.unread_count(p, person) for p in pairs},
        "stories": stories.published(program, limit=3) if program else [],
    }
    db.session.commit()  # lapsed requests are recorded as such
    return render_template("courses/participant_home.html", program=program, profile=profile,
                           pairs=pairs, request_form=RequestForm(), answer_form=AnswerForm(),
                           **context)


@blueprint.get("/roster")
@role_required(Role.STAFF)
def roster():
    return render_template("courses/roster.html", roster=services.course_roster(g.enrolment.course),
                           form=ConfirmForm())


@blueprint.post("/roster/sync")
@role_required(Role.STAFF)
def roster_sync():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    course = g.enrolment.course
    try:
        result = sync_roster(course)
    except ServiceUnavailable as exc:
        db.session.rollback()
        flash(str(exc), "error")
    except (LtiException, RequestException) as exc:
        db.session.rollback()
        log.warning("roster sync failed: course=%s error=%s", course.id, exc)
        flash(_("The platform did not answer the roster request. Try again later."), "error")
    else:
        db.session.commit()
        flash(_("Roster updated: %(members)s members, %(added)s new.", members=result.members,
                added=result.added), "success")
    return redirect(url_for("courses.roster"), code=303)


@blueprint.route("/deep-link", methods=["GET", "POST"])
@role_required(Role.STAFF)
@idempotent
def deep_link():
    if not session.get("deep_linking"):
        abort(400, _("Choose 'add an activity' in your course to configure a new program."))
    form = ProgramForm()
    if not form.validate_on_submit():
        return render_template("courses/deep_link.html", form=form)
    program = change(lambda: services.create_program(
        g.enrolment.course, form.title.data.strip(), (form.description.data or "").strip(),
        form.score_maximum.data, form.meeting_minutes.data), refusals=()).result
    session["deep_linking"] = False  # one program per deep-linking request
    session["deep_linked"] = program.id
    return redirect(url_for("courses.deep_link_return", program_id=program.id), code=303)


@blueprint.get("/deep-link/programs/<int:program_id>")
@role_required(Role.STAFF)
def deep_link_return(program_id: int):
    """The deep-linking response for the program just made: its own page, so that a repeat of
    the form (lti_tool/web/submissions.py) is answered with it too. Only for a program of
    this course that no activity launched yet, in the session that made it or whose
    deep-linking request is still open (a repeat racing the first may have saved its copy of
    the session last); once."""
    program = in_course(Program, program_id)
    launched = db.session.scalar(sa.select(ResourceLink.id).filter_by(program_id=program.id)
                                 .limit(1))
    if launched or not (session.get("deep_linked") == program.id
                        or session.get("deep_linking")):
        abort(400, _("This program was already sent to your course; you can close this "
                     "window."))
    session.pop("deep_linked", None)
    session["deep_linking"] = False
    return_url, token = deep_linking.response_for(session["launch_id"], program)
    return render_template("lti/deep_link_return.html", return_url=return_url, token=token)
