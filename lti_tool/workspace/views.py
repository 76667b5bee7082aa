"""The pair workspace pages: the hub at /pairs/<id>, the getting-started checklist, the
mentoring agreement and the goals. Only the pair's two members reach them; staff get 403 here
(what a pair writes is private) and see dates, counts and statuses elsewhere. Staff keep the
program's agreement template on a page of their own."""

from datetime import date, datetime

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lti_tool.courses.access import current_program, login_required, role_required
from lti_tool.courses.forms import ConfirmForm
from lti_tool.courses.models import Person, Program, Role
from lti_tool.courses.scoped import program_through
from lti_tool.i18n import translated
from lti_tool.intake import profiles
from lti_tool.meetings import localtime
from lti_tool.meetings import services as meetings
from lti_tool.meetings.models import MODALITY_LABELS
from lti_tool.pairs.members import member_pair, member_row
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc, utcnow
from lti_tool.web.forms import attempt, change, first_error, required
from lti_tool.web.submissions import idempotent
from lti_tool.workspace import nav, notices, services
from lti_tool.workspace.forms import (
    AcceptForm,
    EditGoalForm,
    GoalForm,
    MilestoneForm,
    TermsForm,
    TickForm,
)
from lti_tool.workspace.models import (
    CHANNELS,
    FREQUENCIES,
    GOAL_STATUSES,
    RESPONSE_TIMES,
    Goal,
    Milestone,
)

blueprint = Blueprint("workspace", __name__)
# Every page of a pair, whichever feature draws it, shows the same bar (workspace/_nav.html).
blueprint.add_app_template_global(nav.pair_nav, "workspace_nav")
# An ended pair's agreement reminders are cancelled with it (pairs/touched.py).
blueprint.record_once(lambda state: notices.subscribe())
PRIVACY = _l("Only you and {other} can read this. Program staff see only dates, counts and "
             "statuses.")


# --- Access and helpers ----------------------------------------------------------------------

# A goal in a URL belongs to the program of its pair, a milestone to its goal's (courses/scoped.py).
program_through(Goal, Goal.pair)
program_through(Milestone, Milestone.goal, Goal.pair)


def _back(endpoint: str, message: str, category: str = "success", **values):
    flash(message, category)
    return redirect(url_for(endpoint, **values), code=303)



def _attempt(action, endpoint: str, success: str, **values):
    """One change as one transaction; a refusal rolls back and says why."""
    if problem := change(action, services.WorkspaceError).problem:
        return _back(endpoint, problem, "error", **values)
    return _back(endpoint, success, **values)


def _zone(person: Person, program: Program) -> str:
    zone = meetings.zone_of(person, program)
    try:
        return localtime.validate_zone(zone)
    except localtime.TimeZoneError:
        return "UTC"


def _common(pair: Pair) -> dict:
    """What every workspace page shows: who is who, the privacy line, whether it is closed."""
    viewer = g.enrolment.person
    other = services.other_member(pair, viewer)
    zone = _zone(viewer, pair.program)

    def when(moment: datetime) -> str:
        local = localtime.to_local(as_utc(moment), zone)
        return f"{localtime.long_date(local)}, {local:%H:%M}"

    return {"pair": pair, "viewer": viewer, "other": other, "zone": zone, "when": when,
            "on": lambda day: localtime.long_date(day) if isinstance(day, date) else "",
            "privacy": PRIVACY.format(other=other.display_name),
            "closed": pair.status != "active"}


# --- The hub ---------------------------------------------------------------------------------

@blueprint.get("/pairs/<int:pair_id>")
@login_required
def hub(pair_id: int):
    pair = member_pair(pair_id)
    common = _common(pair)
    viewer, other = common["viewer"], common["other"]
    theirs = _zone(other, pair.program)
    upcoming = services.next_meeting(pair, viewer)
    latest = services.latest_version(pair)
    goals = services.goals_of(pair)
    return render_template(
        "workspace/hub.html", **common, theirs=theirs,
        their_now=localtime.zoned(utcnow(), theirs),
        next_meeting=upcoming and (upcoming[0], localtime.for_viewer(
            upcoming[1].start, common["zone"], theirs).text()),
        signed=services.in_force(pair), latest=latest,
        awaiting=services.awaiting(latest) if latest else None,
        my_progress=services.checklist_progress(pair, viewer),
        their_progress=services.checklist_progress(pair, other),
        active_goals=sum(goal.status == "active" for goal in goals),
        achieved_goals=sum(goal.status == "achieved" for goal in goals),
        modalities=translated(MODALITY_LABELS), **_introductions(pair, viewer))


def _introductions(pair: Pair, viewer: Person) -> dict:
    """Who the other member is, in the words the intake shared with this viewer: the
    mentee's own words for their mentor, the mentor's profile for their mentee."""
    return {"their_words": profiles.mentee_words(pair.program, pair.mentee)
            if viewer.id == pair.mentor_id else None,
            "their_profile": profiles.mentor_profile(pair.program, pair.mentor)
            if viewer.id == pair.mentee_id else None}


# --- Getting started -------------------------------------------------------------------------

@blueprint.get("/pairs/<int:pair_id>/getting-started")
@login_required
def getting_started(pair_id: int):
    pair = member_pair(pair_id)
    common = _common(pair)
    automatic = services.automatic_items(pair)
    mine = services.checklist(pair, common["viewer"], automatic)
    theirs = services.checklist(pair, common["other"], automatic)
    return render_template("workspace/getting_started.html", **common,
                           rows=list(zip(mine, theirs, strict=True)),
                           done=(sum(s.done for s in mine), len(mine)),
                           their_done=(sum(s.done for s in theirs), len(theirs)),
                           form=TickForm())


@blueprint.post("/pairs/<int:pair_id>/getting-started")
@login_required
def tick(pair_id: int):
    pair, form = member_pair(pair_id), TickForm()
    if (problem := first_error(form)) is not None:
        return _back("workspace.getting_started", problem, "error", pair_id=pair.id)
    done = form.done.data == "1"
    item = required(form.item.data)
    return _attempt(lambda: services.tick(pair, g.enrolment.person, item, done),
                    "workspace.getting_started", _("Ticked.") if done else _("Unticked."),
                    pair_id=pair.id)


# --- The agreement ---------------------------------------------------------------------------

@blueprint.get("/pairs/<int:pair_id>/agreement")
@login_required
def agreement(pair_id: int):
    pair = member_pair(pair_id)
    return _agreement_page(pair, TermsForm(data=services.draft_terms(pair).values()))


def _agreement_page(pair: Pair, form: TermsForm, accept_form: AcceptForm | None = None,
                    status: int = 200):
    common = _common(pair)
    _name_hopes(form, pair)
    versions = services.versions_of(pair)
    changes = {v.id: services.changed_terms(v, versions[i + 1] if i + 1 < len(versions)
                                            else None) for i, v in enumerate(versions)}
    latest = versions[0] if versions else None
    # The version the next edit builds on: after a refusal because someone proposed a newer
    # one, the page shows that version, and the typed text can then be sent on top of it.
    form.base.data = str(latest.number) if latest else ""
    accept_form = accept_form or AcceptForm()
    if latest:
        accept_form.additions.description = _(
            "Leave it empty to sign version %(number)s as it is. With something added, you "
            "accept it as version %(next)s, for %(name)s to accept in turn.",
            number=latest.number, next=latest.number + 1, name=common["other"].display_name)
    return render_template(
        "workspace/agreement.html", **common, form=form, accept_form=accept_form,
        versions=versions, latest=latest, signed=services.in_force(pair), changes=changes,
        awaiting=services.awaiting(latest) if latest else None,
        accepted_at=services.accepted_at, labels=_labels(pair),
        options={"frequency": translated(FREQUENCIES), "preferred_channel": translated(CHANNELS),
                 "fallback_channel": translated(CHANNELS),
                 "response_time": translated(RESPONSE_TIMES)},
        template_used=latest is None and services.template_of(pair.program) is not None,
    ), status


def _labels(pair: Pair) -> dict[str, str]:
    labels = translated(services.TERM_LABELS)
    labels["mentee_hopes"] = _("What %(name)s wants from the relationship",
                               name=pair.mentee.display_name)
    labels["mentor_hopes"] = _("What %(name)s wants from the relationship",
                               name=pair.mentor.display_name)
    return labels


def _name_hopes(form: TermsForm, pair: Pair) -> None:
    labels = _labels(pair)
    form.mentee_hopes.label.text = labels["mentee_hopes"]
    form.mentor_hopes.label.text = labels["mentor_hopes"]


@blueprint.post("/pairs/<int:pair_id>/agreement")
@login_required
@idempotent
def propose(pair_id: int):
    pair, form = member_pair(pair_id), TermsForm()
    _name_hopes(form, pair)
    version, problem = attempt(form, lambda: services.propose_agreement(
        pair, g.enrolment.person, form.terms(), form.base_number()), services.WorkspaceError)
    if problem:  # the page comes back with everything typed still there
        flash(problem, "error")
        return _agreement_page(pair, form, status=400)
    other = services.other_member(pair, g.enrolment.person)
    return _back("workspace.agreement",
                 _("Version %(number)s is proposed. %(name)s has been told and can accept it or "
                   "suggest changes.", number=version.number, name=other.display_name),
                 pair_id=pair.id)


@blueprint.post("/pairs/<int:pair_id>/agreement/accept")
@login_required
def accept(pair_id: int):
    pair, form = member_pair(pair_id), AcceptForm()
    if (problem := first_error(form)) is not None:
        return _back("workspace.agreement", problem, "error", pair_id=pair.id)
    number = required(form.version.data).strip()
    if not number.isdigit():
        return _back("workspace.agreement", _("Choose a version to accept."), "error",
                     pair_id=pair.id)
    additions = form.additions.data or ""
    version, problem = change(lambda: services.accept_agreement(
        pair, g.enrolment.person, int(number), additions), services.WorkspaceError)
    if problem and additions.strip():  # the page comes back with the additions still there
        flash(problem, "error")
        return _agreement_page(pair, TermsForm(data=services.draft_terms(pair).values()),
                               accept_form=form, status=400)
    if problem:
        return _back("workspace.agreement", problem, "error", pair_id=pair.id)
    if version.signed_at:
        return _back("workspace.agreement", _("Accepted: your agreement is signed."),
                     pair_id=pair.id)
    return _back("workspace.agreement",
                 _("Version %(number)s, with what you added, is proposed. %(name)s has been told "
                   "and can accept it.", number=version.number,
                   name=services.other_member(pair, g.enrolment.person).display_name),
                 pair_id=pair.id)


# --- Goals -----------------------------------------------------------------------------------

@blueprint.get("/pairs/<int:pair_id>/goals")
@login_required
def goals(pair_id: int):
    return _goals_page(member_pair(pair_id), GoalForm())


def _goals_page(pair: Pair, form: GoalForm, status: int = 200):
    return render_template(
        "workspace/goals.html", **_common(pair), goals=services.goals_of(pair), form=form,
        statuses=translated(GOAL_STATUSES), milestone_form=MilestoneForm(), confirm=ConfirmForm(),
        today=utcnow().date()), status


@blueprint.post("/pairs/<int:pair_id>/goals")
@login_required
@idempotent
def add_goal(pair_id: int):
    pair, form = member_pair(pair_id), GoalForm()
    if problem := attempt(form, lambda: services.add_goal(
            pair, g.enrolment.person, form.goal_input()), services.WorkspaceError).problem:
        flash(problem, "error")
        return _goals_page(pair, form, status=400)
    return _back("workspace.goals", _("Goal added."), pair_id=pair.id)


@blueprint.get("/goals/<int:goal_id>/edit")
@login_required
def edit_goal(goal_id: int):
    goal = member_row(Goal, goal_id)
    form = EditGoalForm(data={
        "title": goal.title, "description": goal.description,
        "success_measure": goal.success_measure, "target_date": goal.target_date,
        "milestones": "\n".join(m.title for m in goal.milestones),
        "progress": goal.progress, "status": goal.status})
    return _edit_page(goal, form)


def _edit_page(goal: Goal, form: EditGoalForm, status: int = 200):
    return render_template("workspace/goal_edit.html", **_common(goal.pair), goal=goal,
                           form=form), status


@blueprint.post("/goals/<int:goal_id>/edit")
@login_required
def save_goal(goal_id: int):
    goal, form = member_row(Goal, goal_id), EditGoalForm()
    if problem := attempt(form, lambda: services.edit_goal(
            goal, g.enrolment.person, form.goal_input(form.status.data)),
            services.WorkspaceError).problem:
        flash(problem, "error")
        return _edit_page(goal, form, status=400)
    return _back("workspace.goals", _("Goal saved."), pair_id=goal.pair_id)


@blueprint.post("/goals/<int:goal_id>/review")
@login_required
def review_goal(goal_id: int):
    goal = member_row(Goal, goal_id)
    if (problem := first_error(ConfirmForm())) is not None:
        return _back("workspace.goals", problem, "error", pair_id=goal.pair_id)
    return _attempt(lambda: services.mark_reviewed(goal, g.enrolment.person),
                    "workspace.goals", _("Marked as reviewed."), pair_id=goal.pair_id)


@blueprint.post("/milestones/<int:milestone_id>/done")
@login_required
def milestone_done(milestone_id: int):
    milestone = member_row(Milestone, milestone_id)
    pair, form = milestone.goal.pair, MilestoneForm()
    if (problem := first_error(form)) is not None:
        return _back("workspace.goals", problem, "error", pair_id=pair.id)
    done = form.done.data == "1"
    return _attempt(lambda: services.set_milestone(milestone, g.enrolment.person, done),
                    "workspace.goals", _("Milestone done.") if done else _("Milestone reopened."),
                    pair_id=pair.id)


# --- Staff: the program's agreement template --------------------------------------------------

@blueprint.get("/agreement-template")
@role_required(Role.STAFF)
def agreement_template():
    program = current_program()
    return _template_page(program, TermsForm(data=services.template_terms(program).values()))


def _template_page(program: Program, form: TermsForm, status: int = 200):
    form.mentee_hopes.label.text = _("A starting text for what the mentee wants (optional)")
    form.mentor_hopes.label.text = _("A starting text for what the mentor wants (optional)")
    return render_template("workspace/template.html", program=program, form=form,
                           template=services.template_of(program)), status


@blueprint.post("/agreement-template")
@role_required(Role.STAFF)
def save_template():
    program, form = current_program(), TermsForm()
    if problem := attempt(form, lambda: services.save_template(
            program, g.enrolment.person, form.terms()), services.WorkspaceError).problem:
        flash(problem, "error")
        return _template_page(program, form, status=400)
    return _back("workspace.agreement_template", _("Template saved. Pairs who have not "
                 "started their agreement will find it filled in."))
