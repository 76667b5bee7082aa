"""The pair's journal (recaps and action items) and message thread. Only the pair's two
members reach them; staff read only recaps a pair shared, on their own page."""

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext

from lti_tool.courses.access import current_program, login_required, role_required
from lti_tool.courses.forms import ConfirmForm
from lti_tool.courses.models import Role
from lti_tool.courses.scoped import program_through
from lti_tool.extensions import db
from lti_tool.i18n import translated
from lti_tool.journal import services
from lti_tool.journal.forms import (
    ActionForm,
    ActionStatusForm,
    EditRecapForm,
    EmailForm,
    MessageForm,
    RecapForm,
)
from lti_tool.journal.models import ACTION_STATUSES, ActionItem, Recap
from lti_tool.meetings import services as meetings
from lti_tool.meetings.forms import parse_instant
from lti_tool.meetings.localtime import for_viewer
from lti_tool.meetings.models import Meeting
from lti_tool.pairs.members import member_pair, member_row
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc, utcnow
from lti_tool.web.forms import attempt, first_error, required
from lti_tool.web.submissions import idempotent

blueprint = Blueprint("journal", __name__)
PRIVACY = lazy_gettext("Only you and {other} can read this. Program staff see only dates, "
                       "counts and statuses{shared}.")
# A recap or an action item in a URL belongs to the program of its pair (courses/scoped.py).
program_through(Recap, Recap.pair)
program_through(ActionItem, ActionItem.pair)


def _back(endpoint: str, pair: Pair, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for(endpoint, pair_id=pair.id), code=303)



def _people(pair: Pair):
    viewer = g.enrolment.person
    other = pair.mentor if viewer.id == pair.mentee_id else pair.mentee
    return viewer, other


# --- Recaps and action items --------------------------------------------------------------

@blueprint.get("/pairs/<int:pair_id>/journal")
@login_required
def pair_journal(pair_id: int):
    return _journal_page(member_pair(pair_id), RecapForm(), ActionForm())


def _journal_page(pair: Pair, recap_form: RecapForm, action_form: ActionForm,
                  status: int = 200):
    viewer, other = _people(pair)
    zone = meetings.zone_of(viewer, pair.program)
    owners = [(viewer.id, gettext("Me")), (other.id, other.display_name)]
    recap_form.action_owner.choices = action_form.owner.choices = owners
    _, past = meetings.upcoming_and_past(
        [m for m in meetings.meetings_of(viewer) if m.pair_id == pair.id])
    recap_form.meeting.choices = [("", gettext("Not a scheduled meeting"))] + [
        (f"{m.id}|{o.original_start.isoformat()}",
         for_viewer(o.start, zone).text().replace(" (your time)", ""))
        for m, o in past[:20]]
    return render_template(
        "journal/journal.html", pair=pair, viewer=viewer, other=other,
        recaps=services.recaps_of(pair), actions=services.actions_of(pair),
        statuses=translated(ACTION_STATUSES), recap_form=recap_form, action_form=action_form,
        edit_form=EditRecapForm(), status_form=ActionStatusForm(), today=utcnow().date(),
        privacy=PRIVACY.format(other=other.display_name,
                               shared=gettext(", and the recaps you choose to share")),
        when=lambda moment: for_viewer(as_utc(moment), zone).text(),
        closed=pair.status != "active"), status


@blueprint.post("/pairs/<int:pair_id>/journal/recaps")
@login_required
@idempotent
def write_recap(pair_id: int):
    pair, form = member_pair(pair_id), RecapForm()
    viewer, other = _people(pair)
    form.action_owner.choices = [(viewer.id, gettext("Me")), (other.id, other.display_name)]

    def write():
        meeting, occurrence = _meeting_choice(pair, form.meeting.data)
        actions = ([(form.action_title.data, form.action_owner.data, form.action_due.data)]
                   if (form.action_title.data or "").strip() else [])
        services.write_recap(pair, viewer, form.takeaways.data, form.notes.data or "",
                             meeting=meeting, occurrence=occurrence,
                             shared=bool(form.shared.data), actions=actions)

    if problem := attempt(form, write, services.JournalError).problem:
        flash(problem, "error")
        return _journal_page(pair, form, ActionForm(), status=400)
    return _back("journal.pair_journal", pair, gettext("Recap saved."))


def _meeting_choice(pair: Pair, value: str):
    if not value:
        return None, None
    meeting_id, _, start = value.partition("|")
    meeting = db.session.get(Meeting, int(meeting_id)) if meeting_id.isdigit() else None
    occurrence = parse_instant(start)
    if meeting is None or meeting.pair_id != pair.id or occurrence is None:
        raise services.JournalError(gettext("Choose one of your meetings."))
    return meeting, occurrence


@blueprint.post("/recaps/<int:recap_id>/edit")
@login_required
def edit_recap(recap_id: int):
    recap, form = member_row(Recap, recap_id), EditRecapForm()
    if problem := attempt(form, lambda: services.edit_recap(
            recap, g.enrolment.person, required(form.takeaways.data), form.notes.data or "",
            bool(form.shared.data)), services.JournalError).problem:
        return _back("journal.pair_journal", recap.pair, problem, "error")
    return _back("journal.pair_journal", recap.pair, gettext("Recap updated."))


@blueprint.post("/pairs/<int:pair_id>/journal/actions")
@login_required
@idempotent
def add_action(pair_id: int):
    pair, form = member_pair(pair_id), ActionForm()
    viewer, other = _people(pair)
    form.owner.choices = [(viewer.id, gettext("Me")), (other.id, other.display_name)]
    if problem := attempt(form, lambda: services.add_action(
            pair, viewer, required(form.title.data), form.owner.data, form.due_on.data),
            services.JournalError).problem:
        flash(problem, "error")
        return _journal_page(pair, RecapForm(), form, status=400)
    return _back("journal.pair_journal", pair, gettext("Action item added."))


@blueprint.post("/actions/<int:item_id>/status")
@login_required
def action_status(item_id: int):
    item = member_row(ActionItem, item_id)
    pair, form = item.pair, ActionStatusForm()
    if problem := attempt(form, lambda: services.update_action(
            item, g.enrolment.person, status=form.status.data), services.JournalError).problem:
        return _back("journal.pair_journal", pair, problem, "error")
    return _back("journal.pair_journal", pair,
                 gettext("Marked %(status)s.",
                         status=gettext(ACTION_STATUSES[item.status]).lower()))


# --- Messages --------------------------------------------------------------------------------

@blueprint.get("/pairs/<int:pair_id>/messages")
@login_required
def messages(pair_id: int):
    return _messages_page(member_pair(pair_id), MessageForm())


def _messages_page(pair: Pair, form: MessageForm, status: int = 200):
    viewer, other = _people(pair)
    zone = meetings.zone_of(viewer, pair.program)
    state = services.state_of(pair, viewer)
    unread_from = state.last_read_id
    thread = services.thread(pair)
    if status == 200:
        services.mark_read(pair, viewer)
    page = render_template(
        "journal/messages.html", pair=pair, viewer=viewer, other=other, thread=thread,
        unread_from=unread_from, form=form, email_form=EmailForm(), emailed=state.email,
        privacy=PRIVACY.format(other=other.display_name, shared=""),
        when=lambda moment: for_viewer(as_utc(moment), zone).text(),
        closed=pair.status != "active")
    # Committed once the page is rendered: a commit expires every row loaded, and the
    # template would read each message again, one query apiece.
    if status == 200:
        db.session.commit()
    return page, status


@blueprint.post("/pairs/<int:pair_id>/messages")
@login_required
@idempotent
def post_message(pair_id: int):
    pair, form = member_pair(pair_id), MessageForm()
    if problem := attempt(form, lambda: services.post_message(
            pair, g.enrolment.person, required(form.body.data)),
            services.JournalError).problem:
        flash(problem, "error")
        return _messages_page(pair, form, status=400)
    return redirect(url_for("journal.messages", pair_id=pair.id, _anchor="latest"), code=303)


@blueprint.post("/pairs/<int:pair_id>/messages/email")
@login_required
def message_email(pair_id: int):
    pair, form = member_pair(pair_id), EmailForm()
    if first_error(form) is None:
        try:
            services.set_email(pair, g.enrolment.person, form.email.data == "on")
        except services.JournalError as exc:
            db.session.rollback()
            return _back("journal.messages", pair, str(exc), "error")
        db.session.commit()
    return _back("journal.messages", pair, gettext("E-mail notifications are on.")
                 if form.email.data == "on" else gettext("E-mail notifications are off."))


# --- Staff -----------------------------------------------------------------------------------

@blueprint.get("/shared-recaps")
@role_required(Role.STAFF)
def shared_recaps():
    program = current_program()
    return render_template("journal/shared.html", recaps=services.shared_recaps(program),
                           confirm=ConfirmForm())
