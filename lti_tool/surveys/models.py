"""Check-ins (satisfaction 1-5 and a comment, every two weeks or after meetings) and the
mid-point and end-of-program feedback surveys.

Anonymity by design: in an anonymous program (the default) an answer row carries no person
and no role; who has answered is kept apart, in `SurveyReceipt`, so that nobody is asked twice,
and no page or export joins the two. A pair's check-in ratings still feed its health (averaged
over the pair, never attributed to one member)."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.courses.models import Person, Program
from lti_tool.extensions import Model
from lti_tool.i18n import N_

KINDS = {"checkin": N_("Check-in"), "midpoint": N_("Mid-point feedback"),
         "final": N_("End-of-program feedback")}


class SurveySettings(Model):
    __tablename__ = "surveys_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"),
                                            unique=True)
    anonymous: Mapped[bool] = mapped_column(default=True)
    checkin_days: Mapped[int] = mapped_column(default=14)
    # Staff's own questions: [{"id": "q1", "text": ..., "kind": "scale" | "text",
    #                          "surveys": ["midpoint", "final"]}]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)

    program: Mapped[Program] = relationship()


class SurveyResponse(Model):
    """One filled survey. `person_id` is set only when the program is not anonymous."""

    __tablename__ = "surveys_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"),
                                            index=True)
    pair_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pairs_pair.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    rating: Mapped[int | None] = mapped_column()  # 1..5, the headline question
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    answered_on: Mapped[date] = mapped_column(sa.Date)  # a day only: no timing to match up
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id",
                                                                ondelete="SET NULL"))
    role: Mapped[str | None] = mapped_column(sa.String(8))  # mentee | mentor; not if anonymous

    person: Mapped[Person | None] = relationship()


class SurveyReceipt(Model):
    """Who has answered which survey round (not what): a check-in round is its date."""

    __tablename__ = "surveys_receipt"
    __table_args__ = (sa.UniqueConstraint("pair_id", "person_id", "kind", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(sa.ForeignKey("pairs_pair.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    round: Mapped[str] = mapped_column(sa.String(16))  # "2027-03-01" for check-ins; "1" else
