"""The staff page of participation grades (`/grades`): everyone's score, breakdown, completion
and sync status; a person's details with override, hold and resend; the rubric. Staff only,
and only for the program this session was launched from (another course's person is a 404)."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from lti_tool.courses.access import current_program, role_required
from lti_tool.courses.forms import ConfirmForm
from lti_tool.courses.models import Role
from lti_tool.extensions import db
from lti_tool.grades import overview, services
from lti_tool.grades.forms import OverrideForm, PolicyForm, ReasonForm
from lti_tool.grades.models import GradeRecord
from lti_tool.grades.rubric import meetings_figure
from lti_tool.web.forms import change, required
from lti_tool.web.submissions import idempotent

blueprint = Blueprint("grades", __name__)
staff_only = role_required(Role.STAFF)


def _record(person_id: int) -> GradeRecord:
    record = services.record_of(current_program(), person_id)
    if record is None:
        abort(404)
    return record


def _back(person_id: int | None, message: str, category: str = "success"):
    flash(message, category)
    target = url_for("grades.person", person_id=person_id) if person_id else \
        url_for("grades.index")
    return redirect(target, code=303)


def _attempt(person_id: int | None, action, success: str):
    """One staff action as one transaction: commit and say so, or roll back and say why."""
    if problem := change(action, services.GradeError).problem:
        return _back(person_id, problem, "error")
    return _back(person_id, success)


def _valid(form) -> None:
    if not form.validate_on_submit():
        abort(400, _("The form was incomplete or has expired; reload the page and try again."))


@blueprint.get("/grades")
@staff_only
def index():
    program = current_program()
    policy = services.policy_of(program)
    page = render_template(
        "grades/index.html", program=program, policy=policy,
        rows=overview.program_rows(program), status_texts=overview.status_texts(),
        link=services.target_link(program.id),
        counts=services.counts(program), untracked=services.untracked(),
        confirm=ConfirmForm(), course=g.enrolment.course)
    db.session.commit()  # a program's first visit stores its default rubric
    return page


@blueprint.get("/grades/<int:person_id>")
@staff_only
def person(person_id: int):
    record = _record(person_id)
    program = record.program
    rules = services.policy_of(program).rubric(record.role)
    return render_template(
        "grades/person.html", program=program, record=record,
        row=services.row_of(record), lms_completed=services.completed_in_lms(record, rules),
        meetings=meetings_figure(  # the LMS comment's figure (issue 16), translated
            (record.facts or {}).get("meetings_held") or 0, rules, ngettext),
        history=services.history(record), audit=services.audit_log(program, person_id),
        override_form=OverrideForm(score=record.effective_score),
        clear_form=ReasonForm(prefix="clear"), hold_form=ReasonForm(prefix="hold"),
        release_form=ReasonForm(prefix="release"),
        confirm=ConfirmForm(), status_text=services.STATUS_TEXT)


@blueprint.post("/grades/<int:person_id>/override")
@staff_only
@idempotent
def override(person_id: int):
    record, form = _record(person_id), OverrideForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            _valid(form)
        return _back(person_id, _("Give a score and a reason for the audit log."), "error")
    return _attempt(person_id, lambda: services.override(
        record, g.enrolment.person, required(form.score.data), required(form.reason.data)),
        _("Score overridden; the new score is queued for the LMS."))


@blueprint.post("/grades/<int:person_id>/clear")
@staff_only
def clear(person_id: int):
    record, form = _record(person_id), ReasonForm(prefix="clear")
    _valid(form)
    return _attempt(person_id, lambda: services.clear_override(
        record, g.enrolment.person, form.reason.data or "Override removed"),
        _("Override removed; the rubric's score is queued for the LMS."))


@blueprint.post("/grades/<int:person_id>/hold")
@staff_only
def hold(person_id: int):
    record, form = _record(person_id), ReasonForm(prefix="hold")
    _valid(form)
    return _attempt(person_id, lambda: services.hold(record, g.enrolment.person,
                                                     form.reason.data or ""),
                    _("Score held for review: it stays in Pairwise until you release it."))


@blueprint.post("/grades/<int:person_id>/release")
@staff_only
def release(person_id: int):
    record, form = _record(person_id), ReasonForm(prefix="release")
    _valid(form)
    return _attempt(person_id, lambda: services.release(record, g.enrolment.person,
                                                        form.reason.data or ""),
                    _("Score released; it is queued for the LMS."))


@blueprint.post("/grades/<int:person_id>/resend")
@staff_only
@idempotent
def resend(person_id: int):
    record = _record(person_id)
    _valid(ConfirmForm())
    return _attempt(None, lambda: services.resend(record, g.enrolment.person),
                    _("The score of %(name)s is queued to be sent again.",
                      name=record.person.display_name))


@blueprint.post("/grades/recompute")
@staff_only
def recompute():
    program = current_program()
    _valid(ConfirmForm())
    queued = services.recompute(program, trigger="staff")
    db.session.commit()
    return _back(None, _("Scores recomputed: %(queued)s changed and queued for the LMS.",
                           queued=queued))


@blueprint.route("/grades/rubric", methods=["GET", "POST"])
@staff_only
def rubric():
    program = current_program()
    policy = services.policy_of(program)
    form = PolicyForm(obj=policy, maximum=program.score_maximum,
                      **services.mentor_form_data(policy))
    if not form.validate_on_submit():
        db.session.commit()  # the default rubric, on a first visit
        return render_template("grades/rubric.html", program=program, form=form,
                               policy=policy, untracked=services.untracked()), \
            400 if form.is_submitted() else 200
    try:
        queued = services.update_policy(program, g.enrolment.person, form.values(),
                                        maximum=form.maximum.data)
    except services.GradeError as exc:
        db.session.rollback()
        form.pass_score.errors = [*form.pass_score.errors, str(exc)]
        return render_template("grades/rubric.html", program=program, form=form,
                               policy=services.policy_of(program),
                               untracked=services.untracked()), 400
    db.session.commit()
    return _back(None, _("Rubric saved; %(queued)s scores changed and are queued for the LMS.",
                           queued=queued))
