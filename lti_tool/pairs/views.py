"""Staff pages of the matching workflow (propose, review, adjust, publish) and of mentors
(designate from the roster, approve volunteers, capacities). Every object reached through a
URL is checked to belong to the program this session was launched from."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from lti_tool.courses.access import current_program, login_required, role_required
from lti_tool.courses.forms import ConfirmForm
from lti_tool.courses.models import Enrolment, Person, Role
from lti_tool.courses.scoped import in_program, program_through
from lti_tool.courses.services import course_roster
from lti_tool.extensions import db
from lti_tool.intake import services as intake
from lti_tool.intake.models import Mentor, Question
from lti_tool.pairs import bulk, choice, figures, listing, services
from lti_tool.pairs.forms import (
    AnswerForm,
    AssignForm,
    AvoidForm,
    BulkEndForm,
    CapacityForm,
    EndPairForm,
    ExtendForm,
    LockAboveForm,
    PersonForm,
    ProposeForm,
    QuestionForm,
    RequestForm,
    SettingsForm,
)
from lti_tool.pairs.models import AvoidedPair, MatchRun, MentorRequest, Pair, Proposal
from lti_tool.security import audit
from lti_tool.web.choices import choices
from lti_tool.web.forms import change, required
from lti_tool.web.submissions import idempotent
from lti_tool.web.tokens import session_token

blueprint = Blueprint("pairs", __name__)
staff_only = role_required(Role.STAFF)
# A proposal in a URL belongs to the program of its matching run (courses/scoped.py).
program_through(Proposal, Proposal.run)


def _done(message: str, category: str = "success", endpoint: str = "pairs.matching"):
    flash(message, category)
    return redirect(url_for(endpoint), code=303)


def _attempt(action, success, endpoint: str = "pairs.matching"):
    """Run one service action as one transaction: commit and report `success(result)`, or
    roll back and say why it could not be done."""
    result, problem = change(action, services.MatchingError)
    if problem is not None:
        return _done(problem, "error", endpoint=endpoint)
    return _done(success(result), endpoint=endpoint)


def _valid(form) -> None:
    if not form.validate_on_submit():
        abort(400, _("The form was incomplete or has expired; reload the page and try again."))


def _field_errors(form):
    """A redirect back with the form's first field error, or None when the form is valid;
    an expired or forged form (CSRF) is still a 400."""
    if form.validate_on_submit():
        return None
    if "csrf_token" in form.errors:
        _valid(form)
    field, messages = next(iter(form.errors.items()))
    return _done(f"{getattr(form, field).label.text}: {messages[0]}", "error")


@blueprint.get("/matching")
@staff_only
def matching():
    program = current_program()
    everyone = _course_people(program)  # kept: rows below find their person without a query
    run = services.latest_run(program)
    cohort = services.gather(program, mentee_ids=())  # the figures and the mentors only
    assign_form = AssignForm()
    assign_form.mentor_id.choices = choices((str(m.id), m.name) for m in cohort.mentors)
    page = render_template(
        "pairs/matching.html", program=program, run=run, cohort=cohort,
        waiting=figures.waiting(program), people=_people_of(run) if run else {},
        propose_form=ProposeForm(policy=program.policy), assign_form=assign_form,
        confirm=ConfirmForm(), lock_form=LockAboveForm(), end_form=BulkEndForm(),
        history=services.history(program), avoided=services.avoided(program),
        avoid_form=_avoid_form(program), day=_day, course_people=everyone,
        **_tables(program, run))
    # Mentors found through LMS roles are remembered; after rendering, as a commit expires
    # every row the page would otherwise read again.
    db.session.commit()
    return page


def _tables(program, run: MatchRun | None) -> dict:
    """Both tables as the GET parameters ask (listing.py), and what the filter form offers."""
    query = listing.Query.from_args(request.args)
    context = listing.Context(program)
    active = listing.published(program)
    proposed = listing.select(listing.proposals(run), context, query, query.rpage) if run \
        else None
    return {"query": query, "token": session_token(), "groups": context.all_groups(),
            "health_options": context.health_options(),  # health filter (issue 16)
            "mentors": intake.mentors_of(program), "proposed": proposed,
            "published": listing.select(active, context, query, query.page),
            "paired": {p.mentee_id for p in active}}


def _day(value) -> str:
    """Every date on these pages in the locale's one medium format (Babel)."""
    return format_date(value, "medium") if value else "–"


def _avoid_form(program) -> AvoidForm:
    """Choices: the course's learners and the program's mentors."""
    form = AvoidForm()
    form.mentee_id.choices = choices((str(e.person_id), e.person.display_name)
                                     for e in intake.mentees_of(program))
    form.mentor_id.choices = choices((str(m.person_id), m.person.display_name)
                                     for m in intake.mentors_of(program))
    return form


def _people_of(run: MatchRun) -> dict[int, Person]:
    ids = {p.mentee_id for p in run.proposals} | {p.mentor_id for p in run.proposals}
    ids |= {int(k) for k in run.unmatched} | set(run.excluded)
    return {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))}


@blueprint.post("/matching/propose")
@staff_only
@idempotent
def propose():
    form = ProposeForm()
    _valid(form)
    return _attempt(
        lambda: services.propose(current_program(), g.enrolment.person, form.policy.data),
        lambda run: ngettext("Proposed %(num)d pair. Review it, then publish.",
                             "Proposed %(num)d pairs. Review them, then publish.",
                             len(run.proposals)))


@blueprint.post("/matching/<int:run_id>/rerun")
@staff_only
@idempotent
def rerun(run_id: int):
    _valid(ConfirmForm())
    run = in_program(MatchRun, run_id)
    return _attempt(
        lambda: services.rerun(run, g.enrolment.person),
        lambda new: _("Proposed again around the locked pairs: %(count)s pairs.",
                       count=len(new.proposals)))


@blueprint.post("/matching/proposals/<int:proposal_id>/lock")
@staff_only
@idempotent
def toggle_lock(proposal_id: int):
    _valid(ConfirmForm())
    proposal = in_program(Proposal, proposal_id)
    return _attempt(lambda: services.set_locked(proposal, not proposal.locked),
                    lambda _none: _("Pair locked.") if proposal.locked else _("Pair unlocked."))


@blueprint.post("/matching/<int:run_id>/assign")
@staff_only
def assign(run_id: int):
    run = in_program(MatchRun, run_id)
    form = AssignForm()
    _valid(form)  # services.assign checks that both people can be paired
    return _attempt(lambda: services.assign(run, required(form.mentee_id.data),
                                            form.mentor_id.data),
                    lambda _assigned: _("Pair assigned and locked."))


@blueprint.post("/matching/<int:run_id>/exclude")
@staff_only
def exclude(run_id: int):
    run = in_program(MatchRun, run_id)
    form = PersonForm()
    _valid(form)
    services.exclude(run, required(form.person_id.data))
    db.session.commit()
    return _done(_("Left out of this matching. Propose again to fill the gap."))


@blueprint.post("/matching/<int:run_id>/lock-above")
@staff_only
def lock_above(run_id: int):
    run = in_program(MatchRun, run_id)
    form = LockAboveForm()
    if (refused := _field_errors(form)) is not None:
        return refused
    score = required(form.score.data)
    return _attempt(lambda: bulk.lock_at_or_above(run, score),
                    lambda count: ngettext("Locked %(num)d pair scoring %(score)s or more.",
                                           "Locked %(num)d pairs scoring %(score)s or more.",
                                           count, score=score))


@blueprint.post("/matching/<int:run_id>/publish")
@staff_only
@idempotent
def publish(run_id: int):
    """All the run's proposals, or those ticked (`proposal_id`); asks first."""
    _valid(ConfirmForm())
    run = in_program(MatchRun, run_id)
    ticked = request.form.getlist("proposal_id", type=int)
    chosen = bulk.chosen_proposals(run, ticked) if ticked else list(run.proposals)
    if not _confirmed():
        told = bulk.told(chosen)
        return _ask(ngettext("Publish %(num)d pair", "Publish %(num)d pairs", told.pairs),
                    [_publish_sentence(told),
                     _("Participants see their match at once; a published pair can only be "
                       "ended, not taken back.")],
                    ngettext("Publish %(num)d pair", "Publish %(num)d pairs", told.pairs))

    def publish_and_record():
        pairs = bulk.publish_some(run, chosen)
        audit.record("matching.published", program=run.program, target=f"run:{run.id}",
                     pairs=len(pairs), policy=run.policy)
        return pairs

    return _attempt(
        publish_and_record,
        lambda pairs: ngettext("Published %(num)d pair: the mentor and mentee now see their match.",
                               "Published %(num)d pairs: mentors and mentees now see their match.",
                               len(pairs)))


def _publish_sentence(told: bulk.Told) -> str:
    people = ngettext("%(num)d person will be told", "%(num)d people will be told", told.people)
    return ngettext("Publish %(num)d pair: %(people)s.", "Publish %(num)d pairs: %(people)s.",
                    told.pairs, people=people)


def _status_label(form) -> str:
    return next(str(c.label) for c in form.status.choices if c.value == form.status.data)


def _confirmed() -> bool:
    return request.form.get("confirmed") == "yes"


def _ask(title: str, consequences: list[str], button: str, back: str = "pairs.matching"):
    """The confirmation step of an irreversible action: what will happen, and the same form
    again (its fields kept) with `confirmed=yes`. Nothing has changed yet."""
    kept = [(name, value) for name, values in request.form.lists() for value in values
            if name not in ("csrf_token", "submission_key", "confirmed")]
    action = url_for(request.endpoint or "pairs.matching", **(request.view_args or {}))
    return render_template("pairs/confirm.html", title=title, consequences=consequences,
                           button=button, action=action, fields=kept, back=url_for(back),
                           confirm=ConfirmForm())


@blueprint.post("/matching/pairs/end")
@staff_only
@idempotent
def end_selected():
    program, form = current_program(), BulkEndForm()
    _valid(form)
    chosen = bulk.chosen_pairs(program, request.form.getlist("pair_id", type=int))
    if not chosen:
        return _done(_("Tick the pairs to end first."), "error")
    if not _confirmed():
        told = bulk.told(chosen)
        people = ngettext("%(num)d person will be told", "%(num)d people will be told",
                          told.people)
        return _ask(ngettext("End %(num)d pair", "End %(num)d pairs", told.pairs),
                    [ngettext("End %(num)d pair as “%(how)s”: %(people)s.",
                              "End %(num)d pairs as “%(how)s”: %(people)s.", told.pairs,
                              how=_status_label(form),
                              people=people),
                     _("The mentees can be matched again; the pairs stay in the history.")],
                    ngettext("End %(num)d pair", "End %(num)d pairs", told.pairs))

    def end_and_record():
        count = bulk.end_all(chosen, form.status.data, form.reason.data or "")
        audit.record("pairs.ended", program=program, target="pairs:bulk", pairs=count,
                     status=form.status.data)
        return count

    return _attempt(end_and_record,
                    lambda count: ngettext("%(num)d pair has ended.", "%(num)d pairs have ended.",
                                           count))


@blueprint.get("/matching/pairs/<int:pair_id>")
@staff_only
def pair_detail(pair_id: int):
    """One published pair for staff (metadata only): extend it or end it."""
    pair = in_program(Pair, pair_id)
    return render_template("pairs/pair.html", pair=pair, extend_form=ExtendForm(),
                           end_form=EndPairForm(), day=_day)


@blueprint.get("/mentors")
@staff_only
def mentors():
    program = current_program()
    intake.refresh_mentors(program)
    db.session.commit()
    # Everyone with their person, kept until the page is made: the rows below find theirs
    # without a query.
    roster = course_roster(program.course)
    rows = intake.mentors_of(program)
    mentor_ids = {m.person_id for m in rows}
    candidates = [e for e in roster if e.active and e.person_id not in mentor_ids]
    search = request.args.get("q", "").strip()[:100]
    shown = [m for m in rows if search.casefold() in m.person.display_name.casefold()]
    health = listing.health_status(request.args.get("health"))
    if health:  # mentors with a pair in this state: whom to call first
        in_health = listing.mentors_in_health(program, health)
        shown = [m for m in shown if m.person_id in in_health]
    page = max(1, request.args.get("page", 1, type=int))
    pages = max(1, -(-len(shown) // listing.PAGE_SIZE))
    page = min(page, pages)
    start = (page - 1) * listing.PAGE_SIZE
    places = figures.places(rows)
    return render_template("pairs/mentors.html", program=program, mentors=rows,
                           shown=shown[start:start + listing.PAGE_SIZE], search=search,
                           health=health, health_options=listing.health_options(),
                           page=page, pages=pages, token=session_token(),
                           candidates=candidates, places=places,
                           places_left=sum(places[m.id].left_here for m in rows if m.approved),
                           form=PersonForm(),
                           confirm=ConfirmForm(), capacity_form=CapacityForm())


def _course_people(program) -> list[Person]:
    """Everyone of the program's course in one query, into the session's identity map."""
    return list(db.session.scalars(sa.select(Person).join(
        Enrolment, Enrolment.person_id == Person.id).where(
        Enrolment.course_id == program.course_id)))


@blueprint.post("/mentors/designate")
@staff_only
def designate():
    program = current_program()
    form = PersonForm()
    _valid(form)
    enrolment = db.session.scalars(sa.select(Enrolment).filter_by(
        course_id=program.course_id, person_id=form.person_id.data)).first()
    if enrolment is None:
        abort(404)
    intake.designate_mentor(program, enrolment.person)
    db.session.commit()
    return _done(_("%(name)s is now a mentor.", name=enrolment.person.display_name),
                 endpoint="pairs.mentors")


@blueprint.post("/mentors/<int:mentor_id>/approve")
@staff_only
@idempotent
def approve(mentor_id: int):
    """Approve, or withdraw an approval (asked first)."""
    _valid(ConfirmForm())
    mentor = in_program(Mentor, mentor_id)
    name = mentor.person.display_name
    if mentor.approved and not _confirmed():
        return _ask(_("Withdraw the approval of %(name)s", name=name),
                    [_("%(name)s will no longer be proposed as a mentor in this program.",
                       name=name), _pairs_stay(mentor)],
                    _("Withdraw approval"), back="pairs.mentors")
    return _attempt(lambda: services.set_approved(mentor, not mentor.approved),
                    lambda _none: _("%(name)s is approved.", name=name) if mentor.approved
                    else _("%(name)s is no longer approved.", name=name), "pairs.mentors")


def _pairs_stay(mentor: Mentor) -> str:
    taken = figures.places_of(mentor).taken_here
    return ngettext("Their %(num)d active pair here goes on; end it on the matching page if "
                    "needed.", "Their %(num)d active pairs here go on; end them on the matching "
                    "page if needed.", taken) if taken else _("They have no active pair here.")


@blueprint.post("/mentors/<int:mentor_id>/capacity")
@staff_only
def capacity(mentor_id: int):
    mentor = in_program(Mentor, mentor_id)
    form = CapacityForm()
    _valid(form)
    try:
        intake.set_capacity(mentor, required(form.capacity.data))
    except ValueError as exc:
        return _done(str(exc), "error", endpoint="pairs.mentors")
    db.session.commit()
    return _done(_("Capacity of %(name)s set to %(capacity)s.", name=mentor.person.display_name,
                   capacity=mentor.capacity),
                 endpoint="pairs.mentors")


@blueprint.post("/mentors/<int:mentor_id>/remove")
@staff_only
def remove(mentor_id: int):
    _valid(ConfirmForm())
    mentor = in_program(Mentor, mentor_id)
    name = mentor.person.display_name
    if not _confirmed():
        return _ask(_("Remove %(name)s as a mentor", name=name),
                    [_("%(name)s will no longer be a mentor in this program and will not be "
                       "proposed.", name=name), _pairs_stay(mentor)],
                    _("Remove mentor"), back="pairs.mentors")
    if mentor.source == "lms_role":
        mentor.approved = False  # kept, so that the LMS role does not bring them back
    else:
        db.session.delete(mentor)
    db.session.commit()
    return _done(_("%(name)s is no longer a mentor in this program.", name=name),
                 endpoint="pairs.mentors")


@blueprint.route("/matching/settings", methods=["GET", "POST"])
@staff_only
def settings():
    program = current_program()
    form = SettingsForm(data=services.settings_form_data(program) if request.method == "GET"
                        else None)
    if form.validate_on_submit():
        services.save_settings(program, form)
        db.session.commit()
        return _done(_("Matching settings saved."), endpoint="pairs.settings")
    status = 400 if request.method == "POST" else 200
    return render_template("pairs/settings.html", program=program, form=form,
                           questions=intake.questions_for(program),
                           question_form=QuestionForm(), confirm=ConfirmForm()), status


@blueprint.post("/matching/questions")
@staff_only
@idempotent
def add_question():
    program = current_program()
    form = QuestionForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("pairs.settings"), code=303)
    return _attempt(lambda: services.add_question(program, form.prompt.data,
                                                  form.option_list(), form.multiple.data),
                    lambda _question: _("Question added to the intake."), "pairs.settings")


@blueprint.post("/matching/questions/<int:question_id>/remove")
@staff_only
def remove_question(question_id: int):
    _valid(ConfirmForm())
    question = in_program(Question, question_id)
    db.session.delete(question)
    db.session.commit()
    return _done(_("Question removed."), endpoint="pairs.settings")


@blueprint.post("/pairs/<int:pair_id>/end")
@staff_only
def end_pair(pair_id: int):
    pair, form = in_program(Pair, pair_id), EndPairForm()
    _valid(form)
    names = f"{pair.mentee.display_name} – {pair.mentor.display_name}"
    if not _confirmed():
        return _ask(_("End the pair %(names)s", names=names),
                    [_("The pair ends as “%(how)s”; both are told, and %(mentee)s can be "
                       "matched again.", how=_status_label(form),
                       mentee=pair.mentee.display_name)]
                    + ([_("These two will not be proposed together again.")]
                       if form.avoid_again.data else []),
                    _("End the pair"))

    def end_and_record():
        services.end_pair(pair, form.status.data, form.reason.data or "",
                          bool(form.avoid_again.data))
        audit.record("pairs.ended", program=pair.program, target=f"pair:{pair.id}",
                     status=form.status.data, avoid_again=bool(form.avoid_again.data))

    return _attempt(end_and_record,
                    lambda _ended: _("The pair %(names)s has ended; the mentee can be "
                                     "matched again.", names=names))


@blueprint.post("/pairs/<int:pair_id>/extend")
@staff_only
def extend_pair(pair_id: int):
    pair, form = in_program(Pair, pair_id), ExtendForm()
    if (refused := _field_errors(form)) is not None:
        return refused
    until = required(form.until.data)
    return _attempt(lambda: services.extend_pair(pair, until, form.note.data or ""),
                    lambda _extended: _("The pair %(mentee)s – %(mentor)s now runs until %(date)s.",
                                        mentee=pair.mentee.display_name,
                                        mentor=pair.mentor.display_name,
                                        date=_day(until)))


@blueprint.post("/pairs/<int:pair_id>/rematch")
@staff_only
@idempotent
def rematch(pair_id: int):
    pair = in_program(Pair, pair_id)
    _valid(ConfirmForm())
    return _attempt(lambda: services.rematch(pair),
                    lambda new: _("%(mentee)s is paired with %(mentor)s again.",
                                  mentee=new.mentee.display_name, mentor=new.mentor.display_name))


@blueprint.post("/matching/avoid")
@staff_only
@idempotent
def avoid():
    program, form = current_program(), AvoidForm()
    if (refused := _field_errors(form)) is not None:
        return refused
    return _attempt(lambda: services.avoid(program, form.mentee_id.data, form.mentor_id.data,
                                           form.reason.data or ""),
                    lambda rule: _("%(mentee)s and %(mentor)s will not be proposed together.",
                                   mentee=rule.mentee.display_name,
                                   mentor=rule.mentor.display_name))


@blueprint.post("/matching/avoid/<int:rule_id>/remove")
@staff_only
def allow(rule_id: int):
    _valid(ConfirmForm())
    rule = in_program(AvoidedPair, rule_id)
    db.session.delete(rule)
    db.session.commit()
    return _done(_("The rule was removed."))


@blueprint.post("/requests")
@role_required(Role.LEARNER)
@idempotent
def ask_mentor():
    program = current_program()
    form = RequestForm()
    _valid(form)
    return _attempt(
        lambda: choice.ask(program, g.enrolment.person, form.mentor_id.data,
                           form.message.data or ""),
        lambda _sent: _("Your request was sent. You will see the answer here."), "homes.home")


@blueprint.post("/requests/<int:request_id>/answer")
@login_required
@idempotent
def answer_request(request_id: int):
    mentor_request = in_program(MentorRequest, request_id)
    form = AnswerForm()
    _valid(form)
    return _attempt(
        lambda: choice.answer(mentor_request, g.enrolment.person, form.accept.data == "yes"),
        lambda pair: _("You are now paired.") if pair
        else _("You declined; the mentee can ask someone else."), "homes.home")
