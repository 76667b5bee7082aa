"""Each pair's history read from the database in a fixed number of queries (whatever the
number of pairs), assessed by `signals`; the program overview for the staff dashboard; the
participation export; nudges; closing pairs that stayed inactive after a warning."""

import csv
import hashlib
import io
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lti_tool.courses.models import Enrolment, Person, Program, Role
from lti_tool.dbutil import insert_unless_present
from lti_tool.extensions import db
from lti_tool.journal.models import ActionItem, Message, Recap
from lti_tool.meetings.models import Attendance, Meeting
from lti_tool.meetings.recurrence import cached_rule_starts
from lti_tool.pairs import services as pairs
from lti_tool.pairs.models import Pair
from lti_tool.relationships import notices, signals
from lti_tool.relationships.models import HealthSettings, InactivityWarning, PairHealth
from lti_tool.surveys.models import SurveyResponse
from lti_tool.timeutil import as_utc, utcnow

WEEKS_SHOWN = 8


def settings_of(program: Program) -> HealthSettings:
    query = sa.select(HealthSettings).filter_by(program_id=program.id)
    row = db.session.scalars(query).first()
    if row is None:  # two first views at once must not collide
        insert_unless_present(HealthSettings, ["program_id"], {
            "program_id": program.id, "thresholds": {}, "auto_close": False,
            "close_after_warning_days": 14})
        row = db.session.scalars(query).one()
    return row


def thresholds_of(program: Program) -> signals.Thresholds:
    known = {f.name for f in fields(signals.Thresholds)}
    overrides = {k: v for k, v in (settings_of(program).thresholds or {}).items() if k in known}
    return signals.Thresholds(**overrides)


# --- Histories -------------------------------------------------------------------------------

@dataclass
class PairFacts:
    """What the dashboard and the export show for one pair besides its health."""

    pair: Pair
    history: signals.PairHistory
    health: signals.Health
    meetings_held: int
    last_met: date | None
    messages: int
    recaps: int
    next_meeting_end: datetime | None = None  # naive UTC: an outcome changes then


def pair_facts(program: Program, today: date | None = None, *, objects: bool = True,
               pair_ids: list[int] | None = None) -> list[PairFacts]:
    """Every active pair of the program (or those of `pair_ids`) with its history and
    health, in a fixed number of queries: each reads one kind of row for all those pairs
    (plain rows, no ORM objects, where there are many). With `objects=False` each
    `PairFacts.pair` is a plain row (id, mentee_id, mentor_id, started_at), for pages that
    show only a few pairs by name."""
    today = today or utcnow().date()
    where = [Pair.program_id == program.id, Pair.status == "active"]
    if pair_ids is not None:
        where.append(Pair.id.in_(pair_ids))
    active = list(db.session.scalars(
        sa.select(Pair).where(*where).options(joinedload(Pair.mentee), joinedload(Pair.mentor))
        .order_by(Pair.id)) if objects else db.session.execute(
        sa.select(Pair.id, Pair.mentee_id, Pair.mentor_id, Pair.started_at).where(*where)
        .order_by(Pair.id)))
    in_program = sa.and_(*where)
    records = _meeting_records(in_program, today)
    writing = _writing(in_program)
    actions = _actions(in_program, today)
    ratings = _ratings(in_program)
    extras = _workspace_facts(active)
    limits = thresholds_of(program)
    result = []
    for pair in active:
        side = {pair.mentee_id: "mentee", pair.mentor_id: "mentor"}
        activity: Counter = Counter()
        for counts in (writing["by_author"][pair.id], actions["by_creator"][pair.id],
                       records["proposers"][pair.id]):
            for person_id, count in counts.items():
                if person_id in side:
                    activity[side[person_id]] += count
        signed, goals = extras.get(pair.id, (None, 0))
        history = signals.PairHistory(
            today=today, matched_on=as_utc(pair.started_at).date(),
            meetings=records["records"][pair.id], contact_days=writing["days"][pair.id],
            agreement_signed_on=signed, goals=goals, overdue_actions=actions["overdue"][pair.id],
            ratings=ratings.get(pair.id, []), activity=dict(activity))
        held = [r.day for r in history.meetings if r.outcome == "held"]
        result.append(PairFacts(pair, history, signals.assess(history, limits), len(held),
                                max(held, default=None), writing["messages"][pair.id],
                                writing["recaps"][pair.id], records["next_end"].get(pair.id)))
    return result


def _meeting_records(in_program, today: date) -> dict:
    """Per pair: a MeetingRecord per planned occurrence, meetings proposed per person, and
    when the next meeting ends (naive UTC).

    This runs over every occurrence of every pair on each dashboard view, so it reads plain
    Core rows, folds the two members' answers in SQL, keys occurrences by naive UTC time
    (as SQLite returns them), and expands series from the cached rule without building
    Recurrence objects unless a series has exceptions."""
    attendance, meeting, pair = Attendance.__table__, Meeting.__table__, Pair.__table__
    held = sa.func.max(sa.case((attendance.c.outcome == "held", 1), else_=0))
    missed = sa.func.max(sa.case((attendance.c.outcome != "held", 1), else_=0))
    said = {(meeting_id, _naive(start)): "missed" if was_missed else "held" if was_held
            else "" for meeting_id, start, was_held, was_missed in db.session.connection().execute(
                sa.select(attendance.c.meeting_id, attendance.c.occurrence_start, held, missed)
                .select_from(attendance.join(meeting).join(pair)).where(in_program)
                .group_by(attendance.c.meeting_id, attendance.c.occurrence_start))}
    records: dict[int, list] = defaultdict(list)
    proposers: dict[int, Counter] = defaultdict(Counter)
    next_end: dict[int, datetime] = {}
    now = _naive(utcnow())
    rows = db.session.connection().execute(
        sa.select(meeting.c.id, meeting.c.pair_id, meeting.c.proposed_by_id, meeting.c.status,
                  meeting.c.start_at, meeting.c.minutes, meeting.c.timezone,
                  meeting.c.recurrence, meeting.c.sequence)
        .select_from(meeting.join(pair))
        .where(in_program, meeting.c.status.in_(("scheduled", "cancelled"))))
    for row in rows:
        proposers[row.pair_id][row.proposed_by_id] += 1
        mine = records[row.pair_id]
        if row.start_at is None:
            continue
        start = _naive(row.start_at)
        if row.status == "cancelled":
            mine.append(signals.MeetingRecord(start.date(), "cancelled"))
            continue
        length = timedelta(minutes=row.minutes)
        rule = row.recurrence
        if not rule:
            moved_to, cancelled, originals = {}, set(), [start]
        else:
            originals = [_naive(o) for o in _series(row.start_at, row.timezone, rule)]
            cancelled = {_naive(datetime.fromisoformat(v)) for v in rule.get("cancelled") or ()}
            moved_to = {_naive(datetime.fromisoformat(k)): _naive(datetime.fromisoformat(v))
                        for k, v in (rule.get("moved") or {}).items()}
        for original in originals:
            if original in cancelled:
                mine.append(signals.MeetingRecord(original.date(), "cancelled"))
                continue
            actual = moved_to.get(original, original)
            answer = said.get((row.id, original), "")
            outcome = "upcoming" if actual + length > now else answer or "unconfirmed"
            if outcome == "upcoming":
                end = actual + length
                next_end[row.pair_id] = min(end, next_end.get(row.pair_id, end))
            changes = (actual != original) if rule else row.sequence
            mine.append(signals.MeetingRecord(actual.date(), outcome, int(changes)))
    return {"records": records, "proposers": proposers, "next_end": next_end}


def _series(start: datetime, timezone: str, rule: dict) -> tuple[datetime, ...]:
    until = date.fromisoformat(rule["until"]) if rule.get("until") else None
    return cached_rule_starts(as_utc(start), timezone, rule["frequency"], rule.get("count"), until)


def _naive(moment: datetime) -> datetime:
    """UTC without tzinfo: SQLite hands these back, and they compare and hash fast."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _writing(in_program) -> dict:
    """Messages and recaps per pair and author, and the days of the latest of each."""
    by_author: dict[int, Counter] = defaultdict(Counter)
    days: dict[int, list[date]] = defaultdict(list)
    messages: Counter = Counter()
    recaps: Counter = Counter()
    for model, counter in ((Message, messages), (Recap, recaps)):
        rows = db.session.execute(
            sa.select(model.pair_id, model.author_id, sa.func.count(),
                      sa.func.max(model.created_at))
            .join(Pair, model.pair_id == Pair.id).where(in_program)
            .group_by(model.pair_id, model.author_id))
        for pair_id, author_id, count, last in rows:
            by_author[pair_id][author_id] += count
            counter[pair_id] += count
            days[pair_id].append(as_utc(last).date())
    return {"by_author": by_author, "days": days, "messages": messages, "recaps": recaps}


def _actions(in_program, today: date) -> dict:
    overdue: Counter = Counter()
    by_creator: dict[int, Counter] = defaultdict(Counter)
    rows = db.session.execute(
        sa.select(ActionItem.pair_id, ActionItem.created_by_id, ActionItem.status,
                  ActionItem.due_on).join(Pair, ActionItem.pair_id == Pair.id)
        .where(in_program))
    for pair_id, creator, status, due_on in rows:
        by_creator[pair_id][creator] += 1
        if status == "open" and due_on is not None and due_on < today:
            overdue[pair_id] += 1
    return {"overdue": overdue, "by_creator": by_creator}


def _ratings(in_program) -> dict[int, list[tuple[date, int]]]:
    """Check-in ratings per pair (never per person)."""
    ratings: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for pair_id, day, rating in db.session.execute(
            sa.select(SurveyResponse.pair_id, SurveyResponse.answered_on,
                      SurveyResponse.rating)
            .join(Pair, SurveyResponse.pair_id == Pair.id)
            .where(in_program, SurveyResponse.kind == "checkin",
                   SurveyResponse.rating.is_not(None))):
        ratings[pair_id].append((day, rating))
    return ratings


def _workspace_facts(active: list[Pair]) -> dict[int, tuple[date | None, int]]:
    """(agreement signed on, goals set) per pair, from the workspace when it is installed."""
    try:
        from lti_tool.workspace import services as workspace
    except ImportError:
        return {}
    bulk = getattr(workspace, "agreement_and_goals", None)
    if bulk is not None:
        return bulk([p.id for p in active])
    facts = {}
    for pair in active:
        signed = workspace.agreement_signed(pair)
        facts[pair.id] = (as_utc(signed).date() if signed else None,
                          len(workspace.goals_of(pair)))
    return facts


# --- Stored health ---------------------------------------------------------------------------

@dataclass
class PairStatus:
    """What the dashboard shows for one pair: its health in brief, and the days it met."""

    pair: Any  # a plain row (id, mentee_id, mentor_id); a Pair for the pairs shown by name
    status: str
    weight: int  # of all the reasons: the most serious first
    summary: str  # the reasons in English words (the export's)
    last_activity: date | None
    last_met: date | None
    held_days: list[str]  # ISO dates: compared and counted as text, parsed only when shown
    reasons: tuple[signals.Reason, ...] = ()  # read for the pairs shown by name only


def current_health(program: Program, today: date | None = None) -> list[PairStatus]:
    """Every active pair's health, from its stored assessment (PairHealth). Pairs whose
    assessment no longer holds (activity since, another day, a meeting ended since, other
    thresholds) are reassessed first, together, and stored: a dashboard view reads one row
    per pair, and rebuilds histories only for pairs where something happened."""
    now = utcnow()
    today = today or now.date()
    key = _limits_key(thresholds_of(program))
    rows = _stored(program)
    stale = [r.id for r in rows if not _holds(r, today, key, _naive(now))]
    if stale:
        _reassess(program, today, key, stale, everyone=len(stale) == len(rows))
        rows = _stored(program)
    return [PairStatus(row, row.status, row.weight, row.summary, row.last_activity,
                       row.last_met, row.held_days or []) for row in rows]


def _stored(program: Program) -> list:
    health = PairHealth.__table__
    return list(db.session.execute(
        sa.select(Pair.id, Pair.mentee_id, Pair.mentor_id, health.c.stale, health.c.stamp,
                  health.c.assessed_for, health.c.fresh_until, health.c.limits_key,
                  health.c.status, health.c.weight, health.c.summary, health.c.last_activity,
                  health.c.last_met, health.c.held_days)
        .select_from(sa.outerjoin(Pair.__table__, health, health.c.pair_id == Pair.id))
        .where(Pair.program_id == program.id, Pair.status == "active").order_by(Pair.id)))


def _holds(row, today: date, key: str, now: datetime) -> bool:
    return (row.stale is False and row.assessed_for == today and row.limits_key == key
            and (row.fresh_until is None or _naive(row.fresh_until) > now))


def _reassess(program: Program, today: date, key: str, pair_ids: list[int],
              everyone: bool) -> None:
    """Assess the pairs and store the results, unless a pair changed meanwhile (its stamp
    moved): then it stays stale, and the next view reassesses it."""
    insert_unless_present(PairHealth, ["pair_id"], [
        {"pair_id": pair_id, "program_id": program.id, "stale": True, "stamp": 0,
         "reasons": [], "held_days": []} for pair_id in pair_ids])
    stamps = dict(db.session.execute(sa.select(PairHealth.pair_id, PairHealth.stamp)
                                     .where(PairHealth.pair_id.in_(pair_ids))).all())
    facts = pair_facts(program, today, objects=False, pair_ids=None if everyone else pair_ids)
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time())
    health = PairHealth.__table__
    db.session.connection().execute(
        sa.update(health).where(health.c.pair_id == sa.bindparam("b_pair"),
                                health.c.stamp == sa.bindparam("b_stamp"))
        .values(stale=False, assessed_for=today, limits_key=key,
                fresh_until=sa.bindparam("b_until"), status=sa.bindparam("b_status"),
                weight=sa.bindparam("b_weight"), summary=sa.bindparam("b_summary"),
                reasons=sa.bindparam("b_reasons"), last_activity=sa.bindparam("b_last"),
                last_met=sa.bindparam("b_met"), held_days=sa.bindparam("b_held")),
        [{"b_pair": f.pair.id, "b_stamp": stamps[f.pair.id],
          "b_until": min(tomorrow, f.next_meeting_end or tomorrow).replace(tzinfo=UTC),
          "b_status": f.health.status, "b_weight": sum(r.weight for r in f.health.reasons),
          "b_summary": f.health.summary,
          "b_reasons": [[r.code, r.message, r.weight, dict(r.values)]
                        for r in f.health.reasons],
          "b_last": f.health.last_activity, "b_met": f.last_met,
          "b_held": [m.day.isoformat() for m in f.history.meetings if m.outcome == "held"]}
         for f in facts if f.pair.id in stamps])


def _limits_key(limits: signals.Thresholds) -> str:
    """Short fingerprint of the thresholds an assessment was made with."""
    text = json.dumps(asdict(limits), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- The program overview --------------------------------------------------------------------

ALL = "all"  # the health filter's value for every pair; none: those needing attention


def overview(program: Program, today: date | None = None, shown: int = 50,
             health: str | None = None, mentor_id: int | None = None) -> dict:
    """The dashboard's figures (of every pair), and the pairs listed: those needing attention,
    or those of the `health` status (`ALL`: any) and of the mentor; the first `shown` of them
    carry their Pair (with both people) for display, the others stay plain rows."""
    today = today or utcnow().date()
    pairs = current_health(program, today)
    learners = db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment).where(
        Enrolment.course_id == program.course_id, Enrolment.active.is_(True),
        Enrolment.role == Role.LEARNER))
    mentors = db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment).where(
        Enrolment.course_id == program.course_id, Enrolment.active.is_(True),
        Enrolment.role == Role.MENTOR))
    paired = len({p.pair.mentee_id for p in pairs})
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=n) for n in range(WEEKS_SHOWN - 1, -1, -1)]
    held_per_week: Counter = Counter()
    since = weeks[0].isoformat()
    for day, held in Counter(d for p in pairs for d in p.held_days if d >= since).items():
        held_day = date.fromisoformat(day)
        held_per_week[held_day - timedelta(days=held_day.weekday())] += held
    recent = today - timedelta(days=30)
    taking_part = sum(1 for p in pairs if p.last_met and p.last_met >= recent)
    statuses = Counter(p.status for p in pairs)
    return {
        "learners": learners or 0, "mentors": mentors or 0, "pairs": len(pairs),
        "matched_share": round(100 * paired / learners) if learners else 0,
        "held_per_week": [(week, held_per_week.get(week, 0)) for week in weeks],
        "health": {status: statuses.get(status, 0) for status in signals.STATUSES},
        "participation": round(100 * taking_part / len(pairs)) if pairs else 0,
        "attention": _with_people(sorted(
            _filtered(pairs, health, mentor_id),
            key=lambda p: (-signals.STATUSES.index(p.status), -p.weight)), shown),
        "mentor_choices": _mentors_of(pairs),
    }


def _filtered(pairs: list[PairStatus], health: str | None,
              mentor_id: int | None) -> list[PairStatus]:
    if health in signals.STATUSES:
        pairs = [p for p in pairs if p.status == health]
    elif health != ALL:
        pairs = [p for p in pairs if p.status != signals.HEALTHY]
    return [p for p in pairs if mentor_id is None or p.pair.mentor_id == mentor_id]


def _mentors_of(pairs: list[PairStatus]) -> list[tuple[int, str]]:
    """(id, name) of the mentors of these pairs, by name, for the dashboard's filter."""
    ids = {p.pair.mentor_id for p in pairs}
    if not ids:
        return []
    people = db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))
    return sorted(((p.id, p.display_name) for p in people), key=lambda m: m[1].casefold())


def _with_people(pairs: list[PairStatus], shown: int) -> list[PairStatus]:
    """Load the first `shown` pairs with both people and their reasons (for the page to put
    in its language) in two queries."""
    ids = [p.pair.id for p in pairs[:shown]]
    if not ids:
        return pairs
    loaded = {p.id: p for p in db.session.scalars(
        sa.select(Pair).where(Pair.id.in_(ids))
        .options(joinedload(Pair.mentee), joinedload(Pair.mentor)))}
    reasons = {pair_id: stored for pair_id, stored in db.session.execute(
        sa.select(PairHealth.pair_id, PairHealth.reasons).where(PairHealth.pair_id.in_(ids)))}
    for p in pairs[:shown]:
        p.reasons = tuple(signals.Reason(code, message, weight, tuple(sorted(values.items())))
                          for code, message, weight, values in reasons.get(p.pair.id) or ())
        p.pair = loaded[p.pair.id]
    return pairs


# --- One pair, for staff ------------------------------------------------------------------

def pair_record(pair: Pair, today: date | None = None) -> PairFacts | None:
    """An active pair's history and health (dates, counts, outcomes: never what the pair
    wrote), assessed now; None for a pair that ended."""
    if pair.status != "active":
        return None
    found = pair_facts(pair.program, today, pair_ids=[pair.id])
    return found[0] if found else None


# --- Export ----------------------------------------------------------------------------------

EXPORT_COLUMNS = ("lms_user_id", "name", "role", "pair_id", "partner_lms_user_id",
                  "matched_on", "meetings_held", "last_met", "messages", "recaps",
                  "goals", "agreement_signed_on", "health", "health_reasons")


def participation_csv(program: Program) -> str:
    """One row per member of each active pair, keyed by LMS user id (the id_token `sub`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for f in pair_facts(program):
        for person, partner, role in ((f.pair.mentee, f.pair.mentor, "mentee"),
                                      (f.pair.mentor, f.pair.mentee, "mentor")):
            writer.writerow([_cell(v) for v in (
                person.subject, person.display_name, role, f.pair.id, partner.subject,
                f.history.matched_on, f.meetings_held, f.last_met or "", f.messages,
                f.recaps, f.history.goals, f.history.agreement_signed_on or "",
                f.health.status, f.health.summary)])
    return out.getvalue()


def _cell(value) -> str:
    """Spreadsheets run cells starting with = + - @ (and tab / CR) as formulas: neutralise."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- Acting on a pair ----------------------------------------------------------------------

def nudge(pair: Pair, kind: str = "nudge") -> int:
    """Tell both members (at most once a day per kind: `notices.nudge`); returns how many were
    queued now."""
    return notices.nudge(pair, kind, utcnow().date())


def sweep_inactive(program: Program, today: date | None = None) -> dict[str, int]:
    """Assess every pair for the day (so the day's first dashboard view is quick); warn
    inactive pairs, and close those still inactive a while after the warning (when the
    program asks for it), telling the program's staff. The caller commits."""
    settings = settings_of(program)
    done = {"warned": 0, "closed": 0}
    today = today or utcnow().date()
    statuses = current_health(program, today)  # also stores today's health for the dashboard
    if not settings.auto_close:
        return done
    warnings = {w.pair_id: w for w in db.session.scalars(
        sa.select(InactivityWarning).join(Pair, InactivityWarning.pair_id == Pair.id)
        .where(Pair.program_id == program.id))}
    for status in statuses:
        warning = warnings.get(status.pair.id)
        if status.status != signals.INACTIVE:
            if warning is not None:
                db.session.delete(warning)  # activity resumed
            continue
        pair = db.session.get(Pair, status.pair.id)
        if warning is None:
            db.session.add(InactivityWarning(pair_id=pair.id))
            notices.inactivity_warning(
                pair, today, today + timedelta(days=settings.close_after_warning_days))
            done["warned"] += 1
        elif as_utc(warning.warned_at).date() + timedelta(
                days=settings.close_after_warning_days) <= today:
            pairs.end_pair(pair, "ended", "Closed after a long time without activity")
            notices.closed_for_inactivity(pair, as_utc(warning.warned_at).date())
            db.session.delete(warning)
            done["closed"] += 1
    return done
