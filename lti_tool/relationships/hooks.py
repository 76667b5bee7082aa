"""A pair's stored health goes stale in the same transaction as any change to what it is
assessed from (meetings, attendance, messages, recaps, action items, check-ins, the
agreement, goals, the pair itself); the dashboard reassesses stale pairs when it is next
viewed (services.current_health)."""

import sqlalchemy as sa

from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.pairs import health_source, touched


def _watched() -> tuple[type, ...]:
    from lti_tool.journal.models import ActionItem, Message, Recap
    from lti_tool.meetings.models import Attendance, Meeting
    from lti_tool.pairs.models import Pair
    from lti_tool.surveys.models import SurveyResponse
    from lti_tool.workspace.models import AgreementVersion, Goal

    return (Meeting, Attendance, Message, Recap, ActionItem, SurveyResponse, AgreementVersion,
            Goal, Pair)


def mark_stale(pair_ids: set[int]) -> None:
    from lti_tool.relationships.models import PairHealth

    db.session.execute(sa.update(PairHealth).where(PairHealth.pair_id.in_(sorted(pair_ids)))
                       .values(stale=True, stamp=PairHealth.stamp + 1))


def health_of(program: Program) -> dict[int, str]:
    """Each active pair's health as the dashboard shows it (stored, reassessed if stale)."""
    from lti_tool.relationships.services import current_health

    return {status.pair.id: status.status for status in current_health(program)}


def _label(status: str) -> str:
    from flask_babel import gettext

    return gettext(status)  # the statuses are marked for translation in views.STATUS_NAMES


def init_app(app) -> None:
    from lti_tool.relationships.signals import STATUSES

    touched.subscribe(touched.Subscriber("health", _watched, mark_stale))
    health_source.provide(health_source.HealthSource(STATUSES, _label, health_of))
    touched.init_app(app)
