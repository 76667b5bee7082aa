"""Relationship health of one pair from its history: pure, no database, no Flask.

The warning signs the program managers watch for — frequently rescheduled or missed meetings,
no contact between sessions, goals not being set, no first meeting soon after matching, low or
falling check-in ratings, one person doing all the work — each become a `Reason` in plain
words with a weight. The status follows from the weights:

- inactive: nothing at all happened for `inactive_days` (the program may close such pairs);
- at risk: weights adding up to 3 or more (one severe sign, or several);
- needs attention: any weight below that;
- healthy: no sign.

Thresholds are per program (`Thresholds`, all with defaults), so a program with monthly
meetings can relax what "quiet" means.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from lti_tool.catalogue import N_

HEALTHY, ATTENTION, AT_RISK, INACTIVE = "healthy", "needs attention", "at risk", "inactive"
STATUSES = (HEALTHY, ATTENTION, AT_RISK, INACTIVE)
AT_RISK_WEIGHT = 3


@dataclass(frozen=True)
class Thresholds:
    window_days: int = 42  # rates are over the last six weeks
    missed_share: float = 0.34  # of the meetings due in the window
    changed_share: float = 0.5  # moved or cancelled, of the meetings planned in the window
    quiet_days: int = 21  # since the last meeting held
    silent_days: int = 14  # since the last message, recap or meeting
    first_meeting_days: int = 14  # after the match
    goals_after_days: int = 21  # after the match
    agreement_after_days: int = 21
    low_rating: float = 2.5  # mean of the recent check-ins, 1..5
    falling_by: float = 1.5  # latest rating this much below the earlier mean
    one_sided_share: float = 0.85  # of all activity by one member (with enough activity)
    one_sided_minimum: int = 6
    inactive_days: int = 45

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value < 0:
                raise ValueError(f"Threshold {name} must not be negative.")


@dataclass(frozen=True)
class MeetingRecord:
    """One planned occurrence: when, and what became of it."""

    day: date
    outcome: str  # "held" | "missed" | "cancelled" | "upcoming" | "unconfirmed"
    changes: int = 0  # how often it was moved


@dataclass(frozen=True)
class PairHistory:
    today: date
    matched_on: date
    meetings: Sequence[MeetingRecord] = ()
    contact_days: Sequence[date] = ()  # messages and recaps
    agreement_signed_on: date | None = None
    goals: int = 0
    overdue_actions: int = 0
    ratings: Sequence[tuple[date, int]] = ()  # check-in satisfaction 1..5
    activity: dict[str, int] = field(default_factory=dict)  # "mentee"/"mentor" -> count


@dataclass(frozen=True)
class Reason:
    code: str
    message: str  # English with %(name)s for the values: the catalogue's message id
    weight: int  # 1: worth a look; 2-3: serious
    values: tuple[tuple[str, Any], ...] = ()

    @property
    def words(self) -> str:
        """The reason in English (a page shows `message` in its own language)."""
        return self.message % dict(self.values)


def _reason(code: str, message: str, weight: int, **values: object) -> Reason:
    return Reason(code, message, weight, tuple(sorted(values.items())))


@dataclass(frozen=True)
class Health:
    status: str
    reasons: tuple[Reason, ...]
    last_activity: date | None

    @property
    def summary(self) -> str:
        return "; ".join(r.words for r in self.reasons) or "on track"


def assess(history: PairHistory, limits: Thresholds = Thresholds()) -> Health:
    age = (history.today - history.matched_on).days
    last = _last_activity(history)
    if age >= limits.inactive_days and (last is None or
                                         (history.today - last).days >= limits.inactive_days):
        reason = (_reason("inactive", N_("no activity since the match"), AT_RISK_WEIGHT)
                  if last is None else
                  _reason("inactive", N_("no activity for %(days)s days"), AT_RISK_WEIGHT,
                          days=(history.today - last).days))
        return Health(INACTIVE, (reason,), last)
    reasons = [found for check in CHECKS if (found := check(history, limits, age))]
    weight = sum(r.weight for r in reasons)
    status = HEALTHY if not reasons else AT_RISK if weight >= AT_RISK_WEIGHT else ATTENTION
    return Health(status, tuple(sorted(reasons, key=lambda r: -r.weight)), last)


def _last_activity(history: PairHistory) -> date | None:
    days = [m.day for m in history.meetings if m.outcome == "held"] + list(history.contact_days)
    return max((d for d in days if d <= history.today), default=None)


def _recent(history: PairHistory, limits: Thresholds) -> list[MeetingRecord]:
    start = history.today - timedelta(days=limits.window_days)
    return [m for m in history.meetings if start <= m.day <= history.today]


def _missed(history: PairHistory, limits: Thresholds, age: int) -> Reason | None:
    due = [m for m in _recent(history, limits) if m.outcome in ("held", "missed")]
    missed = sum(1 for m in due if m.outcome == "missed")
    if due and missed / len(due) >= limits.missed_share:
        return _reason("missed", N_("%(missed)s of the last %(due)s meetings missed"),
                       2 if missed >= 2 else 1, missed=missed, due=len(due))
    return None


def _changed(history: PairHistory, limits: Thresholds, age: int) -> Reason | None:
    planned = _recent(history, limits)
    changed = sum(1 for m in planned if m.outcome == "cancelled" or m.changes)
    if len(planned) >= 2 and changed / len(planned) >= limits.changed_share:
        return _reason("changed", N_("%(changed)s of %(planned)s recent meetings moved or "
                                     "cancelled"), 1, changed=changed, planned=len(planned))
    return None


def _first_meeting(history: PairHistory, limits: Thresholds, age: int) -> Reason | None:
    if age >= limits.first_meeting_days and not any(
            m.outcome == "held" for m in history.meetings):
        booked = any(m.outcome == "upcoming" for m in history.meetings)
        if booked:
            return _reason("no_first_meeting",
                           N_("no meeting held %(days)s days after the match"), 1, days=age)
        return _reason("no_first_meeting", N_("no meeting held %(days)s days after the match, "
                                              "and none booked"), 2, days=age)
    return None


def _quiet(history: PairHistory, limits: Thresholds, age: int) -> Reason | None:
    held = [m.day for m in history.meetings if m.outcome == "held" and m.day <= history.today]
    if held and (history.today - max(held)).days >= limits.quiet_days:
        gap = (history.today - max(held)).days
        return _reason("quiet", N_("last meeting %(days)s days ago"),
                       2 if gap >= 2 * limits.quiet_days else 1, days=gap)
    return None


def _silent(history: PairHistory, limits: Thresholds, age: int) -> Reason | None:
    last = _last_activity(history)
    if age >= limits.silent_days and (last is None or
                                       (history.today - last).days >= limits.silent_days):
        if last is None:
            return _reason("silent", N_("no message or recap between meetings"), 1)
        return _reason("silent", N_("no contact for %(days)s days"), 1,
                       days=(history.today - last).days)
    return None


def _agreement(history: PairHistory, limits: Thresholds, age: int) -> Reason | None:
    if history.agreement_signed_on is None and age >= limits.agreement_after_days:
        return _reason("no_agreement", N_("mentoring agreement not signed"), 1)
    return None


def _goals(history: PairHistory, limits: Thresholds, age: int) -> Reason | None:
    if history.goals == 0 and age >= limits.goals_after_days:
        return _reason("no_goals", N_("no goals set after %(weeks)s weeks"), 1, weeks=age // 7)
    return None


def _overdue(history: PairHistory, limits: Thresholds, age: int) -> Reason | None:
    if history.overdue_actions:
        count = history.overdue_actions
        return _reason("overdue", N_("1 action item overdue") if count == 1 else
                       N_("%(count)s action items overdue"), 2 if count >= 3 else 1,
                       count=count)
    return None


def _ratings(history: PairHistory, limits: Thresholds, age: int) -> Reason | None:
    ratings = [r for d, r in sorted(history.ratings) if d <= history.today]
    if not ratings:
        return None
    recent = ratings[-3:]
    mean = sum(recent) / len(recent)
    if mean <= limits.low_rating:
        return _reason("low_rating", N_("check-ins rate the relationship %(mean)s of 5"), 2,
                       mean=f"{mean:.1f}")
    if len(ratings) >= 3:
        earlier = sum(ratings[:-1]) / (len(ratings) - 1)
        if earlier - ratings[-1] >= limits.falling_by:
            return _reason("falling_rating", N_("latest check-in %(latest)s of 5, down from "
                                                "%(earlier)s"), 1,
                           latest=ratings[-1], earlier=f"{earlier:.1f}")
    return None


def _one_sided(history: PairHistory, limits: Thresholds, age: int) -> Reason | None:
    total = sum(history.activity.values())
    if total < limits.one_sided_minimum:
        return None
    side, count = max(history.activity.items(), key=lambda item: item[1])
    if count / total >= limits.one_sided_share:
        return _reason("one_sided", N_("the mentee does %(share)s%% of the writing and "
                                       "scheduling") if side == "mentee" else
                       N_("the mentor does %(share)s%% of the writing and scheduling"), 1,
                       share=round(100 * count / total))
    return None


CHECKS = (_missed, _changed, _first_meeting, _quiet, _silent, _agreement, _goals, _overdue,
          _ratings, _one_sided)
