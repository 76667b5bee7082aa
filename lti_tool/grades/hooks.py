"""Scores follow what people do, in the same transaction: when a transaction writes a row
that can move a participation score (a meeting confirmed, a recap, an action item, a goal, an
agreement version, a survey answered, a pair ended), the members of the pairs involved have
their scores recomputed just before it commits, and moved ones are queued for the LMS.
One subscription (lti_tool/pairs/touched.py) instead of a call in every feature."""

import logging

from flask import current_app, has_app_context

from lti_tool.extensions import db
from lti_tool.pairs import touched

log = logging.getLogger(__name__)


def _watched() -> tuple[type, ...]:
    from lti_tool.journal.models import ActionItem, Recap
    from lti_tool.meetings.models import Attendance
    from lti_tool.pairs.models import Pair
    from lti_tool.surveys.models import SurveyReceipt
    from lti_tool.workspace.models import AgreementVersion, Goal, Milestone

    return (Attendance, Recap, ActionItem, Goal, Milestone, AgreementVersion, SurveyReceipt,
            Pair)


def _recompute(pair_ids: set[int]) -> None:
    if not has_app_context() or not current_app.config.get("GRADES_FOLLOW_ACTIVITY", True):
        return
    from lti_tool.grades.services import queue_recompute
    from lti_tool.pairs.models import Pair

    for pair_id in sorted(pair_ids):
        pair = db.session.get(Pair, pair_id)
        if pair is None:
            continue
        try:
            queue_recompute(pair, trigger="activity")
        except Exception:  # noqa: BLE001 - the person's change still commits; the worker's
            # periodic recompute catches the score up
            log.exception("grades: recompute after a change failed for pair %s", pair_id)


def init_app(app) -> None:
    touched.subscribe(touched.Subscriber("grades", _watched, _recompute))
    touched.init_app(app)
