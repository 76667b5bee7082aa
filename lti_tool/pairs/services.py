"""The staff matching workflow: gather the cohort, propose matches, adjust them (lock,
assign by hand, exclude, re-run around locked pairs), and publish in one transaction.

The algorithms are pure (lti_tool/matching); this module turns intakes into their inputs and
their results into rows."""

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext

from lti_tool.courses.models import Enrolment, Person, Program
from lti_tool.extensions import db
from lti_tool.intake import services as intake
from lti_tool.intake.models import Mentor, Profile, Question
from lti_tool.matching import assignment, explain, profiles, report, scoring
from lti_tool.pairs import figures, messages
from lti_tool.pairs.models import AvoidedPair, MatchRun, Pair, Proposal
from lti_tool.timeutil import utcnow

POLICIES = ("optimal", "stable")


class MatchingError(ValueError):
    """Something staff asked for that cannot be done; the message says why."""


@dataclass
class Cohort:
    mentees: list[profiles.Person] = field(default_factory=list)
    mentors: list[profiles.Person] = field(default_factory=list)
    missing_intake: list[Person] = field(default_factory=list)
    already_paired: int = 0
    # People whose LMS groups are unknown (the platform never sent them): the group rule
    # treats them as in no group.
    groups_unknown: list[Person] = field(default_factory=list)


def reference_week(today: date | None = None) -> date:
    """The Monday of next week: overlaps are computed for real dates, so DST is exact."""
    today = today or utcnow().date()
    return today + timedelta(days=7 - today.weekday())


def weights_for(program: Program) -> profiles.Weights:
    return profiles.Weights(**program.weights) if program.weights else profiles.Weights()


def constraints_for(program: Program, avoid=frozenset()) -> profiles.Constraints:
    settings = dict(program.constraints or {})
    return profiles.Constraints(avoid=frozenset(avoid), **settings)


def as_person(profile: Profile, as_mentor: bool, capacity: int = 1,
              groups=()) -> profiles.Person:
    return profiles.Person(
        id=profile.person_id,
        timezone=profile.timezone,
        slots=frozenset((day, minute) for day, minute in profile.availability),
        topics=frozenset(profile.expertise if as_mentor else profile.topics),
        languages=frozenset(profile.languages),
        modality=profile.modality,
        answers={qid: frozenset(values) for qid, values in (profile.answers or {}).items()},
        groups=frozenset(groups or ()),
        capacity=capacity,
        name=profile.person.display_name,
    )


def active_pairs(program: Program | None = None, mentor_id: int | None = None) -> list[Pair]:
    query = sa.select(Pair).where(Pair.status == "active")
    if program is not None:
        query = query.where(Pair.program_id == program.id)
    if mentor_id is not None:
        query = query.where(Pair.mentor_id == mentor_id)
    return list(db.session.scalars(query))


def remaining_capacity(mentor: Mentor) -> int:
    """What the mentor can still take here: their program capacity less their pairs here,
    and their pool capacity (all courses of the platform) less all their pairs (figures.py)."""
    return figures.remaining_capacity(mentor)


def gather(program: Program, mentee_ids: Collection[int] | None = None) -> Cohort:
    """The program's unpaired mentees and approved mentors as matching sees them. With
    `mentee_ids`, only those mentees are built (the others are still counted as missing an
    intake or of unknown groups): a page that shows figures, or one mentee's
    recommendations, loads no one else's intake."""
    intake.refresh_mentors(program)
    profiles_by_person, with_intake = _intakes(program, mentee_ids)
    paired = figures.paired_mentee_ids(program)
    groups = figures.course_groups(program)
    cohort = Cohort(already_paired=len(paired))

    def add(people: list, person: Person, profile: Profile, as_mentor: bool, capacity=1):
        if groups.get(person.id) is None:
            cohort.groups_unknown.append(person)
        people.append(as_person(profile, as_mentor, capacity, groups.get(person.id)))

    for enrolment in intake.mentees_of(program):
        person = enrolment.person
        if person.id in paired:
            continue
        if person.id not in with_intake:
            cohort.missing_intake.append(person)
        elif mentee_ids is None or person.id in mentee_ids:
            add(cohort.mentees, person, profiles_by_person[person.id], as_mentor=False)
        elif groups.get(person.id) is None:
            cohort.groups_unknown.append(person)
    approved = intake.mentors_of(program, approved_only=True)
    places = figures.places(approved)  # one batch, the same figures the pages show
    for mentor in approved:
        profile = profiles_by_person.get(mentor.person_id)
        if profile is None or not profile.expertise:
            cohort.missing_intake.append(mentor.person)
        else:
            add(cohort.mentors, mentor.person, profile, True, places[mentor.id].left_here)
    return cohort


def _intakes(program: Program, mentee_ids: Collection[int] | None
             ) -> tuple[dict[int, Profile], set[int]]:
    """The intakes to build people from (every one, or those mentees' and the mentors'), and
    who has one at all."""
    profiles = sa.select(Profile).filter_by(program_id=program.id)
    if mentee_ids is not None:
        mentors = sa.select(Mentor.person_id).filter_by(program_id=program.id)
        profiles = profiles.where(sa.or_(Profile.person_id.in_(list(mentee_ids)),
                                         Profile.person_id.in_(mentors)))
    by_person = {p.person_id: p for p in db.session.scalars(profiles)}
    if mentee_ids is None:
        return by_person, set(by_person)
    return by_person, set(db.session.scalars(
        sa.select(Profile.person_id).filter_by(program_id=program.id)))


def latest_run(program: Program) -> MatchRun | None:
    return db.session.scalars(sa.select(MatchRun).where(
        MatchRun.program_id == program.id, MatchRun.status == "draft"
    ).order_by(MatchRun.id.desc())).first()


def propose(program: Program, staff: Person, policy: str = "optimal",
            locked: Sequence[tuple[int, int]] = (), excluded: Sequence[int] = (),
            manual: frozenset[tuple[int, int]] = frozenset()) -> MatchRun:
    """A new draft run (earlier drafts are discarded); the caller commits. `manual`: the
    locked pairs staff made by hand, which keep saying so."""
    if policy not in POLICIES:
        raise MatchingError(f"Unknown matching policy {policy!r}.")
    cohort = gather(program)
    if not cohort.mentees:
        raise MatchingError(gettext("No learner without a mentor has completed the intake yet."))
    if not cohort.mentors:
        raise MatchingError(gettext("No approved mentor with a completed intake yet: designate or "
                            "approve mentors first."))
    week = reference_week()
    table = scoring.score_all(cohort.mentees, cohort.mentors, weights_for(program),
                              constraints_for(program, avoid_set(program)), week)
    solve = assignment.optimal if policy == "optimal" else assignment.stable
    other = assignment.stable if policy == "optimal" else assignment.optimal
    ids = {p.id for p in cohort.mentees} | {p.id for p in cohort.mentors}
    locked = [pair for pair in locked if pair[0] in ids and pair[1] in ids]
    chosen = solve(table, locked=locked, excluded=excluded)
    alternative = other(table, locked=locked, excluded=excluded)
    for run in db.session.scalars(sa.select(MatchRun).filter_by(program_id=program.id,
                                                                status="draft")):
        run.status = "discarded"
    run = MatchRun(program=program, policy=policy, excluded=list(excluded),
                   created_by_id=staff.id,
                   unmatched={str(k): v for k, v in chosen.unmatched.items()},
                   report=_as_json(report.cohort_report(table, chosen)),
                   comparison=_as_json(assignment.compare(chosen, alternative)))
    for person in cohort.missing_intake:
        run.unmatched.setdefault(str(person.id), "has not completed the intake")
    db.session.add(run)
    locked_set = set(locked)
    slots = _distinct_slots(program, table, chosen.pairs, week)
    for mentee_id, mentor_id in chosen.pairs:
        run.proposals.append(_proposal(program, table, mentee_id, mentor_id, week,
                                       locked=(mentee_id, mentor_id) in locked_set,
                                       manual=(mentee_id, mentor_id) in manual,
                                       slot=slots[mentee_id, mentor_id]))
    db.session.flush()
    return run


def _proposal(program, table, mentee_id, mentor_id, week, locked=False,
              manual=False, slot=None) -> Proposal:
    """`slot`: from `_distinct_slots`; without it, the pair's best slot on its own."""
    row, column = table.row_of[mentee_id], table.column_of[mentor_id]
    mentee, mentor = table.mentees[row], table.mentors[column]
    score = table.pair(row, column)
    if slot is None:
        slot = explain.propose_slot(mentee, mentor, week, program.meeting_minutes)
    explanation = (explain.explain(score, mentee, mentor) if score.feasible else
                   "Assigned by staff despite: " + "; ".join(score.blockers))
    if slot is not None and slot.shared:
        explanation += SHARED_SLOT_NOTE
    return Proposal(
        mentee_id=mentee_id, mentor_id=mentor_id, score=round(score.total, 1),
        breakdown={k: round(v, 1) for k, v in score.breakdown.items()},
        explanation=explanation, slot=_slot_dict(slot), locked=locked, manual=manual)


SHARED_SLOT_NOTE = ("; suggested time also suggested for another of this mentor's mentees: "
                    "they have no other common time")


def _distinct_slots(program: Program, table, pairs, week: date,
                    run: MatchRun | None = None) -> dict:
    """Suggested slots for `pairs` (mentee id, mentor id) such that a mentor's mentees get
    different weekly times when they can (`explain.propose_slots`); the times of the mentors'
    active pairs, and of `run`'s other proposals, are already taken."""
    people = [(table.mentees[table.row_of[a]], table.mentors[table.column_of[b]])
              for a, b in pairs]
    mentor_ids = {b for _, b in pairs}
    mentee_ids = {a for a, _ in pairs}
    taken: dict[int, list] = {}
    fixed = [(p.mentor_id, p.slot) for p in db.session.scalars(sa.select(Pair).where(
        Pair.status == "active", Pair.mentor_id.in_(mentor_ids)))]
    if run is not None:
        fixed += [(p.mentor_id, p.slot) for p in run.proposals
                  if p.mentor_id in mentor_ids and p.mentee_id not in mentee_ids]
    for mentor_id, slot in fixed:
        if slot and slot.get("start_utc"):
            taken.setdefault(mentor_id, []).append(datetime.fromisoformat(slot["start_utc"]))
    return explain.propose_slots(people, week, program.meeting_minutes, taken)


def _slot_dict(slot) -> dict:
    if slot is None:
        return {}
    data = {"start_utc": slot.start_utc.isoformat(), "mentee_local": slot.mentee_local,
            "mentor_local": slot.mentor_local}
    if slot.shared:
        data["shared"] = True
    return data


def _as_json(result) -> dict:
    """A report or comparison dataclass as JSON-ready data for the run's row."""
    return _jsonable(asdict(result))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def rerun(run: MatchRun, staff: Person, policy: str | None = None) -> MatchRun:
    """Propose again around the locked pairs, keeping exclusions."""
    locked = [(p.mentee_id, p.mentor_id) for p in run.proposals if p.locked]
    manual = frozenset((p.mentee_id, p.mentor_id) for p in run.proposals if p.manual)
    return propose(run.program, staff, policy or run.policy, locked=locked,
                   excluded=list(run.excluded), manual=manual)


def set_locked(proposal: Proposal, locked: bool) -> None:
    proposal.locked = locked


def set_approved(mentor: Mentor, approved: bool) -> None:
    """Staff approve a mentor (volunteers wait for it) or withdraw the approval."""
    mentor.approved = approved


def exclude(run: MatchRun, person_id: int) -> None:
    """Leave a mentee or mentor out of this run (re-run to fill the gap)."""
    run.excluded = sorted({*run.excluded, person_id})
    for proposal in list(run.proposals):
        if person_id in (proposal.mentee_id, proposal.mentor_id):
            run.proposals.remove(proposal)
            run.unmatched = {**run.unmatched, str(proposal.mentee_id): "excluded by staff"
                             if proposal.mentee_id == person_id else "mentor excluded by staff"}


def assign(run: MatchRun, mentee_id: int, mentor_id: int) -> Proposal:
    """Staff pair a mentee with a mentor by hand; the pair is locked. Raises MatchingError."""
    cohort = gather(run.program)
    mentee = next((p for p in cohort.mentees if p.id == mentee_id), None)
    mentor = next((p for p in cohort.mentors if p.id == mentor_id), None)
    if mentee is None or mentor is None:
        raise MatchingError(gettext("Both people must be in the program with a completed intake."))
    load = sum(1 for p in run.proposals if p.mentor_id == mentor_id and p.mentee_id != mentee_id)
    if load >= mentor.capacity:
        raise MatchingError(gettext("%(name)s has no capacity left (taking %(capacity)s).",
                                    name=mentor.name, capacity=mentor.capacity))
    if mentee_id == mentor_id:
        raise MatchingError(gettext("A person cannot mentor themself."))
    if (mentee_id, mentor_id) in avoid_set(run.program):
        raise MatchingError(gettext("%(mentee)s and %(mentor)s are on the never-pair list: "
                                    "remove that rule first if they should be paired.",
                                    mentee=mentee.name, mentor=mentor.name))
    week = reference_week()
    table = scoring.score_all([mentee], [mentor], weights_for(run.program),
                              constraints_for(run.program), week)
    slot = _distinct_slots(run.program, table, [(mentee_id, mentor_id)], week, run)
    proposal = _proposal(run.program, table, mentee_id, mentor_id, week, locked=True,
                         manual=True, slot=slot[mentee_id, mentor_id])
    for existing in list(run.proposals):
        if existing.mentee_id == mentee_id:
            run.proposals.remove(existing)
    db.session.flush()
    run.proposals.append(proposal)
    run.unmatched = {k: v for k, v in run.unmatched.items() if k != str(mentee_id)}
    db.session.flush()
    return proposal


def publish(run: MatchRun) -> list[Pair]:
    """Turn every proposal into an active pair, all or nothing, and tell both members of each
    (`messages.match_published`); the caller commits."""
    if run.status != "draft":
        raise MatchingError(gettext("This proposal was already published or replaced."))
    if not run.proposals:
        raise MatchingError(gettext("There is no pair to publish."))
    paired = figures.paired_mentee_ids(run.program)
    loads: dict[int, int] = {}
    for proposal in run.proposals:
        loads[proposal.mentor_id] = loads.get(proposal.mentor_id, 0) + 1
    _check_capacity(run.program, loads)
    pairs = [Pair(program_id=run.program_id, run_id=run.id, mentee_id=p.mentee_id,
                  mentor_id=p.mentor_id, score=p.score, explanation=p.explanation, slot=p.slot,
                  ends_on=term_end(run.program))
             for p in run.proposals if p.mentee_id not in paired]
    db.session.add_all(pairs)
    run.status, run.published_at = "published", utcnow()
    db.session.flush()
    for pair in pairs:
        messages.match_published(pair)
    return pairs


def _check_capacity(program: Program, loads: dict[int, int]) -> None:
    mentors = {m.person_id: m for m in intake.mentors_of(program)}
    for person_id, load in loads.items():
        mentor = mentors.get(person_id)
        if mentor is None or not mentor.approved:
            raise MatchingError(gettext("A proposed mentor is no longer a mentor in this program."))
        if load > remaining_capacity(mentor):
            raise MatchingError(gettext(
                "%(name)s no longer has capacity for %(load)s mentees (another program may "
                "have taken some).", name=mentor.person.display_name, load=load))


# A person's active pairs with both members (the pages name the other one), built once: a
# participant's home and pages ask on every request.
_PAIRS_OF = (sa.select(Pair).where(
    Pair.program_id == sa.bindparam("program_id"), Pair.status == "active",
    sa.or_(Pair.mentee_id == sa.bindparam("person_id"),
           Pair.mentor_id == sa.bindparam("person_id")))
    .options(sa.orm.joinedload(Pair.mentee), sa.orm.joinedload(Pair.mentor)))


def pairs_of(person: Person, program: Program) -> list[Pair]:
    return list(db.session.scalars(_PAIRS_OF, {"program_id": program.id,
                                               "person_id": person.id}))


WEIGHT_FIELDS = ("topics", "languages", "availability", "modality", "questions")


def settings_form_data(program: Program) -> dict:
    """The program's matching settings as SettingsForm data."""
    weights, constraints = weights_for(program), constraints_for(program)
    data = {f"weight_{name}": getattr(weights, name) for name in WEIGHT_FIELDS}
    data.update(topics="\n".join(program.topics), mentor_sources=program.mentor_sources,
                default_capacity=program.default_capacity, max_capacity=program.max_capacity,
                require_shared_language=constraints.require_shared_language,
                min_overlap_hours=constraints.min_overlap_hours,
                group_rule=constraints.group_rule, policy=program.policy,
                mentee_choice=program.mentee_choice, request_days=program.request_days,
                term_weeks=program.term_weeks)
    return data


def save_settings(program: Program, form) -> None:
    program.topics = form.topic_list()
    program.mentor_sources = list(form.mentor_sources.data or [])
    program.default_capacity = form.default_capacity.data
    program.max_capacity = form.max_capacity.data
    program.weights = {name: float(getattr(form, f"weight_{name}").data)
                       for name in WEIGHT_FIELDS}
    program.constraints = {
        "require_shared_language": bool(form.require_shared_language.data),
        "min_overlap_hours": float(form.min_overlap_hours.data),
        "group_rule": form.group_rule.data,
    }
    program.policy = form.policy.data
    program.mentee_choice = bool(form.mentee_choice.data)
    program.request_days = form.request_days.data
    program.term_weeks = form.term_weeks.data


END_STATUSES = {"completed": "Completed", "ended": "Ended early"}
MAX_TERM_WEEKS = 104  # a relationship is extended at most two years ahead


def add_question(program: Program, prompt: str, options: list[str],
                 multiple: bool) -> Question:
    """A program-specific intake question, after the others; the caller commits."""
    question = Question(program_id=program.id, prompt=prompt.strip(), options=options,
                        multiple=bool(multiple), position=len(intake.questions_for(program)))
    db.session.add(question)
    db.session.flush()
    return question


def term_end(program: Program, start: date | None = None) -> date:
    return (start or utcnow().date()) + timedelta(weeks=program.term_weeks)


def end_pair(pair: Pair, status: str, reason: str, avoid_again: bool = False) -> None:
    """Close a relationship, keeping it as history; the mentee can be matched again and the
    mentor's place is freed. With `avoid_again`, the two are never proposed together again.
    Both members are told what happens next. The caller commits."""
    if pair.status != "active":
        raise MatchingError(gettext("This pair has already ended."))
    if status not in END_STATUSES:
        raise MatchingError(gettext("Choose whether the pair completed or ended early."))
    pair.status, pair.ended_at, pair.end_reason = status, utcnow(), reason.strip()[:1000]
    if avoid_again and (pair.mentee_id, pair.mentor_id) not in avoid_set(pair.program):
        db.session.add(AvoidedPair(program_id=pair.program_id, mentee_id=pair.mentee_id,
                                   mentor_id=pair.mentor_id,
                                   reason=f"Pair ended: {pair.end_reason}".rstrip(": ")))
    messages.pair_ended(pair, avoid_again)


def extend_pair(pair: Pair, until: date, note: str = "") -> None:
    """Move the date a relationship is due to complete further out, and tell both members;
    the caller commits."""
    if pair.status != "active":
        raise MatchingError(gettext("Only an active pair can be extended."))
    today = utcnow().date()
    current = pair.ends_on or today
    if until <= max(current, today):
        raise MatchingError(gettext("Choose a date after %(date)s.",
                                    date=max(current, today).isoformat()))
    if until > today + timedelta(weeks=MAX_TERM_WEEKS):
        raise MatchingError(gettext("A pair can be extended at most %(weeks)s weeks ahead.",
                                    weeks=MAX_TERM_WEEKS))
    pair.extensions = [*pair.extensions, {
        "from": current.isoformat(), "to": until.isoformat(),
        "at": utcnow().isoformat(timespec="seconds"), "note": note.strip()[:500]}]
    before, pair.ends_on = pair.ends_on, until
    messages.pair_extended(pair, before)


def rematch(previous: Pair) -> Pair:
    """The mentee of an ended pair asked for that mentor again: a new pair continuing the old
    one (the never-pair rule between them, if any, is lifted); both are told of the match
    again. The caller commits."""
    program = previous.program
    if previous.status == "active":
        raise MatchingError(gettext("This pair is still active."))
    if any(p.mentee_id == previous.mentee_id for p in active_pairs(program)):
        raise MatchingError(gettext("%(name)s already has a mentor: end that pair first.",
                                    name=previous.mentee.display_name))
    mentor = next((m for m in intake.mentors_of(program, approved_only=True)
                   if m.person_id == previous.mentor_id), None)
    if mentor is None:
        raise MatchingError(gettext("%(name)s is no longer a mentor here.",
                                    name=previous.mentor.display_name))
    if remaining_capacity(mentor) < 1:
        raise MatchingError(gettext("%(name)s has no place left.",
                                    name=previous.mentor.display_name))
    for rule in avoided(program):
        if (rule.mentee_id, rule.mentor_id) == (previous.mentee_id, previous.mentor_id):
            db.session.delete(rule)
    pair = Pair(program_id=program.id, mentee_id=previous.mentee_id,
                mentor_id=previous.mentor_id, score=previous.score,
                explanation=previous.explanation, slot=previous.slot,
                ends_on=term_end(program), previous_pair_id=previous.id)
    db.session.add(pair)
    db.session.flush()
    messages.match_published(pair)
    return pair


def avoided(program: Program) -> list[AvoidedPair]:
    return list(db.session.scalars(sa.select(AvoidedPair).filter_by(program_id=program.id)
                                   .order_by(AvoidedPair.id)))


def avoid_set(program: Program) -> frozenset[tuple[int, int]]:
    return frozenset((r.mentee_id, r.mentor_id) for r in avoided(program))


def avoid(program: Program, mentee_id: int, mentor_id: int, reason: str = "") -> AvoidedPair:
    """Never propose this mentee with this mentor (staff know something the scores don't)."""
    members = {e.person_id for e in db.session.scalars(
        sa.select(Enrolment).filter_by(course_id=program.course_id))}
    if mentee_id not in members or mentor_id not in members:
        raise MatchingError(gettext("Both people must be members of this course."))
    if mentee_id == mentor_id:
        raise MatchingError(gettext("Choose two different people."))
    if (mentee_id, mentor_id) in avoid_set(program):
        raise MatchingError(gettext("That rule already exists."))
    if any((p.mentee_id, p.mentor_id) == (mentee_id, mentor_id) for p in active_pairs(program)):
        raise MatchingError(gettext("They are paired now: end their pair first."))
    rule = AvoidedPair(program_id=program.id, mentee_id=mentee_id, mentor_id=mentor_id,
                       reason=reason.strip()[:500])
    db.session.add(rule)
    db.session.flush()
    return rule


def history(program: Program) -> list[Pair]:
    return list(db.session.scalars(sa.select(Pair).where(
        Pair.program_id == program.id, Pair.status != "active").order_by(Pair.ended_at.desc())))


# --- For staff's "What needs you" (homes; read-only) ----------------------------------------

def unmatched_learners(program: Program) -> list[Enrolment]:
    """The course's active learners without an active pair in the program, in two queries."""
    paired = figures.paired_mentee_ids(program)
    return [e for e in intake.mentees_of(program) if e.person_id not in paired]
