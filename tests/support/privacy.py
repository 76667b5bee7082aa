"""A published pair's data in every table that names a person (`fill`): what the privacy
tests download, erase and purge."""

from datetime import timedelta

import sqlalchemy as sa

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.grades.models import GradeAudit
from lti_tool.guides.models import Guide, GuideUse
from lti_tool.intake.models import MentorPool
from lti_tool.journal.models import ActionItem, Message, Recap, ThreadState
from lti_tool.meetings.models import Attendance, CalendarFeed, EventRsvp, Meeting, ProgramEvent
from lti_tool.notify.models import PENDING, SENT, Notification
from lti_tool.pairs.models import MentorRequest, Pair
from lti_tool.relationships.models import Story
from lti_tool.surveys.models import SurveyReceipt, SurveyResponse
from lti_tool.timeutil import utcnow
from lti_tool.workspace.models import AgreementVersion, ChecklistTick, Goal, Milestone


def member_ids(app, pair_id: int) -> tuple[int, int, int]:
    """(the mentee's id, the mentor's id, the program's id) of a pair."""
    with app.app_context():
        found = db.session.get(Pair, pair_id)
        return found.mentee_id, found.mentor_id, found.program_id


def fill(app, pair_id) -> None:
    """Something in every table that names a person: Lena (the mentee) and Mona (the mentor)
    each write; a few rows concern only one of them."""
    lena, mona, program_id = member_ids(app, pair_id)
    now = utcnow()
    with app.app_context():
        staff_id = db.session.scalar(sa.select(Person.id).filter_by(subject="1"))
        add = db.session.add_all
        add([Message(pair_id=pair_id, author_id=lena, body="LENA-MSG <b>hi</b>"),
             Message(pair_id=pair_id, author_id=mona, body="MONA-MSG"),
             Recap(pair_id=pair_id, author_id=lena, takeaways="LENA-PRIVATE-RECAP",
                   notes="LENA-NOTES", shared=False),
             Recap(pair_id=pair_id, author_id=lena, takeaways="LENA-SHARED-RECAP", shared=True),
             Recap(pair_id=pair_id, author_id=mona, takeaways="MONA-RECAP"),
             ActionItem(pair_id=pair_id, title="LENA-ACTION", owner_id=lena,
                        created_by_id=lena),
             ActionItem(pair_id=pair_id, title="MONA-ACTION-FOR-LENA", owner_id=lena,
                        created_by_id=mona, status="done", done_at=now),
             AgreementVersion(pair_id=pair_id, number=1, proposed_by_id=lena,
                              confidentiality="LENA-TERMS", mentee_hopes="LENA-HOPES"),
             AgreementVersion(pair_id=pair_id, number=2, proposed_by_id=mona,
                              confidentiality="MONA-TERMS", mentee_hopes="LENA-HOPES",
                              mentor_hopes="MONA-HOPES", mentee_accepted_at=now,
                              mentor_accepted_at=now),
             Goal(pair_id=pair_id, title="LENA-GOAL", created_by_id=lena, updated_by_id=lena,
                  milestones=[Milestone(title="LENA-STEP")]),
             Goal(pair_id=pair_id, title="MONA-GOAL", created_by_id=mona, updated_by_id=lena,
                  reviewed_by_id=lena, reviewed_at=now),
             ChecklistTick(pair_id=pair_id, person_id=lena, item="tech"),
             ThreadState(pair_id=pair_id, person_id=lena),
             SurveyResponse(program_id=program_id, pair_id=pair_id, kind="checkin", rating=4,
                            comment="LENA-SURVEY", answers={"q1": "LENA-ANSWER", "q2": 5},
                            answered_on=now.date(), person_id=lena, role="mentee"),
             SurveyResponse(program_id=program_id, pair_id=pair_id, kind="checkin", rating=2,
                            comment="ANON-SURVEY", answered_on=now.date()),
             SurveyReceipt(pair_id=pair_id, person_id=lena, kind="checkin",
                           round=now.date().isoformat()),
             Story(program_id=program_id, author_id=lena, title="LENA-STORY", body="Story",
                   role="mentee"),
             MentorRequest(program_id=program_id, mentee_id=lena, mentor_id=mona,
                           message="LENA-REQUEST", respond_by=now),
             CalendarFeed(person_id=lena, token="lena-feed-token"),
             MentorPool(person_id=lena, capacity=1),
             GradeAudit(program_id=program_id, person_id=lena, actor_id=staff_id,
                        action="override", reason="STAFF-REASON")])
        meeting = Meeting(pair_id=pair_id, proposed_by_id=lena, status="scheduled",
                          start_at=now - timedelta(days=3), timezone="UTC",
                          agenda="LENA-AGENDA", uid="privacy-test-meeting@pairwise")
        guide = Guide(program_id=program_id, slug="privacy", title="A guide")
        event = ProgramEvent(program_id=program_id, title="Kick-off", start_at=now,
                             timezone="UTC", uid="privacy-test-event@pairwise",
                             created_by_id=staff_id)
        add([meeting, guide, event])
        db.session.flush()
        add([Attendance(meeting_id=meeting.id, occurrence_start=meeting.start_at,
                        person_id=lena, outcome="held"),
             Attendance(meeting_id=meeting.id, occurrence_start=meeting.start_at,
                        person_id=mona, outcome="held"),
             GuideUse(pair_id=pair_id, guide_id=guide.id, chosen_by_id=lena,
                      covered_by_id=lena, covered_at=now),
             EventRsvp(event_id=event.id, person_id=lena, answer="yes"),
             Notification(recipient_id=lena, kind="nudge", subject="To Lena",
                          body="LENA-NOTIFICATION", dedupe_key=f"pair:{pair_id}:nudge:{lena}"),
             Notification(recipient_id=mona, kind="message", subject="New message",
                          body="Lena wrote: LENA-MSG", status=PENDING,
                          dedupe_key=f"message:{pair_id}:{mona}:1"),
             Notification(recipient_id=mona, kind="agreement", subject="Agreement",
                          body="MONA-SENT-NOTIFICATION", status=SENT,
                          dedupe_key=f"agreement:{pair_id}:1:{mona}")])
        db.session.commit()
