"""The privacy pages: "Your data" (anyone launched downloads what Pairwise holds about them),
erasing a person's data in the course (course staff, with a typed confirmation), and the
program's retention setting. Every view works on the session's own course, so staff never
reach a person of another course or platform."""

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from lti_tool.courses import services as courses
from lti_tool.courses.access import current_link, current_program, login_required, role_required
from lti_tool.courses.models import Person, Role
from lti_tool.extensions import db
from lti_tool.privacy import erasure, retention, services
from lti_tool.privacy.forms import EraseForm, RetentionForm
from lti_tool.security import audit
from lti_tool.web.forms import first_error

log = logging.getLogger(__name__)
blueprint = Blueprint("privacy", __name__, url_prefix="/privacy")


@blueprint.get("/")
@login_required
def index():
    staff = g.enrolment.role == Role.STAFF
    link = current_link()
    program = link.program if link is not None else None
    return render_template(
        "privacy/index.html", staff=staff, program=program,
        roster=courses.course_roster(g.enrolment.course) if staff else [],
        purge_due=retention.purge_due_on(program) if staff and program else None)


@blueprint.get("/download")
@login_required
def download():
    """The person's own data as a JSON attachment; recorded in the audit log (ids only)."""
    person = g.enrolment.person
    body = services.export_json(person)
    audit.record("privacy.exported", target=f"person:{person.id}", person_id=person.id)
    db.session.commit()
    name = services.export_filename(g.enrolment.course)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store"})


def _person_in_course(person_id: int) -> Person:
    """A person of the session's course: 404 for anyone else (another course or platform)."""
    try:
        enrolment = erasure.enrolment_in(g.enrolment.course, person_id)
    except services.PrivacyError:
        abort(404)
    return enrolment.person


@blueprint.route("/people/<int:person_id>/erase", methods=["GET", "POST"])
@role_required(Role.STAFF)
def erase(person_id: int):
    person, form = _person_in_course(person_id), EraseForm()
    if request.method == "GET":
        return _erase_page(person, form)
    problem = first_error(form)
    typed = " ".join((form.confirm_name.data or "").split())
    if problem is None and typed.casefold() != person.display_name.strip().casefold():
        problem = _("The name you typed does not match. Nothing was erased.")
    if problem is None and person.id == g.enrolment.person_id:
        problem = _("You cannot erase your own data here: ask another instructor or an "
                    "administrator.")
    if problem is not None:
        log.info("privacy: erase refused person=%s course=%s: %s", person.id,
                 g.enrolment.course_id, problem)
        return _erase_page(person, form, problem, status=400)
    return _do_erase(person)


def _do_erase(person: Person):
    """One transaction: everything is erased, or (on any error) nothing is."""
    course, actor = g.enrolment.course, g.enrolment.person
    try:
        result = erasure.erase_person(course, person, actor=actor)
        db.session.commit()
    except services.PrivacyError as exc:
        db.session.rollback()
        return _erase_page(person, EraseForm(), str(exc), status=400)
    except Exception:
        db.session.rollback()
        log.exception("privacy: erasure failed person=%s course=%s", person.id, course.id)
        raise
    flash(_("The person's data in this course was erased (%(n)s records changed). If they "
            "open Pairwise again, they start as a new participant.",
            n=sum(result.counts.values())), "success")
    return redirect(url_for("privacy.index"), code=303)


def _erase_page(person: Person, form: EraseForm, problem: str | None = None, status: int = 200):
    if problem:
        flash(problem, "error")
    return render_template("privacy/erase.html", person=person, form=form,
                           removed=erasure.REMOVED,
                           placeholder=erasure.PLACEHOLDER_NAME), status


@blueprint.route("/retention", methods=["GET", "POST"])
@role_required(Role.STAFF)
def retention_settings():
    program = current_program()
    form = RetentionForm(data={"retention_days": program.retention_days}
                         if request.method == "GET" else None)
    if request.method == "POST":
        problem = first_error(form)
        if problem is None:
            program.retention_days = form.retention_days.data
            audit.record("privacy.retention_set", program=program,
                         target=f"program:{program.id}", days=program.retention_days)
            db.session.commit()
            flash(_("Data retention saved."), "success")
            return redirect(url_for("privacy.retention_settings"), code=303)
        log.info("privacy: retention refused program=%s: %s", program.id, problem)
        flash(problem, "error")
    return render_template(
        "privacy/retention.html", program=program, form=form,
        ended_on=retention.ended_on(program), purge_due=retention.purge_due_on(program),
        purged=retention.PURGED), 400 if request.method == "POST" else 200

