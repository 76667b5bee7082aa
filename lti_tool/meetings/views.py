"""Meeting pages of a pair (only its two members reach them), the .ics downloads, the private
feed URL, and program events. Times are shown in the viewer's zone with the other person's
local time beside them."""

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from wtforms.validators import ValidationError

from lti_tool.courses.access import current_program, login_required, role_required
from lti_tool.courses.forms import ConfirmForm
from lti_tool.courses.models import Role
from lti_tool.courses.scoped import in_program, program_through
from lti_tool.extensions import db
from lti_tool.i18n import translated
from lti_tool.lti.registrations import base_url
from lti_tool.meetings import agenda, calendars, ics, localtime, overlap, services
from lti_tool.meetings.forms import (
    AttendanceForm,
    BookForm,
    CancelForm,
    EventForm,
    ProposeForm,
    RescheduleForm,
    RespondForm,
    RsvpForm,
    parse_instant,
)
from lti_tool.meetings.localtime import LocalTimeError, for_viewer, to_utc
from lti_tool.meetings.models import MODALITY_LABELS, OUTCOMES, Meeting, ProgramEvent
from lti_tool.pairs.members import member_pair, member_row
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc, utcnow
from lti_tool.web.forms import attempt, change, first_error, required
from lti_tool.web.submissions import idempotent

blueprint = Blueprint("meetings", __name__)
LISTED_TIMES = 24
# "Coming up" shows the next few (each with its move and cancel forms); a weekly series of a
# term would otherwise list a dozen alike. The rest are one link away, and in the calendar.
COMING_SHOWN = 5


# --- Access and helpers ----------------------------------------------------------------------

# A meeting in a URL belongs to the program of its pair (courses/scoped.py).
program_through(Meeting, Meeting.pair)


def _back(pair: Pair, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("meetings.pair_meetings", pair_id=pair.id), code=303)


def _attempt(pair: Pair, action, success: str):
    """One change as one transaction; a refusal rolls back and says why."""
    if problem := change(action, services.MeetingError).problem:
        return _back(pair, problem, "error")
    return _back(pair, success)



# --- The pair's meetings page ---------------------------------------------------------------

@blueprint.get("/pairs/<int:pair_id>/meetings")
@login_required
def pair_meetings(pair_id: int):
    pair = member_pair(pair_id)
    return _page(pair, ProposeForm(minutes=pair.program.meeting_minutes))


def _page(pair: Pair, propose_form: ProposeForm, status: int = 200):
    # First: a first visit makes (and commits) the viewer's feed, and a commit expires every
    # row loaded before it; the page's rows, loaded after, are read once.
    feed_url = _feed_url(g.enrolment.person)
    viewer = g.enrolment.person
    other = services.other_member(pair, viewer)
    program = pair.program
    mine, theirs = services.zone_of(viewer, program), services.zone_of(other, program)
    minutes = propose_form.minutes.data or program.meeting_minutes

    def when(moment):
        return for_viewer(as_utc(moment), mine, theirs).text()

    meetings = [m for m in services.meetings_of(viewer, ("proposed", "scheduled"))
                if m.pair_id == pair.id]
    upcoming, past = services.upcoming_and_past(meetings)
    coming_hidden = 0 if request.args.get("coming") == "all" else \
        max(0, len(upcoming) - COMING_SHOWN)
    answers = {m.id: services.attendance_by_occurrence(m) for m in meetings}
    closed = pair.status != "active"  # nothing to plan: the free times are not looked for
    candidates = [] if closed else services.common_times(pair, viewer, minutes)[:LISTED_TIMES]
    open_times = (services.open_times(pair, minutes)[:LISTED_TIMES]
                  if viewer.id == pair.mentee_id and not closed else [])
    return render_template(
        "meetings/pair.html", pair=pair, viewer=viewer, other=other, mine=mine, theirs=theirs,
        when=when, proposals=[m for m in meetings if m.status == "proposed"],
        upcoming=upcoming[:len(upcoming) - coming_hidden], coming_hidden=coming_hidden,
        past=past[:20],
        answers=answers, candidates=candidates, open_times=open_times,
        propose_form=propose_form, book_form=BookForm(minutes=minutes),
        respond_form=RespondForm(), reschedule_form=RescheduleForm(),
        cancel_form=CancelForm(), attendance_form=AttendanceForm(), confirm=ConfirmForm(),
        modalities=translated(MODALITY_LABELS), outcomes=translated(OUTCOMES),
        feed_url=feed_url, agenda=agenda.for_pair(pair), closed=closed,
        grid=_week_grid(pair, viewer, mine)), status


def _week_grid(pair: Pair, viewer, zone: str) -> dict[tuple[int, int], str]:
    """The coming week in the viewer's zone: (weekday, hour) -> "both", "you" or "them", for
    the hours either member marked free (each in their own zone, converted here)."""
    window = overlap.next_weeks(utcnow().replace(minute=0, second=0, microsecond=0), 1)
    marks: dict[tuple[int, int], set[str]] = {}
    for who, person in (("you", viewer), ("them", services.other_member(pair, viewer))):
        week = services.availability_of(person, pair.program)
        for free in overlap.free_intervals(week, window) if week else []:
            moment = free.start
            while moment < free.end:
                local = moment.astimezone(localtime.zone(zone))
                marks.setdefault((local.weekday(), local.hour), set()).add(who)
                moment += timedelta(minutes=30)
    return {key: "both" if len(found) == 2 else found.pop() for key, found in marks.items()}


def _feed_url(person) -> str:
    """The viewer's feed address, made (and committed) on their first visit so that the page
    can show it; later visits commit nothing, and what the request loaded stays loaded."""
    feed = calendars.existing_feed(person)
    if feed is None:
        feed = calendars.feed_of(person)
        db.session.commit()
    return base_url() + url_for("meetings.feed", token=feed.token)


@blueprint.post("/pairs/<int:pair_id>/meetings/propose")
@login_required
@idempotent
def propose(pair_id: int):
    pair, form = member_pair(pair_id), ProposeForm()
    problem = first_error(form)
    if problem is None:
        starts, recurrence, problem = _proposal(form, pair)
    if problem is None:
        problem = change(lambda: services.propose(pair, g.enrolment.person, starts,
                                                  _details(form, recurrence)),
                         services.MeetingError).problem
    if problem is not None:  # the page comes back with everything typed still there
        db.session.rollback()
        flash(problem, "error")
        return _page(pair, form, status=400)
    return _back(pair, _("Your proposal was sent; you will see the answer here."))


def _proposal(form: ProposeForm, pair: Pair):
    """(start times, recurrence, None) of a proposal, or ([], None, the problem)."""
    starts, problem = _proposed_starts(form, pair)
    if problem is not None:
        return [], None, problem
    try:
        return starts, form.recurrence(), None
    except ValidationError as exc:
        return [], None, str(exc)


def _proposed_starts(form: ProposeForm, pair: Pair):
    starts = [parse_instant(value) for value in form.slots.data or []]
    if None in starts:
        return [], _("One of the times offered was not understood; choose again.")
    if form.day.data and form.time.data:
        zone = services.zone_of(g.enrolment.person, pair.program)
        try:
            starts.append(to_utc(form.day.data, form.time.data, zone))
        except LocalTimeError as exc:
            return [], str(exc)
    elif form.day.data or form.time.data:
        return [], _("Give both a day and a time for another time.")
    if not starts:
        return [], _("Choose at least one time.")
    return starts, None


def _details(form, recurrence=None) -> services.Details:
    return services.Details(minutes=form.minutes.data, modality=form.modality.data,
                            link=form.link.data or "", location=form.location.data or "",
                            agenda=form.agenda.data or "", recurrence=recurrence)


@blueprint.post("/pairs/<int:pair_id>/meetings/book")
@login_required
@idempotent
def book(pair_id: int):
    pair, form = member_pair(pair_id), BookForm()
    if (problem := first_error(form)) is not None:
        return _back(pair, problem, "error")
    start = parse_instant(required(form.start.data))
    if start is None:
        return _back(pair, _("That time was not understood; choose again."), "error")
    return _attempt(pair, lambda: services.book(pair, g.enrolment.person, start,
                                                _details(form)),
                    _("Booked. You will both find it in your calendars."))


@blueprint.post("/meetings/<int:meeting_id>/respond")
@login_required
def respond(meeting_id: int):
    meeting, form = member_row(Meeting, meeting_id), RespondForm()
    if (problem := first_error(form)) is not None:
        return _back(meeting.pair, problem, "error")
    option = None if form.option.data == "decline" else _int(form.option.data)
    if form.option.data != "decline" and option is None:
        return _back(meeting.pair, _("Choose one of the times offered."), "error")
    return _attempt(meeting.pair,
                    lambda: services.respond(meeting, g.enrolment.person, option),
                    _("Declined.") if option is None else _("Accepted: the meeting is scheduled."))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@blueprint.post("/meetings/<int:meeting_id>/reschedule")
@login_required
@idempotent
def reschedule(meeting_id: int):
    meeting, form = member_row(Meeting, meeting_id), RescheduleForm()
    if (problem := first_error(form)) is not None:
        return _back(meeting.pair, problem, "error")
    zone = services.zone_of(g.enrolment.person, meeting.pair.program)
    try:
        start = to_utc(required(form.day.data), required(form.time.data), zone)
    except LocalTimeError as exc:
        return _back(meeting.pair, str(exc), "error")
    occurrence = parse_instant(form.occurrence.data) if form.occurrence.data else None
    return _attempt(meeting.pair, lambda: services.reschedule(
        meeting, g.enrolment.person, start, required(form.reason.data), occurrence),
        _("Moved. The other person has been told."))


@blueprint.post("/meetings/<int:meeting_id>/cancel")
@login_required
def cancel(meeting_id: int):
    meeting, form = member_row(Meeting, meeting_id), CancelForm()
    if (problem := first_error(form)) is not None:
        return _back(meeting.pair, problem, "error")
    occurrence = parse_instant(form.occurrence.data) if form.occurrence.data else None
    return _attempt(meeting.pair, lambda: services.cancel(
        meeting, g.enrolment.person, required(form.reason.data), occurrence),
        _("Cancelled. The other person has been told."))


@blueprint.post("/meetings/<int:meeting_id>/attendance")
@login_required
def attendance(meeting_id: int):
    meeting, form = member_row(Meeting, meeting_id), AttendanceForm()
    if (problem := first_error(form)) is not None:
        return _back(meeting.pair, problem, "error")
    occurrence = parse_instant(required(form.occurrence.data))
    if occurrence is None:
        return _back(meeting.pair, _("That meeting was not understood."), "error")
    return _attempt(meeting.pair, lambda: services.record_attendance(
        meeting, g.enrolment.person, occurrence, form.outcome.data), _("Thank you: noted."))


# --- Calendars -------------------------------------------------------------------------------

@blueprint.get("/meetings/<int:meeting_id>/meeting.ics")
@login_required
def meeting_ics(meeting_id: int):
    meeting = member_row(Meeting, meeting_id)
    if meeting.start_at is None:
        abort(404)
    return _calendar_response(ics.meeting_file(services.calendar_event(meeting)),
                              f"meeting-{meeting.id}.ics")


@blueprint.get("/calendar/<token>.ics")
def feed(token: str):
    """Read by calendar apps, without a session: the unguessable token is the key."""
    body = calendars.feed_calendar(token)
    if body is None:
        current_app.logger.info("calendar feed: unknown token")
        abort(404)
    return _calendar_response(body, "pairwise.ics", inline=True)


@blueprint.post("/calendar/reset")
@login_required
def reset_feed():
    ConfirmForm().validate_on_submit() or abort(400, _("The form has expired; reload the page."))
    calendars.feed_of(g.enrolment.person, reset=True)
    db.session.commit()
    flash(_("Your calendar address is new; the old one no longer works."), "success")
    pair_id = _int(request.form.get("pair_id"))
    if pair_id is not None:
        return redirect(url_for("meetings.pair_meetings", pair_id=pair_id), code=303)
    return redirect(url_for("homes.home"), code=303)


def _calendar_response(body: bytes, filename: str, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        "Cache-Control": "private, no-store"})


# --- Program events --------------------------------------------------------------------------

@blueprint.get("/events")
@login_required
def events():
    return _events_page(EventForm())


def _events_page(form: EventForm, status: int = 200):
    program = current_program()
    viewer = g.enrolment.person
    zone = services.zone_of(viewer, program)
    listed = calendars.upcoming_events(program)
    answers = {r.event_id: r.answer for e in listed for r in e.rsvps
               if r.person_id == viewer.id}
    return render_template("meetings/events.html", events=listed, form=form,
                           rsvp_form=RsvpForm(), confirm=ConfirmForm(), answers=answers,
                           is_staff=g.enrolment.role == Role.STAFF, zone=zone,
                           when=lambda moment: for_viewer(as_utc(moment), zone).text(),
                           ends=lambda e: as_utc(e.start_at) + timedelta(minutes=e.minutes),
                           ), status


@blueprint.post("/events")
@role_required(Role.STAFF)
@idempotent
def create_event():
    form, program = EventForm(), current_program()
    if problem := attempt(form, lambda: _create_event(form, program),
                          services.MeetingError).problem:
        flash(problem, "error")
        return _events_page(form, status=400)
    flash(_("The event is posted; participants have been told."), "success")
    return redirect(url_for("meetings.events"), code=303)


def _create_event(form: EventForm, program) -> ProgramEvent:
    by = g.enrolment.person
    return calendars.create_event(
        program, by, title=required(form.title.data), description=form.description.data or "",
        day=required(form.day.data), at=required(form.time.data),
        timezone=services.zone_of(by, program), minutes=required(form.minutes.data),
        modality=form.modality.data,
        location=form.location.data or "", link=form.link.data or "",
        jitsi_base=current_app.config["JITSI_BASE_URL"])


@blueprint.post("/events/<int:event_id>/rsvp")
@login_required
def rsvp(event_id: int):
    event, form = in_program(ProgramEvent, event_id), RsvpForm()
    return _event_change(form, lambda: calendars.rsvp(event, g.enrolment.person,
                                                      form.answer.data), _("Thank you."))


@blueprint.post("/events/<int:event_id>/cancel")
@role_required(Role.STAFF)
def cancel_event(event_id: int):
    event = in_program(ProgramEvent, event_id)
    return _event_change(ConfirmForm(), lambda: calendars.cancel_event(event),
                         _("The event is cancelled; those who planned to come are told."))


def _event_change(form, action, success: str):
    if problem := attempt(form, action, services.MeetingError).problem:
        flash(problem, "error")
    else:
        flash(success, "success")
    return redirect(url_for("meetings.events"), code=303)
