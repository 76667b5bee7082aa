"""Which pairs a transaction touched, for features that keep something derived from a pair's
activity in step with it (participation scores, health snapshots), without every feature
calling them: after each flush, the pairs whose watched rows were written or deleted are
noted per subscriber; just before the commit each subscriber gets its set and acts in the
same transaction, so the change and what follows from it land together or not at all."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from lti_tool.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscriber:
    name: str
    watched: Callable[[], tuple[type, ...]]  # models whose rows belong to a pair
    on_commit: Callable[[set[int]], None]  # called with the pair ids, before the commit


_subscribers: dict[str, Subscriber] = {}


def pair_id_of(instance) -> int | None:
    """The pair a row belongs to: itself, its own `pair_id`, or its parent's: a meeting's
    (attendance) or a goal's (milestone). By shape, not by class: the features above pairs
    subscribe their models, and pairs imports none of them."""
    from lti_tool.pairs.models import Pair

    if isinstance(instance, Pair):
        return instance.id
    if (own := getattr(instance, "pair_id", None)) is not None:
        return own
    for parent in ("meeting", "goal"):  # attendance, milestone
        if (row := getattr(instance, parent, None)) is not None:
            return getattr(row, "pair_id", None)
    return None


def subscribe(subscriber: Subscriber) -> None:
    _subscribers[subscriber.name] = subscriber


def _key(name: str) -> str:
    return f"touched_pairs:{name}"


def _note(session: Session, flush_context) -> None:
    for subscriber in _subscribers.values():
        watched = subscriber.watched()
        for instance in (*session.new, *session.dirty, *session.deleted):
            if isinstance(instance, watched) and (pair_id := pair_id_of(instance)) is not None:
                session.info.setdefault(_key(subscriber.name), set()).add(pair_id)


def _deliver(session: Session) -> None:
    session.flush()  # the commit's own flush comes after this hook: note its changes first
    for subscriber in _subscribers.values():
        pending = session.info.pop(_key(subscriber.name), None)
        if pending:
            subscriber.on_commit(pending)
            session.flush()
            session.info.pop(_key(subscriber.name), None)  # its own writes need no echo


def _forget(session: Session, *args) -> None:
    for name in _subscribers:
        session.info.pop(_key(name), None)


def init_app(app) -> None:
    with app.app_context():
        session_class = db.session.session_factory.class_
    if event.contains(session_class, "after_flush", _note):  # an app made before (tests)
        return
    event.listen(session_class, "after_flush", _note)
    event.listen(session_class, "before_commit", _deliver)
    event.listen(session_class, "after_rollback", _forget)
