"""Guide pages. A pair's two members see the program's guides in suggested order, choose one
as the agenda (for one of their scheduled meetings, if they like) and mark it covered; members
of an active pair and staff read a guide; staff edit, add, order and delete the program's
guides and see how many pairs chose or covered each (counts only, never who)."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from lti_tool.courses.access import current_program, login_required, role_required
from lti_tool.courses.forms import ConfirmForm
from lti_tool.courses.models import Role
from lti_tool.courses.scoped import in_program, program_through
from lti_tool.extensions import db
from lti_tool.guides import services
from lti_tool.guides.forms import ChooseForm, GuideForm, MoveForm
from lti_tool.guides.models import Guide, GuideUse
from lti_tool.guides.render import markdown_html
from lti_tool.meetings import services as meetings
from lti_tool.meetings.localtime import for_viewer
from lti_tool.meetings.models import Meeting
from lti_tool.pairs.members import member_pair, member_row
from lti_tool.pairs.models import Pair
from lti_tool.web.forms import attempt, change, first_error, required
from lti_tool.web.submissions import idempotent

blueprint = Blueprint("guides", __name__)


# --- Access and helpers ----------------------------------------------------------------------

# A guide's use in a URL belongs to the program of its pair (courses/scoped.py).
program_through(GuideUse, GuideUse.pair)


def _back(endpoint: str, message: str, category: str = "success", **values):
    flash(message, category)
    return redirect(url_for(endpoint, **values), code=303)


def _attempt(pair: Pair, form, action, success: str):
    """One change to a pair's agenda as one transaction; a refusal rolls back and says why."""
    if problem := attempt(form, action, services.GuideError).problem:
        return _back("guides.pair_guides", problem, "error", pair_id=pair.id)
    return _back("guides.pair_guides", success, pair_id=pair.id)


# --- A pair's guides -------------------------------------------------------------------------

@blueprint.get("/pairs/<int:pair_id>/guides")
@login_required
def pair_guides(pair_id: int):
    pair = member_pair(pair_id)
    viewer = g.enrolment.person
    guides = services.guides_for(pair.program)
    other = meetings.other_member(pair, viewer)
    zone = meetings.zone_of(viewer, pair.program)
    when: dict[int, str] = {}  # meeting id -> its next time, as the viewer reads it
    for meeting, occurrence in meetings.upcoming_and_past(_scheduled(pair, viewer))[0]:
        when.setdefault(meeting.id, for_viewer(occurrence.start, zone).text())
    uses = services.uses_of(pair)
    latest: dict[int, GuideUse] = {}  # guide id -> its open use, else its latest covered one
    for use in uses:
        latest.setdefault(use.guide_id, use)
    page = render_template(
        "guides/pair.html", pair=pair, viewer=viewer, other=other, guides=guides,
        uses=uses, latest=latest, when=when, choose_form=ChooseForm(), confirm=ConfirmForm(),
        meeting_options=[("", _("No particular meeting")), *when.items()],
        closed=pair.status != "active", week_now=services.pair_week(pair))
    # The program's first visit copied the library in. Committed after rendering: a commit
    # expires every row, and the page would read each guide again, one query per guide.
    db.session.commit()
    return page


def _scheduled(pair: Pair, viewer) -> list[Meeting]:
    return [m for m in meetings.meetings_of(viewer) if m.pair_id == pair.id]


@blueprint.post("/pairs/<int:pair_id>/guides/<int:guide_id>/choose")
@login_required
@idempotent
def choose(pair_id: int, guide_id: int):
    pair, guide, form = member_pair(pair_id), in_program(Guide, guide_id), ChooseForm()

    def action():
        meeting = None
        if form.meeting.data:
            meeting = db.session.get(Meeting, _int(form.meeting.data) or 0)
            if meeting is None:
                raise services.GuideError(_("Choose one of your own scheduled meetings."))
        services.choose(pair, g.enrolment.person, guide, meeting)

    return _attempt(pair, form, action, _("“%(title)s” is on your agenda.", title=guide.title))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@blueprint.post("/guide-uses/<int:use_id>/covered")
@login_required
def covered(use_id: int):
    use = member_row(GuideUse, use_id)
    return _attempt(use.pair, ConfirmForm(),
                    lambda: services.mark_covered(use, g.enrolment.person),
                    _("Marked “%(title)s” as covered.", title=use.guide.title))


@blueprint.post("/guide-uses/<int:use_id>/drop")
@login_required
def drop(use_id: int):
    use = member_row(GuideUse, use_id)
    pair, title = use.pair, use.guide.title
    return _attempt(pair, ConfirmForm(), lambda: services.drop(use, g.enrolment.person),
                    _("“%(title)s” is off your agenda.", title=title))


# --- Reading a guide -------------------------------------------------------------------------

@blueprint.get("/guides/<int:guide_id>")
@login_required
def read(guide_id: int):
    guide = in_program(Guide, guide_id)
    viewer, staff = g.enrolment.person, g.enrolment.role == Role.STAFF
    pairs = services.active_pairs_of(guide.program, viewer)
    if not staff and not pairs:
        abort(403)
    return render_template("guides/read.html", guide=guide, body=markdown_html(
        guide.body_markdown), staff=staff, pairs=pairs, viewer=viewer)


# --- Staff: the program's library ------------------------------------------------------------

@blueprint.get("/guides/manage")
@role_required(Role.STAFF)
def manage():
    program = current_program()
    guides = services.guides_for(program)
    db.session.commit()
    builtin_missing = services.missing_builtins(program)
    return render_template("guides/manage.html", program=program, guides=guides,
                           counts=services.use_counts(program), move_form=MoveForm(),
                           confirm=ConfirmForm(), builtin_missing=builtin_missing)


@blueprint.post("/guides/manage/restore")
@role_required(Role.STAFF)
def restore():
    if first_error(ConfirmForm()) is not None:
        abort(400)
    added = services.restore_builtins(current_program(), g.enrolment.person)
    db.session.commit()
    if not added:
        return _back("guides.manage", _("Every built-in guide is already in your program."))
    return _back("guides.manage", ngettext(
        "Restored %(num)s built-in guide at the end of the sequence.",
        "Restored %(num)s built-in guides at the end of the sequence.", len(added)))


@blueprint.post("/guides/<int:guide_id>/move")
@role_required(Role.STAFF)
@idempotent
def move(guide_id: int):
    guide, form = in_program(Guide, guide_id), MoveForm()
    if problem := attempt(form, lambda: services.move(
            guide, -1 if form.direction.data == "up" else 1), services.GuideError).problem:
        return _back("guides.manage", problem, "error")
    moved = (_("Moved “%(title)s” up.", title=guide.title) if form.direction.data == "up"
             else _("Moved “%(title)s” down.", title=guide.title))
    return _back("guides.manage", moved)


@blueprint.route("/guides/new", methods=["GET", "POST"])
@role_required(Role.STAFF)
@idempotent
def new():
    form = GuideForm()
    if request.method == "GET":
        return _edit_page(form, None)
    return _save(form, None)


@blueprint.route("/guides/<int:guide_id>/edit", methods=["GET", "POST"])
@role_required(Role.STAFF)
def edit(guide_id: int):
    guide = in_program(Guide, guide_id)
    if request.method == "GET":
        form = GuideForm(title=guide.title, week=guide.week, body=guide.body_markdown)
        return _edit_page(form, guide)
    return _save(GuideForm(), guide)


def _save(form: GuideForm, guide: Guide | None):
    """Save, or show a preview of what was typed; a refusal keeps the text (400)."""
    problem = first_error(form)
    if problem is None and request.form.get("action") == "preview":
        return _edit_page(form, guide, preview=True)
    if problem is None:
        saved, problem = change(lambda: _store(form, guide), services.GuideError)
    if problem is not None:
        db.session.rollback()
        flash(problem, "error")
        return _edit_page(form, guide, status=400)
    return _back("guides.manage", _("Saved “%(title)s”.", title=saved.title))


def _store(form: GuideForm, guide: Guide | None) -> Guide:
    title, body, week = required(form.title.data), required(form.body.data), form.week.data
    if guide is None:
        return services.add_guide(current_program(), g.enrolment.person, title, body, week)
    services.edit_guide(guide, g.enrolment.person, title, body, week)
    return guide


def _edit_page(form: GuideForm, guide: Guide | None, preview: bool = False, status: int = 200):
    typed = request.method == "POST"
    text = form.body.data if typed else (guide.body_markdown if guide else "")
    return render_template("guides/edit.html", form=form, guide=guide, preview=preview,
                           preview_html=markdown_html(text or "")), status


@blueprint.get("/guides/<int:guide_id>/delete")
@role_required(Role.STAFF)
def confirm_delete(guide_id: int):
    guide = in_program(Guide, guide_id)
    chosen, covered = services.use_counts(guide.program).get(guide.id, (0, 0))
    return render_template("guides/delete.html", guide=guide, chosen=chosen, covered=covered,
                           confirm=ConfirmForm())


@blueprint.post("/guides/<int:guide_id>/delete")
@role_required(Role.STAFF)
def delete(guide_id: int):
    guide = in_program(Guide, guide_id)
    if first_error(ConfirmForm()) is not None:
        abort(400)
    title = guide.title
    services.delete_guide(guide)
    db.session.commit()
    return _back("guides.manage", _("Deleted “%(title)s”.", title=title))
