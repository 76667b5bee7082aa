"""Scores follow what people do, in the same transaction: when a flush writes a row that can
move a participation score (a meeting confirmed, a recap, an action item, a goal, an agreement
version, a survey answered, a pair ended), the pairs involved are noted, and just before the
transaction commits their members' scores are recomputed and moved ones queued for the LMS.
One hook here instead of a call in every feature; features stay unaware of grading."""

import logging

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from lti_tool.extensions import db

log = logging.getLogger(__name__)
PENDING = "grades_pending_pairs"


def _pair_id(instance) -> int | None:
    from lti_tool.meetings.models import Attendance
    from lti_tool.pairs.models import Pair

    if isinstance(instance, Pair):
        return instance.id
    if isinstance(instance, Attendance):
        meeting = instance.meeting
        return meeting.pair_id if meeting is not None else None
    if hasattr(instance, "goal"):  # a milestone
        return getattr(instance.goal, "pair_id", None)
    return getattr(instance, "pair_id", None)


def _watched() -> tuple[type, ...]:
    from lti_tool.journal.models import ActionItem, Recap
    from lti_tool.meetings.models import Attendance
    from lti_tool.pairs.models import Pair
    from lti_tool.surveys.models import SurveyReceipt
    from lti_tool.workspace.models import AgreementVersion, Goal, Milestone

    return (Attendance, Recap, ActionItem, Goal, Milestone, AgreementVersion, SurveyReceipt,
            Pair)


def _note(session: Session, flush_context) -> None:
    """After a flush (when new rows have their ids), note the pairs whose rows changed."""
    watched = _watched()
    for instance in (*session.new, *session.dirty):
        if isinstance(instance, watched):
            pair_id = _pair_id(instance)
            if pair_id is not None:
                session.info.setdefault(PENDING, set()).add(pair_id)


def _recompute(session: Session) -> None:
    if not has_app_context() or not current_app.config.get("GRADES_FOLLOW_ACTIVITY", True):
        session.info.pop(PENDING, None)
        return
    session.flush()  # the commit's own flush comes after this hook: note its changes first
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    from lti_tool.grades.services import queue_recompute
    from lti_tool.pairs.models import Pair

    for pair_id in sorted(pending):
        pair = session.get(Pair, pair_id)
        if pair is None:
            continue
        try:
            queue_recompute(pair, trigger="activity")
        except Exception:  # noqa: BLE001 - the person's change still commits; the worker's
            # periodic recompute catches the score up
            log.exception("grades: recompute after a change failed for pair %s", pair_id)
    session.info.pop(PENDING, None)


def _forget(session: Session, *args) -> None:
    session.info.pop(PENDING, None)


def init_app(app) -> None:
    with app.app_context():
        session_class = db.session.session_factory.class_
    if getattr(session_class, "_grades_hooks", False):
        return
    event.listen(session_class, "after_flush", _note)
    event.listen(session_class, "before_commit", _recompute)
    event.listen(session_class, "after_rollback", _forget)
    session_class._grades_hooks = True
