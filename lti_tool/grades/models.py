"""Participation grades: each program's rubric (`GradingPolicy`), each graded person's current
score (`GradeRecord`), the outbox of scores to post to the LMS (`GradeSync`) and the audit log
of what staff changed (`GradeAudit`)."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.courses.models import Person, Program, ResourceLink
from lti_tool.extensions import Model
from lti_tool.grades.rubric import Rubric, for_mentors
from lti_tool.timeutil import utcnow

# GradeSync.status
PENDING = "pending"  # waiting to be posted (or for a retry after `next_attempt_at`)
SENDING = "sending"  # one worker is posting it
SENT = "sent"  # the LMS stored it
CONFLICT = "conflict"  # 409: the LMS already had a newer score (done, never retried)
SUPERSEDED = "superseded"  # a newer change of the same person was posted instead
REJECTED = "rejected"  # 400/422: the LMS refused the score itself
FORBIDDEN = "forbidden"  # 403: the LMS refused the tool access to the line item
NOT_FOUND = "not_found"  # 404: the line item no longer exists
NO_SERVICE = "no_service"  # the activity has no grade service (AGS not enabled)
FAILED = "failed"  # gave up after the last retry (timeouts, 5xx...)
LEFT = "left"  # the person left the course: not graded
HELD = "held"  # staff hold the score for review: kept in the tool, not posted
DONE = (SENT, CONFLICT)
TERMINAL = (SENT, CONFLICT, SUPERSEDED, REJECTED, FORBIDDEN, NOT_FOUND, NO_SERVICE, FAILED,
            LEFT, HELD)

MENTEE, MENTOR = "mentee", "mentor"


class GradingPolicy(Model):
    """A program's rubric and completion criteria; the maximum is `Program.score_maximum`."""

    __tablename__ = "grades_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"),
                                            unique=True)
    points_per_meeting: Mapped[float] = mapped_column(default=10)
    meeting_cap: Mapped[int] = mapped_column(default=6)
    points_per_recap: Mapped[float] = mapped_column(default=2)
    recap_cap: Mapped[int] = mapped_column(default=5)
    agreement_points: Mapped[float] = mapped_column(default=10)
    points_per_goal: Mapped[float] = mapped_column(default=2)
    goal_cap: Mapped[int] = mapped_column(default=3)
    points_per_action: Mapped[float] = mapped_column(default=1)
    action_cap: Mapped[int] = mapped_column(default=4)
    points_per_survey: Mapped[float] = mapped_column(default=0)
    survey_cap: Mapped[int] = mapped_column(default=0)
    reflection_points: Mapped[float] = mapped_column(default=10)
    min_meetings: Mapped[int] = mapped_column(default=3)
    require_agreement: Mapped[bool] = mapped_column(default=True)
    require_reflection: Mapped[bool] = mapped_column(default=False)
    pass_score: Mapped[float] = mapped_column(default=50)
    gate_pass: Mapped[bool] = mapped_column(default=True)
    grade_mentors: Mapped[bool] = mapped_column(default=False)
    # The mentors' rubric (rubric.MENTOR_FIELDS); missing values are rubric.mentor_defaults.
    mentor_rubric: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    program: Mapped[Program] = relationship()

    RUBRIC_FIELDS = ("points_per_meeting", "meeting_cap", "points_per_recap", "recap_cap",
                     "agreement_points", "points_per_goal", "goal_cap", "points_per_action",
                     "action_cap", "points_per_survey", "survey_cap", "reflection_points",
                     "min_meetings", "require_agreement", "require_reflection", "pass_score",
                     "gate_pass")

    def rubric(self, role: str = MENTEE) -> Rubric:
        """The rubric of mentees, or of mentors (`role`: MENTOR)."""
        values = {name: getattr(self, name) for name in self.RUBRIC_FIELDS}
        mentees = Rubric(maximum=float(self.program.score_maximum), **values)
        return for_mentors(mentees, self.mentor_rubric) if role == MENTOR else mentees


class GradeRecord(Model):
    """A graded person's current participation grade in a program, what was last queued for
    the LMS, and the sync state staff see. `claim_token` serialises posting: one worker at a
    time posts a person's scores, so a newer score is never raced by an older one."""

    __tablename__ = "grades_record"
    __table_args__ = (sa.UniqueConstraint("program_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"),
                                           index=True)
    role: Mapped[str] = mapped_column(sa.String(8), default=MENTEE)  # mentee | mentor
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    breakdown: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    score: Mapped[float] = mapped_column(default=0.0)  # the rubric's
    completed: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    activity_progress: Mapped[str] = mapped_column(sa.String(16), default="Initialized")
    missing: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    computed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Staff's word: a score that replaces the rubric's, and a hold that keeps it unposted.
    override_score: Mapped[float | None] = mapped_column()
    override_reason: Mapped[str] = mapped_column(sa.Text, default="")
    held: Mapped[bool] = mapped_column(default=False)
    # The payload last queued (a change of any of these queues a post).
    queued_score: Mapped[float | None] = mapped_column()
    queued_maximum: Mapped[float | None] = mapped_column()
    queued_progress: Mapped[str] = mapped_column(sa.String(16), default="")
    queued_grading: Mapped[str] = mapped_column(sa.String(16), default="")
    queued_comment: Mapped[str] = mapped_column(sa.Text, default="")
    # What the LMS has, as far as the tool knows.
    sync_status: Mapped[str] = mapped_column(sa.String(16), default="")
    sync_error: Mapped[str] = mapped_column(sa.Text, default="")
    last_sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_sent_score: Mapped[float | None] = mapped_column()
    last_sent_change_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The latest AGS timestamp ever attempted: each post goes at least a second later, as
    # Moodle keeps whole seconds and refuses (409) a timestamp not later than its own.
    last_ags_timestamp: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    program: Mapped[Program] = relationship()
    person: Mapped[Person] = relationship()

    @property
    def effective_score(self) -> float:
        return self.score if self.override_score is None else self.override_score

    @property
    def overridden(self) -> bool:
        return self.override_score is not None


class GradeSync(Model):
    """One change of a person's score waiting in (or sent from) the outbox. A worker posts the
    newest pending change of a person and marks the older ones superseded."""

    __tablename__ = "grades_sync"
    __table_args__ = (sa.Index("ix_grades_sync_due", "status", "next_attempt_at"),
                      sa.Index("ix_grades_sync_record", "record_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("grades_record.id", ondelete="CASCADE"))
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"),
                                            index=True)
    resource_link_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("resource_link.id", ondelete="SET NULL"))
    trigger: Mapped[str] = mapped_column(sa.String(32), default="recompute")
    score_given: Mapped[float | None] = mapped_column()
    score_maximum: Mapped[float] = mapped_column()
    activity_progress: Mapped[str] = mapped_column(sa.String(16))
    grading_progress: Mapped[str] = mapped_column(sa.String(16), default="FullyGraded")
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # When the score changed in the tool: newest wins.
    timestamp: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                      default=utcnow)
    # The AGS timestamp of this change, fixed at its first attempt so a retry repeats it.
    ags_timestamp: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    http_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    # Every failed attempt: [{"at": ISO, "status": int | None, "error": text}].
    failures: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    record: Mapped[GradeRecord] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()


class GradeAudit(Model):
    """What staff did to a grade (override, clear, hold, release, resend, rubric change)."""

    __tablename__ = "grades_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("program.id", ondelete="CASCADE"),
                                            index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id",
                                                                ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id",
                                                               ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(32))
    old_score: Mapped[float | None] = mapped_column()
    new_score: Mapped[float | None] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    actor: Mapped[Person | None] = relationship(foreign_keys=[actor_id])
