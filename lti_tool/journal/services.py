"""Recaps, action items and messages of a pair. Only the pair's two members write and read
them; staff get `pair_summary` (counts, dates, statuses) and the recaps a pair shared. Action
items with a due date schedule their own reminders in the notification outbox (the day before,
and the day after if still open, at 9:00 in the owner's zone); finishing an item cancels them.
A new message is e-mailed to the other member, at most once an hour. Callers commit."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import db
from lti_tool.i18n import N_
from lti_tool.intake.services import zone_of
from lti_tool.journal.models import ACTION_STATUSES, ActionItem, Message, Recap, ThreadState
from lti_tool.meetings import agenda
from lti_tool.meetings.models import Meeting
from lti_tool.notify import compose
from lti_tool.notify import services as notify
from lti_tool.pairs import members
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc, utcnow

LIMITS = {"takeaways": 5000, "notes": 10000, "title": 300, "message": 5000}
MAX_DUE_DAYS = 366
REMINDER_HOUR = time(9, 0)  # in the owner's zone: a reminder needs no precision beyond the day
SUBJECT_TITLE = 120  # characters of an item's title in a reminder's subject


class JournalError(ValueError):
    """What someone asked for that cannot be done; the message says why."""


check_member = members.checker(
    JournalError, N_("Only the two members of a pair write here."),
    N_("This pair has ended: its journal is kept, but closed for writing."))


def _text(value: str, field: str, label: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise JournalError(gettext("Write the %(label)s first.", label=gettext(label)))
    if len(value) > LIMITS[field]:
        raise JournalError(gettext("Keep the %(label)s under %(limit)s characters.",
                                   label=gettext(label), limit=format(LIMITS[field], ",")))
    return value


# --- Recaps ----------------------------------------------------------------------------------

def recaps_of(pair: Pair) -> list[Recap]:
    return list(db.session.scalars(sa.select(Recap).filter_by(pair_id=pair.id)
                                   .order_by(Recap.created_at.desc(), Recap.id.desc())))


def write_recap(pair: Pair, by: Person, takeaways: str, notes: str = "", *,
                meeting: Meeting | None = None, occurrence: datetime | None = None,
                shared: bool = False, actions: Sequence[tuple[str, int, date | None]] = ()
                ) -> Recap:
    """A recap of a meeting (or of an informal talk), with new action items."""
    check_member(pair, by)
    if meeting is not None and meeting.pair_id != pair.id:
        raise JournalError(gettext("That meeting belongs to another pair."))
    recap = Recap(pair=pair, author=by, takeaways=_text(takeaways, "takeaways", N_("takeaways")),
                  notes=_text(notes, "notes", N_("notes"), required=False), shared=shared,
                  meeting_id=meeting.id if meeting else None,
                  occurrence_start=as_utc(occurrence) if occurrence else None)
    db.session.add(recap)
    db.session.flush()
    for title, owner_id, due_on in actions:
        add_action(pair, by, title, owner_id, due_on, recap=recap)
    return recap


def edit_recap(recap: Recap, by: Person, takeaways: str, notes: str, shared: bool) -> Recap:
    check_member(recap.pair, by)
    if recap.author_id != by.id:
        raise JournalError(gettext("Only its author edits a recap; add your own instead."))
    recap.takeaways = _text(takeaways, "takeaways", N_("takeaways"))
    recap.notes = _text(notes, "notes", N_("notes"), required=False)
    recap.shared = shared
    return recap


def shared_recaps(program: Program) -> list[Recap]:
    """Recaps pairs chose to share with staff."""
    return list(db.session.scalars(
        sa.select(Recap).join(Pair, Recap.pair_id == Pair.id)
        .where(Pair.program_id == program.id, Recap.shared.is_(True))
        .order_by(Recap.created_at.desc())))


# --- Action items --------------------------------------------------------------------------

def actions_of(pair: Pair, status: str | None = None) -> list[ActionItem]:
    query = sa.select(ActionItem).filter_by(pair_id=pair.id)
    if status:
        query = query.filter_by(status=status)
    return list(db.session.scalars(query.order_by(
        ActionItem.status != "open", ActionItem.due_on.is_(None), ActionItem.due_on,
        ActionItem.id)))


def open_items(pair: Pair) -> list[ActionItem]:
    """What is still to do: it goes on the next meeting's agenda."""
    return actions_of(pair, "open")


@agenda.contributes("open items")
def _still_open(pair: Pair, shown: agenda.Agenda) -> None:
    shown.open_items.extend(open_items(pair))


def add_action(pair: Pair, by: Person, title: str, owner_id: int, due_on: date | None,
               recap: Recap | None = None) -> ActionItem:
    check_member(pair, by)
    if owner_id not in (pair.mentee_id, pair.mentor_id):
        raise JournalError(gettext("An action item belongs to one of the two of you."))
    _check_due(due_on)
    item = ActionItem(pair=pair, recap=recap, title=_text(title, "title", N_("action item")),
                      owner_id=owner_id, due_on=due_on, created_by_id=by.id)
    db.session.add(item)
    db.session.flush()
    _plan_reminders(item)
    return item


def _check_due(due_on: date | None) -> None:
    if due_on is None:
        return
    today = utcnow().date()
    if due_on < today:
        raise JournalError(gettext("The due date has passed: choose today or later."))
    if due_on > today + timedelta(days=MAX_DUE_DAYS):
        raise JournalError(gettext("Choose a due date within a year."))


def update_action(item: ActionItem, by: Person, *, status: str | None = None,
                  title: str | None = None, due_on: date | None = None) -> ActionItem:
    """The owner or the one who wrote it changes an item; the other member cannot."""
    check_member(item.pair, by)
    if by.id not in (item.owner_id, item.created_by_id):
        raise JournalError(gettext("This item is %(name)s's; they update it.",
                                   name=item.owner.display_name))
    if title is not None:
        item.title = _text(title, "title", N_("action item"))
    if due_on is not None and due_on != item.due_on:
        _check_due(due_on)
        item.due_on = due_on
    if status is not None:
        if status not in ACTION_STATUSES:
            raise JournalError(gettext("Choose open, done or dropped."))
        item.status = status
        item.done_at = utcnow() if status == "done" else None
    notify.cancel(f"action:{item.id}:")
    _plan_reminders(item)
    return item


def _plan_reminders(item: ActionItem) -> None:
    if item.status != "open" or item.due_on is None:
        return
    version = utcnow().strftime("%Y%m%d%H%M%S%f")  # a changed item plans anew
    zone = compose.reader_for(item.owner, zone_of(item.owner, item.pair.program)).zone
    for label, day in (("due", item.due_on - timedelta(days=1)),
                       ("overdue", item.due_on + timedelta(days=1))):
        moment = datetime.combine(day, REMINDER_HOUR, ZoneInfo(zone))
        if moment > utcnow():
            compose.tell(item.owner, "action_reminder", _action_reminder(item, label),
                         dedupe_key=f"action:{item.id}:{label}:{item.due_on}:{version}",
                         program=item.pair.program, zone=zone, send_after=moment,
                         destination=compose.page("journal.pair_journal", pair_id=item.pair_id))


def _action_reminder(item: ActionItem, label: str):
    title, due_on = item.title, item.due_on
    short = title if len(title) <= SUBJECT_TITLE else title[:SUBJECT_TITLE - 1] + "…"

    def write(reader: compose.Reader) -> compose.Message:
        if label == "due":
            subject = reader.gettext("Due tomorrow: %(title)s", title=short)
            line = reader.gettext("An action item of yours is due tomorrow.")
        else:
            subject = reader.gettext("Overdue: %(title)s", title=short)
            line = reader.gettext("An action item of yours was due yesterday and is still "
                                  "open.")
        return compose.Message(
            subject=subject,
            lines=[line, reader.gettext("Mark it done in Pairwise when it is, or give it a "
                                        "new date.")],
            facts=[(reader.gettext("Action item"), title),
                   (reader.gettext("Due"), reader.day(due_on) if due_on else "")],
            action=reader.gettext("See your action items"))
    return write


def overdue(pair: Pair) -> list[ActionItem]:
    today = utcnow().date()
    return [i for i in open_items(pair) if i.due_on is not None and i.due_on < today]


# --- Messages --------------------------------------------------------------------------------

def thread(pair: Pair, limit: int = 200) -> list[Message]:
    rows = db.session.scalars(sa.select(Message).filter_by(pair_id=pair.id)
                              .order_by(Message.id.desc()).limit(limit))
    return list(reversed(list(rows)))


def state_of(pair: Pair, person: Person) -> ThreadState:
    state = db.session.scalars(sa.select(ThreadState).filter_by(
        pair_id=pair.id, person_id=person.id)).first()
    if state is None:
        state = ThreadState(pair_id=pair.id, person_id=person.id, last_read_id=0, email=True)
        db.session.add(state)
        db.session.flush()
    return state


def post_message(pair: Pair, by: Person, body: str) -> Message:
    """Add to the thread; the other member is e-mailed (at most once an hour) if they want."""
    check_member(pair, by)
    message = Message(pair_id=pair.id, author_id=by.id, body=_text(body, "message", N_("message")))
    db.session.add(message)
    db.session.flush()
    state_of(pair, by).last_read_id = message.id  # your own message is read
    other = pair.mentor if by.id == pair.mentee_id else pair.mentee
    if state_of(pair, other).email:
        _tell_message(pair, by, other, message)
    return message


def _tell_message(pair: Pair, by: Person, to: Person, message: Message) -> None:
    """The first message of an hour is e-mailed; the rest wait in the thread (one key an hour)."""
    hour = utcnow().strftime("%Y%m%dT%H")
    author, body, sent = by.display_name, message.body[:500], message.created_at

    def write(reader: compose.Reader) -> compose.Message:
        return compose.Message(
            subject=reader.gettext("New message from %(name)s", name=author),
            lines=[reader.gettext("%(name)s wrote to you in Pairwise:", name=author)],
            quote=body, quote_by=author, facts=[(reader.gettext("Sent"), reader.when(sent))],
            action=reader.gettext("Read and reply"))

    compose.tell(to, "message", write, dedupe_key=f"message:{pair.id}:{to.id}:{hour}",
                 program=pair.program, zone=zone_of(to, pair.program),
                 destination=compose.page("journal.messages", pair_id=pair.id))


def mark_read(pair: Pair, person: Person) -> None:
    last = db.session.scalar(sa.select(sa.func.max(Message.id)).where(Message.pair_id == pair.id))
    state_of(pair, person).last_read_id = last or 0


def unread_count(pair: Pair, person: Person) -> int:
    """The other member's messages after the last one `person` read, in one query."""
    seen = sa.select(ThreadState.last_read_id).where(
        ThreadState.pair_id == pair.id, ThreadState.person_id == person.id).scalar_subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.pair_id == pair.id, Message.id > sa.func.coalesce(seen, 0),
        Message.author_id != person.id)) or 0


def set_email(pair: Pair, person: Person, email: bool) -> None:
    check_member(pair, person)
    state_of(pair, person).email = email


# --- For staff: metadata only ---------------------------------------------------------------

def pair_summary(pair: Pair) -> dict:
    """Counts, dates and statuses — never what anyone wrote."""
    items = actions_of(pair)
    messages = db.session.execute(
        sa.select(Message.author_id, sa.func.count(), sa.func.max(Message.created_at))
        .where(Message.pair_id == pair.id).group_by(Message.author_id)).all()
    recaps = recaps_of(pair)
    return {
        "recaps": len(recaps),
        "last_recap_at": recaps[0].created_at if recaps else None,
        "actions": {status: sum(1 for i in items if i.status == status)
                    for status in ACTION_STATUSES},
        "overdue": len(overdue(pair)),
        "messages_by_author": {author: count for author, count, _ in messages},
        "last_message_at": max((last for _, _, last in messages), default=None),
    }


# --- What waits for a member (homes: "What needs you"; read-only) --------------------------

def due_actions(person: Person, pair_ids: list[int], today: date | None = None
                ) -> list[ActionItem]:
    """The person's open action items in these pairs that are overdue or due by tomorrow (the
    day their reminder goes), the earliest first, in one query."""
    if not pair_ids:
        return []
    today = today or utcnow().date()
    return list(db.session.scalars(sa.select(ActionItem).where(
        ActionItem.pair_id.in_(pair_ids), ActionItem.owner_id == person.id,
        ActionItem.status == "open", ActionItem.due_on.is_not(None),
        ActionItem.due_on <= today + timedelta(days=1))
        .order_by(ActionItem.due_on, ActionItem.id)))
