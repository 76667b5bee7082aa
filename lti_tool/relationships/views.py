"""The staff dashboard (overview, health, pairs filtered by health and mentor, with nudges),
a pair's staff page (dates, counts and health only: what the pair write stays theirs), the
participation export, health settings, and success stories (participants submit, staff
approve)."""

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, gettext

from lti_tool.courses.access import current_program, login_required, role_required
from lti_tool.courses.forms import ConfirmForm
from lti_tool.courses.models import Role
from lti_tool.courses.scoped import in_program
from lti_tool.extensions import db
from lti_tool.i18n import N_, translated
from lti_tool.pairs.models import Pair
from lti_tool.relationships import services, signals, stories
from lti_tool.relationships.forms import HealthSettingsForm, StoryForm
from lti_tool.security import audit
from lti_tool.surveys.services import checkin_trend
from lti_tool.surveys.services import settings_of as survey_settings
from lti_tool.web.forms import change
from lti_tool.web.sessions import TOKEN_PARAM
from lti_tool.web.submissions import idempotent
from lti_tool.web.tokens import session_token

blueprint = Blueprint("relationships", __name__)
staff_only = role_required(Role.STAFF)
ATTENTION_SHOWN = 50  # rows of the at-risk table; the CSV has them all
# The health statuses of relationships/signals.py for the catalogue; pages show them with
# `|translate` (the signals stay plain, English data).
STATUS_NAMES = (N_("healthy"), N_("needs attention"), N_("at risk"), N_("inactive"))
# What became of each planned meeting (signals.MeetingRecord.outcome), on a pair's staff page.
MEETING_OUTCOMES = {"held": N_("held"), "missed": N_("missed"), "cancelled": N_("cancelled"),
                    "upcoming": N_("upcoming"), "unconfirmed": N_("not confirmed yet")}


@blueprint.get("/dashboard")
@staff_only
def dashboard():
    program = current_program()
    services.settings_of(program)
    survey_settings(program)
    db.session.commit()  # settings rows made on first view (a commit later would expire all)
    health, mentor_id = _filters()
    overview = services.overview(program, shown=ATTENTION_SHOWN, health=health,
                                 mentor_id=mentor_id)
    trend = checkin_trend(program)[-services.WEEKS_SHOWN:]
    page = render_template(
        "relationships/dashboard.html", program=program, o=overview, confirm=ConfirmForm(),
        week_bars=[(format_date(week, "d MMM"), count)
                   for week, count in overview["held_per_week"]],
        trend_bars=[(format_date(week, "d MMM"), mean) for week, mean, _ in trend],
        statuses=signals.STATUSES, pending=stories.pending(program), shown=ATTENTION_SHOWN,
        in_words=_in_words, health=health, mentor_id=mentor_id, all_pairs=services.ALL,
        token=session_token(), token_param=TOKEN_PARAM)
    db.session.commit()  # store the pairs reassessed; after rendering, as a commit expires
    return page  # the pairs the page shows by name


def _filters() -> tuple[str | None, int | None]:
    """The dashboard's GET filters: a health status (or all pairs) and a mentor's id; values
    that are neither are ignored."""
    health = request.args.get("health") or None
    if health not in (*signals.STATUSES, services.ALL):
        health = None
    return health, request.args.get("mentor", type=int)


@blueprint.get("/dashboard/pairs/<int:pair_id>")
@staff_only
def staff_pair(pair_id: int):
    """One pair for staff: dates, counts, outcomes and health reasons; never their writing."""
    pair = in_program(Pair, pair_id)
    record = services.pair_record(pair)
    page = render_template("relationships/pair.html", pair=pair, record=record,
                           confirm=ConfirmForm(), in_words=_in_words,
                           outcomes=translated(MEETING_OUTCOMES))
    db.session.commit()  # the assessment's settings rows, if this made them
    return page


def _in_words(reasons: tuple[signals.Reason, ...]) -> str:
    """A pair's health reasons in the page's language."""
    return "; ".join(gettext(r.message, **dict(r.values)) for r in reasons)


@blueprint.get("/dashboard/participation.csv")
@staff_only
def participation_csv():
    program = current_program()
    body = services.participation_csv(program)
    audit.record("export.participation_csv", program=program, rows=body.count("\n") - 1)
    db.session.commit()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="participation-{program.key}.csv"',
        "Cache-Control": "private, no-store"})


@blueprint.post("/dashboard/pairs/<int:pair_id>/<any(nudge, checkin):kind>")
@staff_only
@idempotent
def nudge(pair_id: int, kind: str):
    pair = in_program(Pair, pair_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, gettext("The form has expired; reload the page and try again."))
    change(lambda: services.nudge(pair, kind), refusals=())  # nothing refuses a nudge
    names = {"mentee": pair.mentee.display_name, "mentor": pair.mentor.display_name}
    flash(gettext("%(mentee)s and %(mentor)s have been nudged.", **names) if kind == "nudge"
          else gettext("%(mentee)s and %(mentor)s have been asked for a check-in.", **names),
          "success")
    # Back where staff pressed it: the pair's own page, or the dashboard's list.
    back = url_for("relationships.staff_pair", pair_id=pair.id) \
        if request.form.get("back") == "pair" else url_for("relationships.dashboard")
    return redirect(back, code=303)


@blueprint.route("/dashboard/settings", methods=["GET", "POST"])
@staff_only
def health_settings():
    program = current_program()
    settings = services.settings_of(program)
    limits = services.thresholds_of(program)
    form = HealthSettingsForm(data={"auto_close": settings.auto_close,
                                    "close_after_warning_days":
                                        settings.close_after_warning_days,
                                    **{name: getattr(limits, name)
                                       for name in HealthSettingsForm.THRESHOLDS}})
    if form.validate_on_submit():
        settings.thresholds = {name: float(getattr(form, name).data) if name == "low_rating"
                               else getattr(form, name).data
                               for name in HealthSettingsForm.THRESHOLDS}
        settings.auto_close = bool(form.auto_close.data)
        settings.close_after_warning_days = form.close_after_warning_days.data
        db.session.commit()
        flash(gettext("Health settings saved."), "success")
        return redirect(url_for("relationships.dashboard"), code=303)
    db.session.commit()
    return render_template("relationships/settings.html", form=form), \
        400 if form.is_submitted() else 200


# --- Success stories -----------------------------------------------------------------------

@blueprint.route("/stories/new", methods=["GET", "POST"])
@role_required(Role.LEARNER, Role.MENTOR)
@idempotent
def new_story():
    program, form = current_program(), StoryForm()
    if not form.validate_on_submit():  # the fields show their own problems
        return render_template("relationships/story_form.html", form=form), \
            400 if form.is_submitted() else 200
    if problem := change(lambda: stories.submit(
            program, g.enrolment.person, g.enrolment.role, form.title.data, form.body.data,
            bool(form.show_name.data), bool(form.consent.data)), stories.StoryError).problem:
        flash(problem, "error")
        return render_template("relationships/story_form.html", form=form), 400
    flash(gettext("Thank you! Your story will appear once the program team has read it."),
          "success")
    return redirect(url_for("homes.home"), code=303)


@blueprint.post("/stories/<int:story_id>/<any(approve, decline):decision>")
@staff_only
def decide_story(story_id: int, decision: str):
    story = in_program(stories.Story, story_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, gettext("The form has expired; reload the page and try again."))
    stories.decide(story, approve=decision == "approve")
    db.session.commit()
    flash(gettext("Story published on the program's home page.") if decision == "approve"
          else gettext("Story declined."), "success")
    return redirect(url_for("relationships.dashboard"), code=303)


@blueprint.get("/stories")
@login_required
def published_stories():
    return render_template("relationships/stories.html",
                           stories=stories.published(current_program()))
