"""The intake page: learners and mentors fill it on first launch and may edit it later; so
do staff whom the program's staff designated as mentors (a teaching assistant, say)."""

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from lti_tool.courses.access import current_program, role_required
from lti_tool.courses.models import Role
from lti_tool.extensions import db
from lti_tool.intake import profiles, services, zones
from lti_tool.intake.forms import DAYS, GRID_HOURS, build_intake_form, check_role_fields, slot_value
from lti_tool.web.fragments import SharedFragments

blueprint = Blueprint("intake", __name__)
BLANK_FIELDS = SharedFragments()
# Any page may show a mentor profile ({% include "intake/_mentor_profile.html" %}), e.g. the
# cards of mentee choice, without its view having to look it up.
blueprint.add_app_template_global(profiles.mentor_profile, "mentor_profile")


def _person_roles(program, new_person: bool = False):
    """(is_mentor, is_mentee) for the signed-in person in this program; a person `new` in
    this transaction is no program's mentor yet (nothing to read)."""
    enrolment = g.enrolment
    mentor = None if new_person else services.mentor_row(program, enrolment.person)
    is_mentor = enrolment.role == Role.MENTOR or (mentor is not None)
    return is_mentor, enrolment.role == Role.LEARNER


@blueprint.route("/intake", methods=["GET", "POST"])
@role_required(Role.LEARNER, Role.MENTOR, Role.STAFF)
def intake():
    program = current_program()
    if g.enrolment.role == Role.STAFF and \
            services.mentor_row(program, g.enrolment.person) is None:
        abort(403)  # staff fill the intake only as a mentor staff designated
    profile = services.profile_for(program, g.enrolment.person)
    if request.method == "GET":
        return _page(program, profile)
    is_mentor, is_mentee = _person_roles(program)
    form = build_intake_form(program, is_mentor, is_mentee, services.questions_for(program))
    # Both checks run so that every problem is shown at once.
    if form.validate_on_submit() & check_role_fields(form):
        services.save_intake(program, g.enrolment.person, form)
        db.session.commit()
        flash(_("Thank you: your answers are saved. You can change them at any time."), "success")
        return redirect(url_for("homes.home"), code=303)
    db.session.rollback()
    return _page(program, profile, form), 400


def first_page(program, new_person: bool = False) -> Callable[[], str]:
    """A new participant's intake as the answer to their launch (launches/views.py): what
    the page shows is read now, in the launch's transaction; the form is built and the page
    rendered by the callable returned, once the launch has committed (no second transaction
    for its reads, and SQLite's one writer is not kept waiting on them). The page gives the
    intake's own address for the browser to show and reload (templates/base.html
    `page_url`)."""
    known = _known(program, new_person)
    g.page_url = url_for("intake.intake")
    return lambda: _render(program, None, _blank_form(program, *known), blank=True)


def _page(program, profile, form=None) -> str:
    """The intake page: `form` as sent back for another look, or a new one."""
    if form is not None:
        return _render(program, profile, form)
    return _render(program, profile, _new_form(program, profile), blank=profile is None)


def _new_form(program, profile):
    """The intake's form with what is known: the saved answers, the LMS profile's time zone,
    the mentor's capacity."""
    known = _known(program)
    if profile is None:
        return _blank_form(program, *known)
    form = _form(program, *known, obj=profile)
    for question in known[1]:
        answer = profile.answers.get(str(question.id), [])
        getattr(form, f"q_{question.id}").data = answer if question.multiple else (
            answer[0] if answer else None)
    return form


def _known(program, new_person: bool = False):
    """What the form needs from the database: (is_mentor, is_mentee), the program's
    questions, the mentor's capacity across courses."""
    roles = _person_roles(program, new_person)
    read_capacity = roles[0] and not new_person
    capacity = services.pool_capacity(g.enrolment.person) if read_capacity else \
        services.DEFAULT_POOL_CAPACITY
    return roles, services.questions_for(program), capacity


def _blank_form(program, roles, questions, capacity):
    """A first intake's form: the LMS profile's time zone beats the browser's."""
    form = _form(program, roles, questions, capacity)
    if g.enrolment.person.timezone:
        form.timezone.data = g.enrolment.person.timezone
    return form


def _form(program, roles, questions, capacity, **data):
    is_mentor, is_mentee = roles
    # formdata=None: a launch's POST (first_page) is not this form's sending.
    form = build_intake_form(program, is_mentor, is_mentee, questions, formdata=None, **data)
    if is_mentor:
        form.capacity.data = capacity
    return form


def _render(program, profile, form, blank: bool = False) -> str:
    """The intake page; a `blank` form (nothing saved, nothing sent) shares its fields."""
    lms_timezone = profile is None and bool(g.enrolment.person.timezone)
    shown = {"days": DAYS, "hours": GRID_HOURS, "slot_value": slot_value,
             "is_new": profile is None, "browser_timezone": not lms_timezone,
             "allow_volunteer": form.is_mentee and "volunteer" in program.mentor_sources}
    fields = _fields(program, form, shown) if blank else \
        Markup(render_template("intake/_fields.html", form=form, **shown))  # noqa: S704
    return render_template("intake/form.html", form=form, program=program, fields=fields,
                           **shown)


def _fields(program, form, shown: dict) -> Markup:
    """A blank form's fields, rendered once a minute (its local time) for everyone whose
    form is made of the same: the language, the program's topics and questions, mentor or
    mentee, the zone and capacity it starts with (a third of a launch's work otherwise)."""
    key = (str(get_locale()), zones.current_hour(),  # the zones' offsets
           datetime.now(UTC).replace(second=0, microsecond=0),  # the local time shown
           form.is_mentor, form.is_mentee, tuple(program.topics),
           tuple((q.id, q.prompt, q.multiple, tuple(q.options)) for q in form.questions),
           form.capacity.data, form.timezone.data,
           *(shown[name] for name in ("is_new", "browser_timezone", "allow_volunteer")))
    return BLANK_FIELDS.get(key, lambda: render_template("intake/_fields.html", form=form,
                                                         **shown))
