"""Which survey a pair member owes now, taking an answer (anonymously when the program says
so), and results for staff: aggregates always, individual answers only in programs that are
not anonymous. Answering a round cancels its reminder still waiting in the outbox
(`reminders.py` queues them). Callers commit."""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext

from lti_tool.courses.models import Person, Program
from lti_tool.dbutil import insert_unless_present
from lti_tool.extensions import db
from lti_tool.i18n import N_
from lti_tool.notify import services as notify
from lti_tool.pairs.models import Pair
from lti_tool.surveys.models import KINDS, SurveyReceipt, SurveyResponse, SurveySettings
from lti_tool.timeutil import as_utc, utcnow

MAX_COMMENT = 2000
FIRST_CHECKIN_DAYS = 7  # a pair's first check-in comes a week after the match
FINAL_WINDOW_DAYS = 14  # the end-of-program survey opens two weeks before the end
# Built-in questions of the feedback surveys besides the 1-5 rating ("How useful...").
BUILTIN = {
    "midpoint": [("worked", N_("What has worked well so far?")),
                 ("change", N_("What would you change for the second half?"))],
    "final": [("gained", N_("What did you gain from the program?")),
              ("improve", N_("How could the program be better?")),
              ("again", N_("Would you take part again, or mentor someone yourself?"))],
}
RATING_QUESTION = {"checkin": N_("How satisfied are you with your mentoring relationship?"),
                   "midpoint": N_("How useful has mentoring been so far?"),
                   "final": N_("How useful was the mentoring program for you?")}
# Comments grouped by what they are about, so staff see what participants ask for.
THEMES = {
    N_("Scheduling and time"): r"\b(time|schedul\w*|zone|busy|calendar|reschedul\w*|hour)",
    N_("Communication"): r"\b(communicat\w*|respon\w*|messag\w*|e-?mail|reply|listen\w*)",
    N_("The match"): r"\b(match\w*|fit|expertise|background|field|interest\w*)",
    N_("Technology"): r"\b(video|camera|audio|link|jitsi|zoom|connect\w*|internet|app)",
    N_("Goals and progress"): r"\b(goal\w*|progress|plan\w*|career|skill\w*)",
    N_("Structure and guides"): r"\b(guide\w*|agenda|structure|topic\w*|question\w*)",
}


class SurveyError(ValueError):
    """A refused answer; the message says why."""


@dataclass(frozen=True)
class Due:
    kind: str
    round: str
    question: str
    extra: list[tuple[str, str, str]]  # (id, text, "scale" | "text")
    opened_on: date | None = None  # the day it became due: a round's name in reminders


def settings_of(program: Program) -> SurveySettings:
    query = sa.select(SurveySettings).filter_by(program_id=program.id)
    row = db.session.scalars(query).first()
    if row is None:  # two first views at once must not collide
        insert_unless_present(SurveySettings, ["program_id"], {
            "program_id": program.id, "anonymous": True, "checkin_days": 14, "questions": []})
        row = db.session.scalars(query).one()
    return row


def _answered(pair: Pair, person: Person, kind: str) -> list[str]:
    return list(db.session.scalars(sa.select(SurveyReceipt.round).filter_by(
        pair_id=pair.id, person_id=person.id, kind=kind)))


def due_for(pair: Pair, person: Person, today: date | None = None) -> Due | None:
    """The survey this member should answer now, if any: the end-of-program survey near the
    end, the mid-point survey past half-way, else a check-in every `checkin_days`."""
    if person.id not in (pair.mentee_id, pair.mentor_id):
        return None
    today = today or utcnow().date()
    settings = settings_of(pair.program)
    started = as_utc(pair.started_at).date()
    ends = pair.ends_on
    if ends and (pair.status == "completed" or (ends - today).days <= FINAL_WINDOW_DAYS) \
            and not _answered(pair, person, "final"):
        return _due("final", "1", settings, ends - timedelta(days=FINAL_WINDOW_DAYS))
    if pair.status != "active":
        return None
    halfway = started + (ends - started) / 2 if ends else None
    if halfway and today >= halfway and not _answered(pair, person, "midpoint"):
        return _due("midpoint", "1", settings, halfway)
    rounds = sorted(_answered(pair, person, "checkin"))
    last = date.fromisoformat(rounds[-1]) if rounds else None
    next_day = (last + timedelta(days=settings.checkin_days) if last
                else started + timedelta(days=FIRST_CHECKIN_DAYS))
    if today >= next_day:
        return _due("checkin", today.isoformat(), settings, next_day)
    return None


def _due(kind: str, round_: str, settings: SurveySettings, opened_on: date | None) -> Due:
    extra = [(key, text, "text") for key, text in BUILTIN.get(kind, [])]
    extra += [(q["id"], q["text"], q.get("kind", "text")) for q in settings.questions
              if kind in q.get("surveys", [])]
    return Due(kind, round_, RATING_QUESTION[kind], extra, opened_on)


def reminders_of(pair: Pair, person: Person, kind: str) -> str:
    """The prefix of the dedupe keys of a member's reminders for one kind of survey."""
    return f"survey:{pair.id}:{person.id}:{kind}:"


def answer(pair: Pair, person: Person, due: Due, rating: int | None, comment: str,
           answers: dict[str, str]) -> SurveyResponse:
    """Store one answer and its receipt; anonymous programs keep no trace of who said what."""
    if person.id not in (pair.mentee_id, pair.mentor_id):
        raise SurveyError(gettext("Only the pair's members answer its surveys."))
    if rating is None or not 1 <= rating <= 5:
        raise SurveyError(gettext("Choose a rating from 1 to 5."))
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT or any(len(v or "") > MAX_COMMENT for v in answers.values()):
        raise SurveyError(gettext("Keep each answer under %(limit)s characters.",
                                  limit=format(MAX_COMMENT, ",")))
    if due.round in _answered(pair, person, due.kind):
        raise SurveyError(gettext("You have already answered this one. Thank you!"))
    settings = settings_of(pair.program)
    kinds = {key: kind for key, _, kind in due.extra}
    kept = {key: _clean_answer(value, kinds[key]) for key, value in answers.items()
            if key in kinds}
    role = "mentee" if person.id == pair.mentee_id else "mentor"
    response = SurveyResponse(
        program_id=pair.program_id, pair_id=pair.id, kind=due.kind, rating=rating,
        comment=comment, answers={k: v for k, v in kept.items() if v not in ("", None)},
        answered_on=utcnow().date(),
        person_id=None if settings.anonymous else person.id,
        role=None if settings.anonymous else role)
    db.session.add(response)
    db.session.add(SurveyReceipt(pair_id=pair.id, person_id=person.id, kind=due.kind,
                                 round=due.round))
    db.session.flush()
    notify.cancel(reminders_of(pair, person, due.kind))  # answered: no reminder is owed
    return response


def _clean_answer(value: str, kind: str):
    value = (value or "").strip()
    if kind == "scale":
        if value and (not value.isdigit() or not 1 <= int(value) <= 5):
            raise SurveyError(gettext("Answer scale questions from 1 to 5."))
        return int(value) if value else None
    return value


# --- Results for staff -----------------------------------------------------------------------

def results(program: Program) -> dict:
    """Aggregates per survey kind, weekly check-in trend, and comments grouped by theme;
    individual answers (with names) only when the program is not anonymous."""
    settings = settings_of(program)
    rows = list(db.session.scalars(sa.select(SurveyResponse).filter_by(program_id=program.id)
                                   .order_by(SurveyResponse.answered_on)))
    by_kind = {kind: [r for r in rows if r.kind == kind] for kind in KINDS}
    summary = {kind: {"count": len(items),
                      "mean": _mean([r.rating for r in items]),
                      "distribution": Counter(r.rating for r in items if r.rating)}
               for kind, items in by_kind.items()}
    comments = [text for r in rows for text in [r.comment, *map(str, r.answers.values())]
                if text and not text.isdigit()]
    return {
        "anonymous": settings.anonymous, "summary": summary,
        "trend": _weekly([(r.answered_on, r.rating) for r in by_kind["checkin"]]),
        "themes": group_by_theme(comments),
        "individual": [] if settings.anonymous else rows,
        "questions": settings.questions,
    }


def checkin_trend(program: Program) -> list[tuple[date, float, int]]:
    """The weekly check-in average (the dashboard reads it on every view: the database sums
    per day, so a large program hands back a row per day, not per answer)."""
    weeks: dict[date, list[int]] = {}
    for day, total, answers in db.session.execute(
            sa.select(SurveyResponse.answered_on, sa.func.sum(SurveyResponse.rating),
                      sa.func.count()).where(
                SurveyResponse.program_id == program.id, SurveyResponse.kind == "checkin",
                SurveyResponse.rating.is_not(None)).group_by(SurveyResponse.answered_on)):
        week = weeks.setdefault(day - timedelta(days=day.weekday()), [0, 0])
        week[0] += total
        week[1] += answers
    return [(week, round(total / answers, 2), answers)
            for week, (total, answers) in sorted(weeks.items())]


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 2) if values else None


def _weekly(points: list[tuple[date, int]]) -> list[tuple[date, float, int]]:
    """(Monday of the week, mean rating, answers) per week with answers."""
    weeks: dict[date, list[int]] = {}
    for day, rating in points:
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(rating)
    return [(week, round(sum(v) / len(v), 2), len(v)) for week, v in sorted(weeks.items())]


def group_by_theme(comments: list[str]) -> dict[str, list[str]]:
    """Comments under every theme whose words they use; the rest under "Other"."""
    grouped: dict[str, list[str]] = {}
    for comment in comments:
        themes = [name for name, pattern in THEMES.items()
                  if re.search(pattern, comment, re.IGNORECASE)] or [N_("Other")]
        for name in themes:
            grouped.setdefault(name, []).append(comment)
    return dict(sorted(grouped.items(), key=lambda item: (-len(item[1]), item[0])))


def add_question(program: Program, text: str, kind: str, surveys: list[str]) -> dict:
    text = (text or "").strip()
    if not text or len(text) > 300:
        raise SurveyError(gettext("Write the question (at most 300 characters)."))
    if kind not in ("scale", "text"):
        raise SurveyError(gettext("A question is answered on a 1-5 scale or in words."))
    surveys = [s for s in surveys if s in ("midpoint", "final")]
    if not surveys:
        raise SurveyError(gettext("Choose the surveys the question belongs to."))
    settings = settings_of(program)
    number = max((int(q["id"][1:]) for q in settings.questions), default=0) + 1
    question = {"id": f"q{number}", "text": text, "kind": kind, "surveys": surveys}
    settings.questions = [*settings.questions, question]
    return question
