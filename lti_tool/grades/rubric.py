"""The participation rubric: a pure function from what a person did (`ParticipationFacts`) to
a score, whether they completed the program, and the one-line comment the gradebook shows.
No database, no Flask: `GradingPolicy.rubric()` turns the stored policy into a `Rubric`.

Points: each kind of participation earns its points up to a cap; the total is capped at the
maximum (the line item's scoreMaximum). A fact that is `None` is not tracked in this
installation (its module is missing): it earns nothing and a completion criterion on it is
left out, so that a criterion nobody can meet does not keep everyone from completing.

Completion and the grade to pass: Moodle's activity completion sees only the grade, so with
`gate_pass` the score stays just below `pass_score` until the completion criteria are met and
is lifted to it once they are. Staff then set the activity's completion to "receive a passing
grade" with that grade to pass, and Moodle's completion flips exactly when Pairwise's does.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from lti_tool.catalogue import N_

# How far below the grade to pass an incomplete participant's score is held. Moodle keeps
# five decimals and passes a grade that is >= the grade to pass.
BELOW_PASS = 0.01
ROUND = 2

INITIALIZED, STARTED, IN_PROGRESS, COMPLETED = "Initialized", "Started", "InProgress", "Completed"


@dataclass(frozen=True)
class ParticipationFacts:
    """What one person did in the program; None: not tracked in this installation."""

    meetings_held: int = 0  # occurrences both members confirmed as held
    last_met: date | None = None
    recaps: int | None = None
    agreement_signed: bool | None = None
    goals_set: int | None = None
    actions_done: int | None = None
    surveys_answered: int | None = None
    reflection_submitted: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["last_met"] = self.last_met.isoformat() if self.last_met else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "ParticipationFacts":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in known}
        if values.get("last_met"):
            values["last_met"] = date.fromisoformat(values["last_met"])
        return cls(**values)


@dataclass(frozen=True)
class Rubric:
    maximum: float = 100
    points_per_meeting: float = 10
    meeting_cap: int = 6
    points_per_recap: float = 2
    recap_cap: int = 5
    agreement_points: float = 10
    points_per_goal: float = 2
    goal_cap: int = 3
    points_per_action: float = 1
    action_cap: int = 4
    points_per_survey: float = 0
    survey_cap: int = 0
    reflection_points: float = 10
    # Completion criteria.
    min_meetings: int = 3
    require_agreement: bool = True
    require_reflection: bool = False
    # The grade to pass staff set in the LMS; see the module docstring.
    pass_score: float = 50
    gate_pass: bool = True

    @property
    def possible(self) -> float:
        """The most the rubric's lines add up to (may be above or below the maximum)."""
        return (self.points_per_meeting * self.meeting_cap
                + self.points_per_recap * self.recap_cap + self.agreement_points
                + self.points_per_goal * self.goal_cap
                + self.points_per_action * self.action_cap
                + self.points_per_survey * self.survey_cap + self.reflection_points)


# The mentors' rubric (when a program grades mentors): meetings held with each mentee (a
# mentor's facts are per pair on average, see facts.py), recaps written and check-in surveys
# answered; no agreement, goal, action or reflection lines, and only meetings to complete.
# The maximum and the grade to pass are the mentees' (one grade item in the LMS).
MENTOR_FIELDS = ("points_per_meeting", "meeting_cap", "points_per_recap", "recap_cap",
                 "points_per_survey", "survey_cap", "min_meetings")
MENTOR_DEFAULTS = {"points_per_meeting": 10, "meeting_cap": 6, "points_per_recap": 4,
                   "recap_cap": 5, "points_per_survey": 4, "survey_cap": 5, "min_meetings": 3}
MENTOR_POINTS = ("points_per_meeting", "points_per_recap", "points_per_survey")


def mentor_defaults(maximum: float) -> dict[str, float]:
    """The default mentors' rubric adds up to 100: its points scaled to the maximum."""
    scale = (maximum or 100) / 100
    return {name: round(value * scale, ROUND) if name in MENTOR_POINTS else value
            for name, value in MENTOR_DEFAULTS.items()}


def for_mentors(mentees: Rubric, values: dict[str, Any] | None = None) -> Rubric:
    """The mentors' rubric: `values` (the program's, else the defaults) on the mentees'
    maximum and grade to pass."""
    chosen = {**mentor_defaults(mentees.maximum),
              **{k: v for k, v in (values or {}).items() if k in MENTOR_FIELDS}}
    return replace(mentees, agreement_points=0, points_per_goal=0, goal_cap=0,
                   points_per_action=0, action_cap=0, reflection_points=0,
                   require_agreement=False, require_reflection=False, **chosen)


def passes(rubric: Rubric, score: float) -> bool | None:
    """Whether the LMS counts `score` as complete (the grade-to-pass rule), or None when the
    rubric does not tie completion to the grade."""
    if rubric.gate_pass and 0 < rubric.pass_score <= rubric.maximum:
        return score >= rubric.pass_score
    return None


@dataclass(frozen=True)
class Line:
    """One line of a breakdown: what was counted and the points it earned."""

    label: str
    detail: str
    points: float
    possible: float
    tracked: bool = True


@dataclass(frozen=True)
class Assessment:
    score: float
    completed: bool
    comment: str
    activity_progress: str
    lines: tuple[Line, ...]
    points: float  # before the maximum and the grade-to-pass rule
    missing: tuple[str, ...]  # completion criteria not met yet, in words

    def breakdown(self) -> list[dict[str, Any]]:
        return [{"label": x.label, "detail": x.detail, "points": x.points,
                 "possible": x.possible, "tracked": x.tracked} for x in self.lines]


def assess(rubric: Rubric, facts: ParticipationFacts) -> Assessment:
    """Score, completion and comment for one person under one program's rubric."""
    lines = _lines(rubric, facts)
    points = round(sum(line.points for line in lines), ROUND)
    missing = _missing(rubric, facts)
    completed = not missing
    score = min(points, rubric.maximum)
    if rubric.gate_pass and 0 < rubric.pass_score <= rubric.maximum:
        if completed:
            score = max(score, rubric.pass_score)
        else:
            score = min(score, max(0.0, rubric.pass_score - BELOW_PASS))
    score = round(max(0.0, score), ROUND)
    return Assessment(score=score, completed=completed,
                      comment=comment(rubric, facts, completed),
                      activity_progress=activity_progress(facts, completed), lines=lines,
                      points=points, missing=missing)


def _counted(label: str, count: int | None, per: float, cap: int, noun: str,
             one: str = "") -> Line:
    """A line for a kind of thing counted up to `cap`; `one` is the noun for a single one."""
    possible = per * cap
    if count is None:
        return Line(label, N_("not tracked yet"), 0, possible, tracked=False)
    counted = min(count, cap)
    detail = f"{count} {one if count == 1 and one else noun}"
    if count > cap:
        detail += f" ({cap} count)"
    return Line(label, detail, round(counted * per, ROUND), possible)


def _flag(label: str, value: bool | None, points: float, yes: str, no: str) -> Line:
    if value is None:
        return Line(label, N_("not tracked yet"), 0, points, tracked=False)
    return Line(label, yes if value else no, points if value else 0, points)


def _lines(rubric: Rubric, facts: ParticipationFacts) -> tuple[Line, ...]:
    r = rubric
    candidates = (
        _counted(N_("Meetings held"), facts.meetings_held, r.points_per_meeting,
                 r.meeting_cap, "confirmed by both"),
        _counted(N_("Recaps written"), facts.recaps, r.points_per_recap, r.recap_cap,
                 "recaps", "recap"),
        _flag(N_("Agreement"), facts.agreement_signed, r.agreement_points, N_("signed"),
              N_("not signed")),
        _counted(N_("Goals set"), facts.goals_set, r.points_per_goal, r.goal_cap, "goals",
                 "goal"),
        _counted(N_("Action items done"), facts.actions_done, r.points_per_action,
                 r.action_cap, "done"),
        _counted(N_("Check-in surveys"), facts.surveys_answered, r.points_per_survey,
                 r.survey_cap, "answered"),
        _flag(N_("Final reflection"), facts.reflection_submitted, r.reflection_points,
              N_("submitted"), N_("not submitted")),
    )
    # A line that can earn nothing is not part of this program's rubric.
    return tuple(line for line in candidates if line.possible > 0)


def _missing(rubric: Rubric, facts: ParticipationFacts) -> tuple[str, ...]:
    missing = []
    if facts.meetings_held < rubric.min_meetings:
        more = rubric.min_meetings - facts.meetings_held
        missing.append(f"{more} more meeting{'' if more == 1 else 's'} held")
    if rubric.require_agreement and facts.agreement_signed is False:
        missing.append("the agreement signed")
    if rubric.require_reflection and facts.reflection_submitted is False:
        missing.append("the final reflection")
    return tuple(missing)


def activity_progress(facts: ParticipationFacts, completed: bool) -> str:
    """Initialized (paired, nothing yet) → Started (something done, no meeting held yet) →
    InProgress (meetings held) → Completed (criteria met). Moodle ignores it; others don't."""
    if completed:
        return COMPLETED
    if facts.meetings_held:
        return IN_PROGRESS
    done = (facts.recaps, facts.agreement_signed, facts.goals_set, facts.actions_done,
            facts.surveys_answered, facts.reflection_submitted)
    return STARTED if any(done) else INITIALIZED


Plural = Callable[..., str]  # ngettext(singular, plural, num, **variables), formatted


def english(singular: str, plural: str, num: int, **variables: Any) -> str:
    """ngettext without a translation: the LMS comment is written in English."""
    return (singular if num == 1 else plural) % {"num": num, **variables}


def meetings_figure(held: int, rubric: Rubric, ngettext: Plural = english) -> str:
    """Meetings held against what completes the activity, and how many earn points when
    that differs, e.g. "0 meetings held of 3 needed to complete (up to 6 count for points)".
    The one figure of meetings the grade pages and the LMS comment show: `ngettext` is
    flask_babel's on a page."""
    if rubric.min_meetings > 0:
        text = ngettext("%(num)d meeting held of %(needed)d needed to complete",
                        "%(num)d meetings held of %(needed)d needed to complete", held,
                        needed=rubric.min_meetings)
    else:
        text = ngettext("%(num)d meeting held", "%(num)d meetings held", held)
    if rubric.points_per_meeting > 0 < rubric.meeting_cap != rubric.min_meetings:
        text += " " + ngettext("(up to %(num)d counts for points)",
                               "(up to %(num)d count for points)", rubric.meeting_cap)
    return text


def comment(rubric: Rubric, facts: ParticipationFacts, completed: bool) -> str:
    """E.g. "3 meetings held of 3 needed to complete (up to 6 count for points), last met
    12 Mar, agreement signed, completed"."""
    parts = [meetings_figure(facts.meetings_held, rubric)]
    if facts.last_met:
        parts.append(f"last met {facts.last_met.day} {facts.last_met:%b}")
    if facts.agreement_signed is not None:
        parts.append("agreement signed" if facts.agreement_signed else "agreement not signed")
    for count, one, many in ((facts.goals_set, "goal set", "goals set"),
                             (facts.recaps, "recap", "recaps"),
                             (facts.actions_done, "action item done", "action items done"),
                             (facts.surveys_answered, "survey answered", "surveys answered")):
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    if facts.reflection_submitted:
        parts.append("final reflection submitted")
    parts.append("completed" if completed else "not complete yet")
    return ", ".join(parts)
