"""Staff's bulk actions on the matching page: lock every proposal at or above a score,
publish some of a run's proposals, end several pairs. Each checks that what it acts on belongs
to the run or program given (ids come from a form); the caller commits."""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.pairs import services
from lti_tool.pairs.models import MatchRun, Pair, Proposal


@dataclass(frozen=True)
class Told:
    """What an action will do, counted before staff confirm it."""

    pairs: int
    people: int


def lock_at_or_above(run: MatchRun, score: float) -> int:
    """Locks the run's proposals scoring `score` or more; how many were newly locked."""
    newly = [p for p in run.proposals if p.score >= score and not p.locked]
    for proposal in newly:
        proposal.locked = True
    return len(newly)


def chosen_proposals(run: MatchRun, ids: Iterable[int]) -> list[Proposal]:
    wanted = set(ids)
    return [p for p in run.proposals if p.id in wanted]


def chosen_pairs(program: Program, ids: Iterable[int]) -> list[Pair]:
    wanted = list(set(ids))
    if not wanted:
        return []
    return list(db.session.scalars(sa.select(Pair).where(
        Pair.program_id == program.id, Pair.status == "active", Pair.id.in_(wanted))
        .order_by(Pair.id)))


def told(items: Iterable[Proposal | Pair]) -> Told:
    """Pairs and the distinct people (mentees and mentors) that a message will reach."""
    rows = list(items)
    people = {r.mentee_id for r in rows} | {r.mentor_id for r in rows}
    return Told(len(rows), len(people))


def publish_some(run: MatchRun, proposals: list[Proposal]) -> list[Pair]:
    """Publish `proposals` of the run (services.publish: all or nothing, both members told);
    the other proposals stay proposed, in a new draft run with the same report."""
    if not proposals:
        raise services.MatchingError(gettext("Choose at least one pair to publish."))
    if len(proposals) == len(run.proposals):
        return services.publish(run)
    keep = _copies([p for p in run.proposals if p not in proposals])
    run.proposals[:] = list(proposals)  # the others move to a new draft, below
    db.session.flush()
    pairs = services.publish(run)
    draft = MatchRun(program_id=run.program_id, policy=run.policy, excluded=list(run.excluded),
                     unmatched=dict(run.unmatched), report=dict(run.report),
                     comparison=dict(run.comparison), created_by_id=run.created_by_id)
    db.session.add(draft)
    draft.proposals.extend(keep)
    db.session.flush()
    return pairs


def _copies(proposals: list[Proposal]) -> list[Proposal]:
    return [Proposal(mentee_id=p.mentee_id, mentor_id=p.mentor_id, score=p.score,
                     breakdown=dict(p.breakdown), explanation=p.explanation, slot=dict(p.slot),
                     locked=p.locked, manual=p.manual) for p in proposals]


def end_all(pairs: list[Pair], status: str, reason: str) -> int:
    if not pairs:
        raise services.MatchingError(gettext("Choose at least one pair to end."))
    for pair in pairs:
        services.end_pair(pair, status, reason)
    return len(pairs)
