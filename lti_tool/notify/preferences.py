"""What each person chose about their notifications, per topic of `kinds.TOPICS`: each e-mail
(the default), a daily digest, or off. Off silences only a topic's non-essential kinds: what is
essential (a deadline, a change to the person's program) still comes, as its own e-mail.
The sender reads these choices when a notification is due (`delivery`), so a change applies to
what is already waiting as well as to what comes next.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa

from lti_tool.catalogue import N_
from lti_tool.courses.models import Person
from lti_tool.dbutil import rowcount, upsert
from lti_tool.extensions import db
from lti_tool.notify import kinds
from lti_tool.notify.kinds import Kind
from lti_tool.notify.models import EACH, MODES, OFF, PENDING, Mailbox, Notification, Preference
from lti_tool.timeutil import utcnow

# What still comes when a topic is off (only topics with essential kinds have an entry).
STILL_SENT = {
    kinds.PAIRING: N_("your match, requests to you and their answers, and changes to your pair"),
    kinds.MEETINGS: N_("meeting invitations, changes and cancellations"),
    kinds.AGREEMENT: N_("an agreement proposed to you"),
    kinds.EVENTS: N_("a program event that is cancelled"),
    kinds.STAFF: N_("a pair closed for inactivity"),
}
SOMETHING_ESSENTIAL = N_("what needs you in this topic")


class PreferenceError(ValueError):
    """A topic or a mode that does not exist."""


def topics_for(staff: bool) -> list[str]:
    """The topics a person chooses about: the staff topic only for staff."""
    return [t for t in kinds.TOPICS if staff or t != kinds.STAFF]


def has_essential(topic: str) -> bool:
    return any(k.essential for k in kinds.KINDS.values() if k.topic == topic)


def still_sent(topic: str) -> str:
    """What of `topic` comes even when it is off (N_-marked English), or ""."""
    if not has_essential(topic):
        return ""
    return STILL_SENT.get(topic, SOMETHING_ESSENTIAL)


def modes_of(person_id: int) -> dict[str, str]:
    """The person's mode for every topic (EACH where they chose nothing)."""
    chosen = dict(db.session.execute(
        sa.select(Preference.topic, Preference.mode).filter_by(person_id=person_id)).all())
    return {topic: chosen.get(topic, EACH) for topic in kinds.TOPICS}


def mode_for(kind: Kind, modes: Mapping[str, str]) -> str:
    """How a notification of `kind` goes to a person with `modes`: OFF only for what is not
    essential (an essential kind of a topic that is off goes as its own e-mail)."""
    mode = modes.get(kind.topic, EACH)
    if mode == OFF and kind.essential:
        return EACH
    return mode


def choose(person: Person, choices: Mapping[str, str], now: datetime | None = None) -> list[str]:
    """Store the person's modes for the topics in `choices`; returns the topics that changed.
    Flushes, does not commit."""
    for topic, mode in choices.items():
        if topic not in kinds.TOPICS or mode not in MODES:
            raise PreferenceError(f"No such choice: {topic}={mode}")
    before = modes_of(person.id)
    changed = [topic for topic, mode in choices.items() if before[topic] != mode]
    now = now or utcnow()
    for topic in changed:
        upsert(Preference, ["person_id", "topic"],
               {"person_id": person.id, "topic": topic, "mode": choices[topic], "updated_at": now})
    release_held(person.id, changed, now)
    return changed


def unsubscribe(person: Person) -> list[str]:
    """Every topic off (what is essential still comes): the one-click unsubscribe."""
    return choose(person, dict.fromkeys(kinds.TOPICS, OFF))


def release_held(person_id: int, topics: Iterable[str], now: datetime) -> int:
    """Notifications the delivery rules hold (for the hour or the digest) under a topic whose
    mode changed are due again now, and are judged by the new mode when the sender takes them.
    They were due when they were held, so nothing comes early."""
    names = [k.name for k in kinds.KINDS.values() if k.topic in set(topics)]
    if not names:
        return 0
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.recipient_id == person_id, Notification.status == PENDING,
               Notification.held.is_not(None), Notification.kind.in_(names))
        .values(held=None, send_after=now).execution_options(synchronize_session="fetch"))
    return rowcount(result)



def export_of(person_id: int) -> dict[str, object]:
    """The person's choices and the time of their last e-mail, for "Your data"."""
    last = db.session.scalar(sa.select(Mailbox.last_sent_at).filter_by(person_id=person_id))
    return {"topics": modes_of(person_id), "last_email_at": last}
