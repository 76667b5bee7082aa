""""What needs you" at the top of each home: every item on the home of the person it waits for,
with its count and the link to its page, on nobody else's; never another program's; and a
plain empty state."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_date
from sqlalchemy import event

from lti_tool.courses.models import Enrolment, Person, Program, Role
from lti_tool.extensions import db
from lti_tool.grades.models import GradeRecord
from lti_tool.homes.needs import staff_needs
from lti_tool.intake.models import Mentor
from lti_tool.journal.models import ActionItem, Message
from lti_tool.pairs.models import MentorRequest, Pair
from lti_tool.timeutil import utcnow
from tests.support.clients import Participant
from tests.support.homes import meeting, needs_on, program_of
from tests.support.meetings import candidate_values, page_of, propose
from tests.support.pairs import age_pair, followed, person_id, profile
from tests.support.workspace import propose as propose_agreement

ELSEWHERE = {"id": "other-course", "title": "Elsewhere"}
STAFF_KINDS = {"unmatched", "volunteers", "at_risk", "disagreements", "refused"}


def _in(app, call):
    """`call()` inside an app context, committed."""
    with app.app_context():
        result = call()
        db.session.commit()
        return result


def test_nothing_waits_for_a_new_pair_and_the_homes_say_so(app, pair):
    staff, mona, lena, _ = pair
    for person in (staff, mona, lena):
        assert needs_on(person) == {}
    page = lena.get("/").data
    assert page.index(b"What needs you") < page.index(b"You are taking part")  # at the top
    assert b"style=" not in page.split(b'id="needs-h"')[1].split(b"</section>")[0]


def test_a_proposal_an_agreement_and_messages_wait_for_the_other_member(app, pair):
    _, mona, lena, pair_id = pair
    first = candidate_values(page_of(lena, pair_id))[0]
    followed(lena, propose(lena, pair_id, slots=[first]))
    followed(lena, propose_agreement(lena, pair_id))
    for body in ("Hello Mona", "One more thing"):
        followed(lena, lena.post(f"/pairs/{pair_id}/messages", {"body": body},
                                 page=f"/pairs/{pair_id}/messages"))

    shown = needs_on(mona)
    assert shown["proposals"].label == "1 meeting proposal to answer"
    assert shown["proposals"].link == f"/pairs/{pair_id}/meetings"
    offered = datetime.fromisoformat(first).astimezone(UTC).date()
    with app.test_request_context():
        assert shown["proposals"].after == (
            f"first time offered: {format_date(offered, 'EEEE d MMMM')}")
    assert shown["agreement"].label == "1 mentoring agreement to accept"
    assert shown["agreement"].link == f"/pairs/{pair_id}/agreement"
    assert shown["messages"].label == "2 new messages"
    assert shown["messages"].link == f"/pairs/{pair_id}/messages"
    assert list(shown) == ["proposals", "agreement", "messages"]  # the most pressing first
    assert needs_on(lena) == {}  # all of it waits for Mona, not for Lena who did it

    mona.get(f"/pairs/{pair_id}/messages")  # read
    assert "messages" not in needs_on(mona)


def test_action_items_due_soon_or_overdue_wait_for_their_owner(app, pair):
    _, mona, lena, pair_id = pair
    lena_id, mona_id = person_id(app, "10"), person_id(app, "2")
    today = utcnow().date()

    def items():
        for owner, due, status in ((lena_id, today + timedelta(days=1), "open"),
                                   (lena_id, today - timedelta(days=3), "open"),
                                   (lena_id, today - timedelta(days=2), "open"),
                                   (lena_id, today - timedelta(days=1), "done"),
                                   (lena_id, today + timedelta(days=5), "open"),
                                   (mona_id, today + timedelta(days=9), "open")):
            db.session.add(ActionItem(pair_id=pair_id, title="Read", owner_id=owner,
                                      due_on=due, status=status, created_by_id=owner))
    _in(app, items)

    shown = needs_on(lena)
    assert list(shown) == ["actions_overdue", "actions_due"]  # overdue first
    assert shown["actions_overdue"].label == "2 action items overdue"
    assert shown["actions_overdue"].overdue and not shown["actions_due"].overdue
    assert shown["actions_due"].label == "1 action item due soon"
    assert {need.link for need in shown.values()} == {f"/pairs/{pair_id}/journal"}
    with app.test_request_context():
        assert shown["actions_overdue"].after == (
            f"was due {format_date(today - timedelta(days=3), 'EEEE d MMMM')}")
    assert needs_on(mona) == {}


def test_a_checkin_due_waits_for_each_member_until_they_answer(app, pair):
    _, mona, lena, pair_id = pair
    age_pair(app, pair_id, 8)
    for person in (mona, lena):
        shown = needs_on(person)
        assert shown["checkin"].label == "1 check-in to answer"
        assert shown["checkin"].link == f"/pairs/{pair_id}/checkin"
    followed(lena, lena.post(f"/pairs/{pair_id}/checkin", {"rating": 4, "comment": ""},
                             page=f"/pairs/{pair_id}/checkin"))
    assert "checkin" not in needs_on(lena) and "checkin" in needs_on(mona)


def test_a_meeting_that_ended_waits_for_each_members_word(app, pair):
    _, mona, lena, pair_id = pair
    lena_id = person_id(app, "10")
    now = utcnow()

    def meetings():
        the_pair = db.session.get(Pair, pair_id)
        meeting(the_pair, now - timedelta(days=2))
        meeting(the_pair, now - timedelta(days=3), answers={lena_id: "held"})
        meeting(the_pair, now - timedelta(days=30))  # too long ago to ask
        meeting(the_pair, now + timedelta(days=2))  # not yet
    _in(app, meetings)

    assert needs_on(mona)["unconfirmed"].label == "2 meetings to confirm: did they happen?"
    shown = needs_on(lena)["unconfirmed"]
    assert shown.label == "1 meeting to confirm: did it happen?"
    assert shown.link == f"/pairs/{pair_id}/meetings#past-h"


def test_requests_wait_for_the_mentor_by_their_deadline_and_show_to_the_mentee(
        app, platform, pair):
    _, mona, lena, _ = pair
    luis = Participant(app, platform, "11", "Learner", "Luis Learner")
    deadline = utcnow() + timedelta(days=3)

    def request():
        program = db.session.scalars(sa.select(Program)).one()
        program.mentee_choice = True
        people = {p.subject: p for p in db.session.scalars(sa.select(Person))}
        profile(program, people["11"], topics=["Leadership"], tz="UTC", hours=[(0, 12)])
        db.session.add(MentorRequest(program_id=program.id, mentee_id=people["11"].id,
                                     mentor_id=people["2"].id, respond_by=deadline))
    _in(app, request)

    asked = needs_on(mona)["requests"]
    assert asked.label == "1 mentee asks you to be their mentor" and asked.link == "/#requests-h"
    with app.test_request_context():
        assert asked.after == f"answer by {format_date(deadline.date(), 'EEEE d MMMM')}"
    waiting = needs_on(luis)
    assert list(waiting) == ["my_request"]
    assert waiting["my_request"].label == "1 request waiting for a mentor's answer"
    assert waiting["my_request"].link == "/#my-requests-h"
    assert needs_on(lena) == {}
    assert b'id="requests-h"' in mona.get("/").data  # where the link lands


def test_a_mentor_of_two_sees_whose_pair_each_item_is_about(app, platform, pair):
    _, mona, lena, pair_id = pair
    Participant(app, platform, "11", "Learner", "Luis Learner")

    def second_pair():
        program = db.session.scalars(sa.select(Program)).one()
        luis, mona_row = (db.session.scalars(sa.select(Person).filter_by(subject=s)).one()
                          for s in ("11", "2"))
        other = Pair(program_id=program.id, mentee_id=luis.id, mentor_id=mona_row.id)
        db.session.add(other)
        db.session.flush()
        db.session.add(Message(pair_id=other.id, author_id=luis.id, body="Hi"))
        return other.id
    luis_pair = _in(app, second_pair)

    shown = needs_on(mona)["messages"]
    assert shown.label == "1 new message" and shown.link == f"/pairs/{luis_pair}/messages"
    assert shown.after == "with Luis Learner"
    assert needs_on(lena) == {}


def test_staff_see_what_waits_in_their_program_only(app, platform, pair):
    staff, mona, lena, pair_id = pair
    Participant(app, platform, "11", "Learner", "Luis Learner")
    Participant(app, platform, "12", "Learner", "Vera Volunteer")
    olga = Participant(app, platform, "50", "Instructor", "Olga Other", context=ELSEWHERE)
    lena_elsewhere = Participant(app, platform, "10", "Learner", "Lena Learner",
                                 context=ELSEWHERE)
    age_pair(app, pair_id, 50)  # inactive since the match

    def rows():
        program = program_of("1")
        the_pair = db.session.get(Pair, pair_id)
        vera = db.session.scalars(sa.select(Person).filter_by(subject="12")).one()
        db.session.add(Mentor(program_id=program.id, person_id=vera.id, source="volunteer",
                              approved=False))
        meeting(the_pair, utcnow() - timedelta(days=5),
                answers={the_pair.mentee_id: "held", the_pair.mentor_id: "missed"})
        meeting(the_pair, utcnow() - timedelta(days=6),
                answers={the_pair.mentee_id: "held", the_pair.mentor_id: "held"})
        records = {r.person_id: r for r in db.session.scalars(
            sa.select(GradeRecord).filter_by(program_id=program.id))}
        records[the_pair.mentee_id].sync_status = "rejected"  # the LMS refused Lena's score
        records.setdefault(the_pair.mentor_id, GradeRecord(
            program_id=program.id, person_id=the_pair.mentor_id)).sync_status = "sent"
        db.session.add_all(records.values())
        db.session.add(Message(pair_id=pair_id, author_id=the_pair.mentor_id, body="Hi"))
        profile(program_of("10", ELSEWHERE["id"]), db.session.get(Person, the_pair.mentee_id),
                topics=["Leadership"], tz="UTC", hours=[(0, 12)])
    _in(app, rows)

    shown = needs_on(staff)
    assert {kind: (need.label, need.link) for kind, need in shown.items()} == {
        "unmatched": ("2 learners without a mentor", "/matching"),
        "volunteers": ("1 volunteer mentor to approve", "/mentors"),
        "at_risk": ("1 pair at risk or inactive", "/dashboard"),
        "disagreements": ("1 meeting the pair describe differently", "/#disputed-h"),
        "refused": ("1 score the LMS refused", "/grades"),
    }
    assert b'id="disputed-h"' in staff.get("/").data
    # The other course's program: its own learner without a mentor, nothing of the first's.
    assert {kind: need.label for kind, need in needs_on(olga).items()} == {
        "unmatched": "1 learner without a mentor"}
    # Lena's message waits in the first program only; staff's items are never a participant's.
    assert needs_on(lena_elsewhere) == {}
    assert set(needs_on(lena)) == {"messages", "checkin"}  # the pair is 50 days old
    assert not STAFF_KINDS & set(needs_on(mona))


def test_staff_needs_take_the_same_queries_however_many_pairs(app, pair):
    def queries_for_needs() -> int:
        with app.test_request_context():
            program = program_of("1")
            statements = []

            def count(*_args):
                statements.append(1)

            event.listen(db.engine, "before_cursor_execute", count)
            try:
                staff_needs(program)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            db.session.commit()
            return len(statements)

    queries_for_needs()  # the first stores the program's settings and health
    one_pair = queries_for_needs()

    def more_pairs():
        program = program_of("1")
        mentor = db.session.scalars(sa.select(Person).filter_by(subject="2")).one()
        for n in range(5):
            learner = Person(platform_id=mentor.platform_id, subject=f"x{n}", name=f"L {n}")
            db.session.add(learner)
            db.session.flush()
            db.session.add(Enrolment(course_id=program.course_id, person_id=learner.id,
                                     role=Role.LEARNER))
            added = Pair(program_id=program.id, mentee_id=learner.id, mentor_id=mentor.id)
            db.session.add(added)
            db.session.flush()
            meeting(added, utcnow() - timedelta(days=2),
                    answers={learner.id: "held", mentor.id: "missed"})
    _in(app, more_pairs)
    queries_for_needs()
    assert queries_for_needs() == one_pair

