"""The course's pages for staff: the roster, and the program settings chosen when the
activity is added (deep linking). Each person's home page is lti_tool/homes."""

import logging

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext as _
from pylti1p3.exception import LtiException
from requests import RequestException

from lti_tool.courses import services
from lti_tool.courses.access import role_required
from lti_tool.courses.forms import ConfirmForm, ProgramForm
from lti_tool.courses.models import Program, ResourceLink, Role
from lti_tool.courses.roster import sync_roster
from lti_tool.courses.scoped import in_course
from lti_tool.extensions import db
from lti_tool.i18n import role_name
from lti_tool.lti import deep_linking
from lti_tool.lti.advantage import ServiceUnavailable
from lti_tool.web.forms import change
from lti_tool.web.submissions import idempotent

log = logging.getLogger(__name__)
blueprint = Blueprint("courses", __name__)


@blueprint.get("/roster")
@role_required(Role.STAFF)
def roster():
    # The role names translated once for the whole table, not once a row.
    return render_template("courses/roster.html", roster=services.course_roster(g.enrolment.course),
                           role_names={role: role_name(role) for role in Role},
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
