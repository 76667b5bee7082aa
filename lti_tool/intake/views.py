"""The intake page: learners and mentors fill it on first launch and may edit it later; so
do staff whom the program's staff designated as mentors (a teaching assistant, say)."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lti_tool.courses.access import current_program, role_required
from lti_tool.courses.models import Role
from lti_tool.extensions import db
from lti_tool.intake import profiles, services
from lti_tool.intake.forms import DAYS, GRID_HOURS, build_intake_form, check_role_fields, slot_value

blueprint = Blueprint("intake", __name__)
# Any page may show a mentor profile ({% include "intake/_mentor_profile.html" %}), e.g. the
# cards of mentee choice, without its view having to look it up.
blueprint.add_app_template_global(profiles.mentor_profile, "mentor_profile")


def _person_roles(program):
    """(is_mentor, is_mentee) for the signed-in person in this program."""
    enrolment = g.enrolment
    mentor = services.mentor_row(program, enrolment.person)
    is_mentor = enrolment.role == Role.MENTOR or (mentor is not None)
    return is_mentor, enrolment.role == Role.LEARNER


@blueprint.route("/intake", methods=["GET", "POST"])
@role_required(Role.LEARNER, Role.MENTOR, Role.STAFF)
def intake():
    program = current_program()
    if g.enrolment.role == Role.STAFF and \
            services.mentor_row(program, g.enrolment.person) is None:
        abort(403)  # staff fill the intake only as a mentor staff designated
    person = g.enrolment.person
    profile = services.profile_for(program, person)
    is_mentor, is_mentee = _person_roles(program)
    questions = services.questions_for(program)
    form = build_intake_form(program, is_mentor, is_mentee, questions,
                             obj=profile if request.method == "GET" else None)
    if request.method == "GET" and is_mentor:
        form.capacity.data = services.pool_capacity(person)
    lms_timezone = profile is None and bool(person.timezone)
    if request.method == "GET" and lms_timezone:
        form.timezone.data = person.timezone  # the LMS profile's zone beats the browser's
    if request.method == "GET" and profile is not None:
        for question in questions:
            answer = profile.answers.get(str(question.id), [])
            getattr(form, f"q_{question.id}").data = answer if question.multiple else (
                answer[0] if answer else None)
    # Both checks run on a POST so that every problem is shown at once.
    if request.method == "POST" and form.validate_on_submit() & check_role_fields(form):
        services.save_intake(program, person, form)
        db.session.commit()
        flash(_("Thank you: your answers are saved. You can change them at any time."), "success")
        return redirect(url_for("homes.home"), code=303)
    if request.method == "POST":
        db.session.rollback()
    status = 400 if request.method == "POST" else 200
    return render_template("intake/form.html", form=form, program=program, days=DAYS,
                           hours=GRID_HOURS, slot_value=slot_value,
                           is_new=profile is None, browser_timezone=not lms_timezone,
                           allow_volunteer=is_mentee and "volunteer" in program.mentor_sources
                           ), status

