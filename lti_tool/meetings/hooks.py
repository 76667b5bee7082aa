"""A pair's meetings end with it: when a transaction ends a pair (staff, or the health
sweep's auto-close), its proposals are withdrawn and what was still to come is cancelled in
the same transaction (services.end_with_pair), with the members' calendars updated. One
subscription (lti_tool/pairs/touched.py): pairs, below meetings, does not call it."""

from lti_tool.extensions import db
from lti_tool.pairs import touched


def _watched() -> tuple[type, ...]:
    from lti_tool.pairs.models import Pair

    return (Pair,)


def _pairs_changed(pair_ids: set[int]) -> None:
    from lti_tool.meetings.services import end_with_pair
    from lti_tool.pairs.models import Pair

    for pair_id in sorted(pair_ids):
        pair = db.session.get(Pair, pair_id)
        if pair is not None and pair.status != "active":
            end_with_pair(pair)


def init_app(app) -> None:
    touched.subscribe(touched.Subscriber("meetings", _watched, _pairs_changed))
    touched.init_app(app)
