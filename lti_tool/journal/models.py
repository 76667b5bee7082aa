"""What a pair writes between meetings: recaps with action items, and a message thread.
Private to the pair; staff see counts and dates, and a recap only when the pair shares it."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.courses.models import Person
from lti_tool.extensions import Model
from lti_tool.i18n import N_
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import utcnow

ACTION_STATUSES = {"open": N_("Open"), "done": N_("Done"), "dropped": N_("Dropped")}


class Recap(Model):
    """After a meeting: what was taken away, notes, and the action items agreed."""

    __tablename__ = "journal_recap"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings_meeting.id", ondelete="SET NULL"))
    occurrence_start: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    takeaways: Mapped[str] = mapped_column(sa.Text)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    shared: Mapped[bool] = mapped_column(default=False)  # the pair lets staff read it
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    pair: Mapped[Pair] = relationship()
    author: Mapped[Person] = relationship()
    actions: Mapped[list["ActionItem"]] = relationship(back_populates="recap")


class ActionItem(Model):
    """Something one member will do, by a date; open items come back on the next agenda."""

    __tablename__ = "journal_action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    recap_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("journal_recap.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(300))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    pair: Mapped[Pair] = relationship()
    recap: Mapped[Recap | None] = relationship(back_populates="actions")
    owner: Mapped[Person] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[Person] = relationship(foreign_keys=[created_by_id])


class Message(Model):
    """One message of the pair's thread (informal check-ins between sessions)."""

    __tablename__ = "journal_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    author: Mapped[Person] = relationship()


class ThreadState(Model):
    """Per member of a pair: the last message they have seen, and whether new messages are
    e-mailed to them."""

    __tablename__ = "journal_thread_state"
    __table_args__ = (sa.UniqueConstraint("pair_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_pair.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    last_read_id: Mapped[int] = mapped_column(default=0)
    email: Mapped[bool] = mapped_column(default=True)
