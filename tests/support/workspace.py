"""What the workspace tests share: reading pages, proposing agreements and goals as a launched
person, and reading rows back."""

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.pairs.models import Pair

SCRIPT = "<script>alert('x')</script>"
TERMS = {"frequency": "biweekly", "minutes": "45", "preferred_channel": "video",
         "fallback_channel": "phone", "response_time": "two_days",
         "confidentiality": "What we say stays between us.",
         "boundaries": "We say early when we cannot make it.", "mentee_hopes": "",
         "mentor_hopes": ""}


def page(person, path) -> bytes:
    response = person.get(path)
    assert response.status_code == 200, response.data[:300]
    return response.data


def propose(person, pair_id, base="", **changes):
    return person.post(f"/pairs/{pair_id}/agreement", {**TERMS, "base": base, **changes},
                       page=f"/pairs/{pair_id}/agreement")


def accept(person, pair_id, number):
    return person.post(f"/pairs/{pair_id}/agreement/accept", {"version": number},
                       page=f"/pairs/{pair_id}/agreement")


def add_goal(person, pair_id, **fields):
    return person.post(f"/pairs/{pair_id}/goals", fields, page=f"/pairs/{pair_id}/goals")


def rows(app, model, **filters) -> list:
    with app.app_context():
        found = list(db.session.scalars(sa.select(model).filter_by(**filters)
                                        .order_by(model.id)))
        db.session.expunge_all()
        return found


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def with_pair(app, pair_id, call):
    """`call(pair)` inside an app context, e.g. a service function."""
    with app.app_context():
        return call(db.session.get(Pair, pair_id))
