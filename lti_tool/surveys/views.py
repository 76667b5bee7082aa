"""The check-in / feedback page of a pair member, and survey results and settings for staff."""

import functools

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from lti_tool.courses.access import current_program, login_required, role_required
from lti_tool.courses.models import Role
from lti_tool.extensions import db
from lti_tool.pairs.members import member_pair
from lti_tool.surveys import services
from lti_tool.surveys.forms import QuestionForm, SettingsForm, SurveyForm
from lti_tool.surveys.models import KINDS
from lti_tool.web.forms import change
from lti_tool.web.submissions import idempotent

blueprint = Blueprint("surveys", __name__)



@blueprint.route("/pairs/<int:pair_id>/checkin", methods=["GET", "POST"])
@login_required
@idempotent
def checkin(pair_id: int):
    pair, person = member_pair(pair_id), g.enrolment.person
    due = services.due_for(pair, person)
    anonymous = services.settings_of(pair.program).anonymous
    db.session.commit()  # the program's survey settings exist from now on
    if due is None:
        return render_template("surveys/checkin.html", pair=pair, due=None, form=None,
                               anonymous=anonymous)
    form = SurveyForm()
    page = functools.partial(render_template, "surveys/checkin.html", pair=pair, due=due,
                             form=form, anonymous=anonymous, kinds=KINDS)
    if request.method == "GET":
        return page(typed={})
    if not _answered(pair, person, due, form):
        return page(typed=request.form), 400
    flash(gettext("Thank you for your answer."), "success")
    if form.rating.data == 5:
        flash(gettext("Going well? Others would love to hear your story."), "story")
    return redirect(url_for("homes.home"), code=303)


def _answered(pair, person, due, form: SurveyForm) -> bool:
    """Whether the answer is stored; if not, the fields show their problems or the service's
    refusal is flashed."""
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400, gettext("The form has expired; reload the page and try again."))
        return False
    answers = {key: request.form.get(f"q_{key}", "") for key, _, _ in due.extra}
    if problem := change(lambda: services.answer(pair, person, due, form.rating.data,
                                                 form.comment.data or "", answers),
                         services.SurveyError).problem:
        flash(problem, "error")
        return False
    return True


@blueprint.route("/surveys", methods=["GET", "POST"])
@role_required(Role.STAFF)
def results():
    program = current_program()
    settings = services.settings_of(program)
    form = SettingsForm(obj=settings)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, gettext("The settings were incomplete; reload the page and try again."))
        settings.anonymous = bool(form.anonymous.data)
        settings.checkin_days = form.checkin_days.data
        flash(gettext("Survey settings saved."), "success")
    db.session.commit()
    if request.method == "POST":
        return redirect(url_for("surveys.results"), code=303)
    return render_template("surveys/results.html", results=services.results(program),
                           form=form, question_form=QuestionForm(), kinds=KINDS)


@blueprint.post("/surveys/questions")
@role_required(Role.STAFF)
@idempotent
def add_question():
    program, form = current_program(), QuestionForm()
    if not form.validate_on_submit():
        flash(gettext("Write the question and choose where it goes."), "error")
        return redirect(url_for("surveys.results"), code=303)
    if problem := change(lambda: services.add_question(program, form.text.data, form.kind.data,
                                                       form.surveys.data or []),
                         services.SurveyError).problem:
        flash(problem, "error")
    else:
        flash(gettext("Question added."), "success")
    return redirect(url_for("surveys.results"), code=303)
