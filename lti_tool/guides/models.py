"""A program's conversation guides (its own copies of the built-in library, plus any staff
add), the record that a program's library was copied, and a pair's use of a guide as the
agenda of a meeting."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import Model
from lti_tool.meetings.models import Meeting
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import utcnow


class Guide(Model):
    """One guide of one program, in Markdown; `position` gives the suggested order and `week`
    the program week it is suggested for. Editing a program's copy leaves other programs'."""

    __tablename__ = "guides_guide"
    __table_args__ = (sa.UniqueConstraint("program_id", "slug"),
                      sa.UniqueConstraint("program_id", "builtin_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"),
                                            index=True)
    slug: Mapped[str] = mapped_column(sa.String(80))
    title: Mapped[str] = mapped_column(sa.String(200))
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    week: Mapped[int | None] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)
    builtin_key: Mapped[str | None] = mapped_column(sa.String(64))  # the built-in it came from
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"))

    program: Mapped[Program] = relationship()
    updated_by: Mapped[Person | None] = relationship()


class GuideLibrary(Model):
    """That a program received its copy of the built-in library, so that a guide staff deleted
    is not copied back on the next visit (only "restore" brings it back)."""

    __tablename__ = "guides_library"

    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"),
                                            primary_key=True)
    copied_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class GuideUse(Model):
    """A pair chose a guide as an agenda, perhaps for one of its scheduled meetings, and later
    marked it covered. Staff see only counts of these."""

    __tablename__ = "guides_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    guide_id: Mapped[int] = mapped_column(sa.ForeignKey("guides_guide.id", ondelete="CASCADE"),
                                          index=True)
    chosen_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    chosen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings_meeting.id", ondelete="SET NULL"))
    covered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    covered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"))

    pair: Mapped[Pair] = relationship()
    guide: Mapped[Guide] = relationship()
    chosen_by: Mapped[Person] = relationship(foreign_keys=[chosen_by_id])
    covered_by: Mapped[Person | None] = relationship(foreign_keys=[covered_by_id])
    meeting: Mapped[Meeting | None] = relationship()
