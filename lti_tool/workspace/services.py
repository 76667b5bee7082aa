"""The pair workspace's rules. The mentoring agreement moves by versions: one member proposes,
the other accepts, accepts adding what they want from the relationship, or proposes an edit
(either of the last two is a new version the first must accept), and it is signed when both
accepted the same, latest version; every version is kept. The members hear of each step by
e-mail (notices.py). The checklist mixes
manual ticks with items the pair's own progress ticks. Goals carry milestones and a status.

Only the pair's two members change anything, and only while the pair is active. Staff get
`pair_summary`: dates, counts and statuses, never what the pair wrote. Callers commit; a
refusal is a WorkspaceError and nothing is written."""

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.i18n import N_
from lti_tool.meetings import services as meetings
from lti_tool.meetings.models import Meeting
from lti_tool.pairs import members
from lti_tool.pairs.members import other_member
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc, utcnow
from lti_tool.workspace import checklist as content
from lti_tool.workspace import notices
from lti_tool.workspace.models import (
    CHANNELS,
    FREQUENCIES,
    GOAL_STATUSES,
    RESPONSE_TIMES,
    AgreementTemplate,
    AgreementVersion,
    ChecklistTick,
    Goal,
    Milestone,
)

LIMITS = {"terms": 2000, "title": 200, "description": 2000, "success_measure": 1000,
          "milestone": 200}
MINUTES = (15, 120)
MAX_MILESTONES = 12
MAX_GOALS = 20  # active goals: a plan with more is a wish list
MAX_TARGET_DAYS = 2 * 366

DEFAULT_CONFIDENTIALITY = (
    "What we talk about stays between the two of us unless we both agree to share it. "
    "Neither of us records a call or forwards the other's messages without asking first.")
DEFAULT_BOUNDARIES = (
    "We keep to the times we agree and say early when we cannot make a meeting. We keep to "
    "work and study matters unless we both choose otherwise, and either of us can pause or "
    "end the relationship, or talk to the program staff, at any time.")


class WorkspaceError(ValueError):
    """What someone asked for that cannot be done; the message says why."""


check_member = members.checker(
    WorkspaceError, N_("Only the two members of a pair change its workspace."),
    N_("This pair has ended: its workspace is kept, but closed for changes."))


def _text(value: str | None, label: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise WorkspaceError(gettext("%(label)s: write something here.", label=gettext(label)))
    if len(value) > limit:
        raise WorkspaceError(gettext("%(label)s: keep it under %(limit)s characters.",
                                     label=gettext(label), limit=format(limit, ",")))
    return value


# --- The agreement -------------------------------------------------------------------------

@dataclass(frozen=True)
class Terms:
    """What an agreement (or a template) says, as typed and, once cleaned, as stored."""

    frequency: str = "biweekly"
    minutes: int = 45
    preferred_channel: str = "video"
    fallback_channel: str = "phone"
    response_time: str = "two_days"
    confidentiality: str = DEFAULT_CONFIDENTIALITY
    boundaries: str = DEFAULT_BOUNDARIES
    mentee_hopes: str = ""
    mentor_hopes: str = ""

    @classmethod
    def of(cls, row) -> "Terms":
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    def values(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


TERM_LABELS = {
    "frequency": N_("How often you meet"), "minutes": N_("How long (minutes)"),
    "preferred_channel": N_("How you meet first of all"),
    "fallback_channel": N_("When that is not possible"), "response_time": N_("Answering messages"),
    "confidentiality": N_("Confidentiality"), "boundaries": N_("Boundaries"),
    "mentee_hopes": N_("What the mentee wants from the relationship"),
    "mentor_hopes": N_("What the mentor wants from the relationship"),
}
REQUIRED_TEXTS = ("confidentiality", "boundaries")
TEXTS = REQUIRED_TEXTS + ("mentee_hopes", "mentor_hopes")


def clean_terms(terms: Terms) -> Terms:
    """The terms with their texts trimmed; WorkspaceError says what is missing or wrong."""
    if terms.frequency not in FREQUENCIES:
        raise WorkspaceError(gettext("Choose how often you meet."))
    if not isinstance(terms.minutes, int) or not MINUTES[0] <= terms.minutes <= MINUTES[1]:
        raise WorkspaceError(gettext("Meetings last from %(min)s to %(max)s minutes.",
                                     min=MINUTES[0], max=MINUTES[1]))
    if {terms.preferred_channel, terms.fallback_channel} - set(CHANNELS):
        raise WorkspaceError(gettext("Choose how you meet from the list."))
    if terms.fallback_channel == terms.preferred_channel:
        raise WorkspaceError(gettext("Choose a fallback other than your first choice: it is for "
                                     "when that does not work."))
    if terms.response_time not in RESPONSE_TIMES:
        raise WorkspaceError(gettext("Choose how soon you answer messages."))
    return replace(terms, **{name: _text(getattr(terms, name), TERM_LABELS[name],
                                         LIMITS["terms"], required=name in REQUIRED_TEXTS)
                             for name in TEXTS})


def default_terms(program: Program) -> Terms:
    minutes = min(max(program.meeting_minutes or 45, MINUTES[0]), MINUTES[1])
    return Terms(minutes=minutes)


def template_of(program: Program) -> AgreementTemplate | None:
    return db.session.scalars(sa.select(AgreementTemplate).filter_by(
        program_id=program.id)).first()


def template_terms(program: Program) -> Terms:
    template = template_of(program)
    return Terms.of(template) if template else default_terms(program)


def save_template(program: Program, by: Person, terms: Terms) -> AgreementTemplate:
    """Staff's template for the program: each pair's first draft starts from it."""
    terms = clean_terms(terms)
    template = template_of(program)
    if template is None:
        template = AgreementTemplate(program_id=program.id)
        db.session.add(template)
    for name, value in terms.values().items():
        setattr(template, name, value)
    template.updated_by_id, template.updated_at = by.id, utcnow()
    db.session.flush()
    return template


def versions_of(pair: Pair) -> list[AgreementVersion]:
    """Every version, the latest first."""
    return list(db.session.scalars(sa.select(AgreementVersion).filter_by(pair_id=pair.id)
                                   .order_by(AgreementVersion.number.desc())))


def latest_version(pair: Pair) -> AgreementVersion | None:
    return db.session.scalars(sa.select(AgreementVersion).filter_by(pair_id=pair.id)
                              .order_by(AgreementVersion.number.desc()).limit(1)).first()


def in_force(pair: Pair) -> AgreementVersion | None:
    """The latest version both members accepted (an edit under discussion leaves it so)."""
    return db.session.scalars(
        sa.select(AgreementVersion)
        .where(AgreementVersion.pair_id == pair.id,
               AgreementVersion.mentee_accepted_at.is_not(None),
               AgreementVersion.mentor_accepted_at.is_not(None))
        .order_by(AgreementVersion.number.desc()).limit(1)).first()


def agreement_signed(pair: Pair) -> datetime | None:
    """When the agreement in force was signed (its second acceptance), or None."""
    version = in_force(pair)
    return version.signed_at if version else None


def accepted_at(version: AgreementVersion, person: Person) -> datetime | None:
    if person.id == version.pair.mentee_id:
        return version.mentee_accepted_at
    return version.mentor_accepted_at if person.id == version.pair.mentor_id else None


def awaiting(version: AgreementVersion) -> Person | None:
    """The member who has yet to accept the version (None once it is signed)."""
    if version.mentee_accepted_at is None:
        return version.pair.mentee
    return version.pair.mentor if version.mentor_accepted_at is None else None


def _accept(version: AgreementVersion, person: Person) -> None:
    if person.id == version.pair.mentee_id:
        version.mentee_accepted_at = utcnow()
    else:
        version.mentor_accepted_at = utcnow()


def draft_terms(pair: Pair) -> Terms:
    """What the form starts from: the latest version, else the program's template."""
    latest = latest_version(pair)
    return Terms.of(latest) if latest else template_terms(pair.program)


def changed_terms(version: AgreementVersion, previous: AgreementVersion | None) -> list[str]:
    """The names of the terms (keys of TERM_LABELS) a version changed from the one before."""
    if previous is None:
        return []
    old, new = Terms.of(previous).values(), Terms.of(version).values()
    return [name for name in new if new[name] != old[name]]


def propose_agreement(pair: Pair, by: Person, terms: Terms,
                      base: int | None) -> AgreementVersion:
    """A new version, accepted by its proposer, for the other member to accept. `base` is
    the number of the version the proposer edited (None for the first): an edit made while
    someone else proposed a newer version is refused rather than silently overwriting it."""
    check_member(pair, by)
    latest = latest_version(pair)
    if (latest.number if latest else None) != base:
        now = (gettext("version %(number)s is now the latest", number=latest.number) if latest
               else gettext("it has no version"))
        raise WorkspaceError(gettext("The agreement changed while you were editing: %(now)s. Read "
                                     "it, then make your changes again (what you typed is still "
                                     "below).", now=now))
    terms = clean_terms(terms)
    if latest is not None and Terms.of(latest) == terms:
        raise WorkspaceError(gettext("This is what version %(number)s already says. Change "
                                     "something, or accept it as it is.", number=latest.number))
    version = AgreementVersion(pair_id=pair.id, number=latest.number + 1 if latest else 1,
                               proposed_by_id=by.id, **terms.values())
    version.pair, version.proposed_by = pair, by
    _accept(version, by)
    db.session.add(version)
    try:
        db.session.flush()
    except IntegrityError as exc:  # both proposed at the same moment
        raise WorkspaceError(gettext("The other member proposed a version at the same moment. Read "
                             "it, then make your changes again.")) from exc
    notices.cancel_waiting(pair)  # the version it replaces no longer waits for anyone
    other = other_member(pair, by)
    notices.proposed(version, other, [TERM_LABELS[name]
                                      for name in changed_terms(version, latest)])
    notices.schedule_waiting(version, other)
    return version


def accept_agreement(pair: Pair, by: Person, number: int, additions: str = ""
                     ) -> AgreementVersion:
    """`by` accepts version `number`, which must still be the latest: it is signed. With
    `additions` (what `by` wants from the relationship, added to theirs) `by` accepts it as a
    new version instead, which the other member then accepts."""
    check_member(pair, by)
    latest = _acceptable(pair, by, number)
    if (additions or "").strip():
        return _accept_with_additions(pair, by, latest, additions)
    _accept(latest, by)
    notices.cancel_waiting(pair)
    notices.signed(latest, by, other_member(pair, by))
    return latest


def _acceptable(pair: Pair, by: Person, number: int) -> AgreementVersion:
    """The latest version, if it is `number` and waits for `by`; else WorkspaceError."""
    latest = latest_version(pair)
    if latest is None:
        raise WorkspaceError(gettext("There is no agreement to accept yet: propose one."))
    if number > latest.number:
        raise WorkspaceError(gettext("There is no version %(number)s: the latest is %(latest)s.",
                                     number=number, latest=latest.number))
    if number < latest.number:
        raise WorkspaceError(gettext(
            "Version %(number)s is no longer the latest: %(name)s proposed version %(latest)s "
            "since. Read it before you accept.", number=number,
            name=latest.proposed_by.display_name, latest=latest.number))
    if accepted_at(latest, by) is not None:
        raise WorkspaceError(gettext("You have both accepted this version already.")
                             if latest.signed_at
                             else gettext("You accepted this version already; %(name)s has yet "
                                          "to.", name=other_member(pair, by).display_name))
    return latest


def own_hopes(pair: Pair, person: Person) -> str:
    """The term that says what `person` wants from the relationship."""
    return "mentee_hopes" if person.id == pair.mentee_id else "mentor_hopes"


def _accept_with_additions(pair: Pair, by: Person, latest: AgreementVersion,
                           additions: str) -> AgreementVersion:
    """Version `latest` with `additions` after what it says `by` wants, proposed by `by`."""
    field = own_hopes(pair, by)
    added = _text(additions, TERM_LABELS[field], LIMITS["terms"])
    before = getattr(latest, field)
    terms = replace(Terms.of(latest), **{field: f"{before}\n\n{added}" if before else added})
    return propose_agreement(pair, by, terms, base=latest.number)


# --- The checklist ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemState:
    item: content.Item
    done: bool
    ticked_at: datetime | None = None


def automatic_items(pair: Pair) -> dict[str, bool]:
    scheduled = sa.select(Meeting.id).where(Meeting.pair_id == pair.id,
                                            Meeting.status == "scheduled")
    goal = sa.select(Goal.id).where(Goal.pair_id == pair.id, Goal.status != "dropped")
    return {
        content.AGREEMENT.key: in_force(pair) is not None,
        content.FIRST_MEETING.key: bool(db.session.scalar(sa.exists(scheduled).select())),
        content.FIRST_GOAL.key: bool(db.session.scalar(sa.exists(goal).select())),
    }


def _ticks(pair: Pair, person: Person) -> dict[str, ChecklistTick]:
    rows = db.session.scalars(sa.select(ChecklistTick).filter_by(pair_id=pair.id,
                                                                 person_id=person.id))
    return {row.item: row for row in rows}


def checklist(pair: Pair, person: Person, automatic: dict[str, bool] | None = None
              ) -> list[ItemState]:
    """The person's checklist: their own ticks, and the items the pair's progress ticks."""
    automatic = automatic_items(pair) if automatic is None else automatic
    ticks = _ticks(pair, person)
    return [ItemState(item, automatic[item.key]) if item.automatic
            else ItemState(item, item.key in ticks,
                           as_utc(ticks[item.key].checked_at) if item.key in ticks else None)
            for item in content.ITEMS]


def checklist_progress(pair: Pair, person: Person) -> tuple[int, int]:
    """(items done, items in all) for one member of the pair."""
    states = checklist(pair, person)
    return sum(state.done for state in states), len(states)


def tick(pair: Pair, person: Person, key: str, done: bool) -> None:
    """Tick (or untick) one of the manual items for `person`."""
    check_member(pair, person)
    if key not in content.MANUAL:
        raise WorkspaceError(gettext("That item ticks itself as you go; there is nothing to tick."))
    row = _ticks(pair, person).get(key)
    if done and row is None:
        db.session.add(ChecklistTick(pair_id=pair.id, person_id=person.id, item=key))
    elif not done and row is not None:
        db.session.delete(row)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same tick sent twice at once
        raise WorkspaceError(gettext("Ticked already.")) from exc


# --- Goals -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class GoalInput:
    title: str
    description: str = ""
    success_measure: str = ""
    target_date: date | None = None
    milestones: tuple[str, ...] = ()
    progress: int | None = None  # without milestones; None keeps what it was
    status: str = "active"


def milestone_lines(text: str | None) -> tuple[str, ...]:
    """Milestones typed one a line (list bullets dropped, blank lines and repeats ignored)."""
    lines = ((line.strip().lstrip("-*•").strip()) for line in (text or "").splitlines())
    return tuple(dict.fromkeys(line for line in lines if line))


def goals_of(pair: Pair) -> list[Goal]:
    """Active goals first (soonest target first), then achieved, then dropped."""
    order = sa.case({"active": 0, "achieved": 1}, value=Goal.status, else_=2)
    return list(db.session.scalars(
        sa.select(Goal).filter_by(pair_id=pair.id)
        .order_by(order, Goal.target_date.is_(None), Goal.target_date, Goal.id)))


def _check_target(target: date | None) -> None:
    if target is None:
        return
    today = utcnow().date()
    if target < today:
        raise WorkspaceError(gettext("The target date has passed: choose today or a later day."))
    if target > today + timedelta(days=MAX_TARGET_DAYS):
        raise WorkspaceError(gettext("Choose a target date within two years."))


def _cleaned(data: GoalInput) -> GoalInput:
    if data.status not in GOAL_STATUSES:
        raise WorkspaceError(gettext("Choose active, achieved or dropped."))
    if data.progress is not None and not 0 <= data.progress <= 100:
        raise WorkspaceError(gettext("Progress goes from 0 to 100 %."))
    if len(data.milestones) > MAX_MILESTONES:
        raise WorkspaceError(gettext("Up to %(count)s milestones: split a big goal in two.",
                                     count=MAX_MILESTONES))
    for line in data.milestones:
        _text(line, N_("Each milestone"), LIMITS["milestone"])
    return replace(
        data, title=_text(data.title, N_("The goal"), LIMITS["title"]),
        description=_text(data.description, N_("Details"), LIMITS["description"],
                          required=False),
        success_measure=_text(data.success_measure, N_("How you will know"), LIMITS[
            "success_measure"], required=False))


def _apply(goal: Goal, data: GoalInput, by: Person) -> None:
    goal.title, goal.description = data.title, data.description
    goal.success_measure, goal.target_date, goal.status = (data.success_measure,
                                                           data.target_date, data.status)
    kept = {m.title: m for m in goal.milestones}  # with their done flags
    goal.milestones = [kept.get(title) or Milestone(title=title) for title in data.milestones]
    for position, milestone in enumerate(goal.milestones):
        milestone.position = position
    if data.progress is not None:
        goal.progress = data.progress
    if data.status == "achieved" and not goal.milestones:
        goal.progress = 100
    goal.updated_by_id, goal.updated_at = by.id, utcnow()


def add_goal(pair: Pair, by: Person, data: GoalInput) -> Goal:
    check_member(pair, by)
    data = _cleaned(data)
    _check_target(data.target_date)
    active = db.session.scalar(sa.select(sa.func.count()).select_from(Goal).where(
        Goal.pair_id == pair.id, Goal.status == "active")) or 0
    if active >= MAX_GOALS:
        raise WorkspaceError(gettext("You have %(count)s active goals: mark some achieved or "
                                     "dropped first.", count=active))
    goal = Goal(pair_id=pair.id, created_by_id=by.id, progress=0, milestones=[])
    _apply(goal, data, by)
    db.session.add(goal)
    db.session.flush()
    return goal


def edit_goal(goal: Goal, by: Person, data: GoalInput) -> Goal:
    """Either member edits a goal; milestones kept by their text keep their done flag."""
    check_member(goal.pair, by)
    data = _cleaned(data)
    if data.target_date != goal.target_date:
        _check_target(data.target_date)
    _apply(goal, data, by)
    db.session.flush()
    return goal


def set_milestone(milestone: Milestone, by: Person, done: bool) -> Milestone:
    check_member(milestone.goal.pair, by)
    milestone.done, milestone.done_at = done, utcnow() if done else None
    milestone.goal.updated_by_id, milestone.goal.updated_at = by.id, utcnow()
    db.session.flush()
    return milestone


def mark_reviewed(goal: Goal, by: Person) -> Goal:
    """The goal was looked at together at the mid-point review."""
    check_member(goal.pair, by)
    goal.reviewed_at, goal.reviewed_by_id = utcnow(), by.id
    db.session.flush()
    return goal


# --- The hub ---------------------------------------------------------------------------------

def next_meeting(pair: Pair, viewer: Person):
    """(meeting, occurrence) of the pair's next scheduled meeting, or None."""
    mine = [m for m in meetings.meetings_of(viewer) if m.pair_id == pair.id]
    upcoming, _ = meetings.upcoming_and_past(mine)
    return upcoming[0] if upcoming else None


# --- For staff: metadata only ---------------------------------------------------------------

def agreement_and_goals(pair_ids: list[int]) -> dict[int, tuple[date | None, int]]:
    """Per pair: (the day the agreement in force was signed, or None; how many goals), in two
    queries for a whole program (the relationship-health dashboard reads this)."""
    facts: dict[int, tuple[date | None, int]] = {pair_id: (None, 0) for pair_id in pair_ids}
    if not pair_ids:
        return facts
    signed = db.session.execute(
        sa.select(AgreementVersion.pair_id, AgreementVersion.mentee_accepted_at,
                  AgreementVersion.mentor_accepted_at)
        .where(AgreementVersion.pair_id.in_(pair_ids),
               AgreementVersion.mentee_accepted_at.is_not(None),
               AgreementVersion.mentor_accepted_at.is_not(None))
        .order_by(AgreementVersion.number))
    days = {pair_id: max(as_utc(mentee), as_utc(mentor)).date()  # the latest wins
            for pair_id, mentee, mentor in signed}
    goals = dict(db.session.execute(
        sa.select(Goal.pair_id, sa.func.count()).where(Goal.pair_id.in_(pair_ids))
        .group_by(Goal.pair_id)).all())
    return {pair_id: (days.get(pair_id), goals.get(pair_id, 0)) for pair_id in facts}


def pair_summary(pair: Pair) -> dict:
    """Dates, counts and statuses of the pair's workspace, never what anyone wrote:
    {"agreement": {"signed", "signed_at", "version", "versions", "awaiting_acceptance"},
     "goals": {"total", "active", "achieved", "dropped", "reviewed", "last_updated_at"},
     "checklist": {"mentee": (done, of), "mentor": (done, of)}}."""
    versions, signed, goals = versions_of(pair), in_force(pair), goals_of(pair)
    return {
        "agreement": {
            "signed": signed is not None,
            "signed_at": signed.signed_at if signed else None,
            "version": signed.number if signed else None,
            "versions": len(versions),
            "awaiting_acceptance": bool(versions) and versions[0].signed_at is None,
        },
        "goals": {
            "total": len(goals),
            **{status: sum(g.status == status for g in goals) for status in GOAL_STATUSES},
            "reviewed": sum(g.reviewed_at is not None for g in goals),
            "last_updated_at": max((as_utc(g.updated_at) for g in goals), default=None),
        },
        "checklist": {"mentee": checklist_progress(pair, pair.mentee),
                      "mentor": checklist_progress(pair, pair.mentor)},
    }
