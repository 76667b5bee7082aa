"""What a pair keeps in its workspace: versions of the mentoring agreement (and the template
staff give a program), ticks on the getting-started checklist, and goals with milestones."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import Model
from lti_tool.i18n import N_
from lti_tool.pairs.models import Pair
from lti_tool.timeutil import as_utc, utcnow

FREQUENCIES = {"weekly": N_("Every week"), "biweekly": N_("Every two weeks"),
               "monthly": N_("Every month")}
CHANNELS = {"video": N_("Video call"), "phone": N_("Phone call"), "chat": N_("Chat or e-mail"),
            "in_person": N_("In person")}
RESPONSE_TIMES = {"same_day": N_("The same working day"),
                  "two_days": N_("Within two working days"), "week": N_("Within a week")}
GOAL_STATUSES = {"active": N_("Active"), "achieved": N_("Achieved"), "dropped": N_("Dropped")}


class TermsMixin:
    """The communication norms a pair agrees on; a version and a template have the same."""

    frequency: Mapped[str] = mapped_column(sa.String(16), default="biweekly")
    minutes: Mapped[int] = mapped_column(default=45)
    preferred_channel: Mapped[str] = mapped_column(sa.String(16), default="video")
    fallback_channel: Mapped[str] = mapped_column(sa.String(16), default="phone")
    response_time: Mapped[str] = mapped_column(sa.String(16), default="two_days")
    confidentiality: Mapped[str] = mapped_column(sa.Text, default="")
    boundaries: Mapped[str] = mapped_column(sa.Text, default="")
    mentee_hopes: Mapped[str] = mapped_column(sa.Text, default="")  # what the mentee wants
    mentor_hopes: Mapped[str] = mapped_column(sa.Text, default="")


class AgreementVersion(TermsMixin, Model):
    """One version of a pair's agreement, never changed once proposed. Its proposer accepts
    it by proposing it; it is signed when the other member accepts it too."""

    __tablename__ = "workspace_agreement_version"
    __table_args__ = (sa.UniqueConstraint("pair_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    number: Mapped[int]  # 1, 2, ... per pair
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    mentee_accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    mentor_accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    pair: Mapped[Pair] = relationship()
    proposed_by: Mapped[Person] = relationship()

    @property
    def signed_at(self) -> datetime | None:
        """When the second member accepted, or None while one has not."""
        if self.mentee_accepted_at is None or self.mentor_accepted_at is None:
            return None
        return max(as_utc(self.mentee_accepted_at), as_utc(self.mentor_accepted_at))


class AgreementTemplate(TermsMixin, Model):
    """Staff's starting point for a program: it fills in each pair's first draft."""

    __tablename__ = "workspace_agreement_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"),
                                            unique=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"))

    program: Mapped[Program] = relationship()


class ChecklistTick(Model):
    """A member ticked one of the checklist's manual items (tech check, etiquette, ...)."""

    __tablename__ = "workspace_checklist_tick"
    __table_args__ = (sa.UniqueConstraint("pair_id", "person_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(sa.String(32))
    checked_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class Goal(Model):
    """A goal of the pair's development plan. Progress is the share of milestones done, or
    the percentage the members give while there are no milestones."""

    __tablename__ = "workspace_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_pair.id", ondelete="CASCADE"),
                                         index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    success_measure: Mapped[str] = mapped_column(sa.Text, default="")
    target_date: Mapped[date | None] = mapped_column(sa.Date)
    progress: Mapped[int] = mapped_column(default=0)  # 0-100, used without milestones
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    # Set with "Mark reviewed" at the mid-point review of the plan.
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    pair: Mapped[Pair] = relationship()
    created_by: Mapped[Person] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[Person] = relationship(foreign_keys=[updated_by_id])
    reviewed_by: Mapped[Person | None] = relationship(foreign_keys=[reviewed_by_id])
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="Milestone.position")

    @property
    def percent(self) -> int:
        if self.milestones:
            return round(100 * sum(m.done for m in self.milestones) / len(self.milestones))
        return self.progress


class Milestone(Model):
    """A step towards a goal, done or not yet."""

    __tablename__ = "workspace_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace_goal.id", ondelete="CASCADE"),
                                         index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    goal: Mapped[Goal] = relationship(back_populates="milestones")
