"""Whom each meeting moment tells, when, in which language and zone, with which link, and that
it is told once: proposals (and the 48 h reminder of an unanswered one), answers, bookings,
moves, cancellations, reminders before a meeting, "did it happen?" after it, program events.

Lena reads times in New York, Mona in Berlin (tests/support/meeting_clock.py); whoever reads
German here has the launch locale "de", so their dates are German (Babel), and the e-mail says
so in its `lang`. Links go through the landing module, whose `link_for` the `links` fixture
records (tests/support/notified.py)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.meetings import calendars, services
from lti_tool.meetings.recurrence import Recurrence
from tests.support.meeting_clock import NOW, due, in_new_york, pending, told
from tests.support.notified import LINK

ONE_OFF = services.Details(minutes=45, agenda="Your thesis plan")
NOON = in_new_york(date(2027, 3, 1), 12)  # Monday: 18:00 in Berlin
LENA_READS = "Montag 1 März 2027, 12:00 (New York time)"  # in German
MONA_READS = "Monday 1 March 2027, 18:00 (Berlin time)"
LENGTH = timedelta(minutes=45)


def real_now() -> datetime:
    return datetime.now(UTC)


def proposed(members, starts=(NOON,), details=ONE_OFF):
    return services.propose(members.pair, members.lena, list(starts), details)


def accepted(members, starts=(NOON,), details=ONE_OFF):
    """Lena proposes, Mona accepts the first time."""
    meeting = proposed(members, starts, details)
    return services.respond(meeting, members.mona, meeting.options[0].id)


def assert_links_to(row, person, members, links, destination=None) -> None:
    """The row's link is one that `link_for` made for `person`, in the program, to the page."""
    made = dict(zip(_links_made(links), links.made, strict=True))
    assert made[row.link] == (person.id, members.program.id, destination or members.page)


def _links_made(links) -> list[str]:
    return [f"{LINK}&to={number}" for number in range(1, len(links.made) + 1)]


def test_a_proposal_is_told_to_the_other_member(members, links):
    members.mona.locale = "de"
    later = in_new_york(date(2027, 3, 2), 13)
    meeting = proposed(members, [NOON, later])
    [row] = told("meeting_proposed")
    assert row.recipient_id == members.mona.id and due(row) <= real_now()
    assert row.subject == "Lena Learner proposed a meeting"
    assert "Montag 1 März 2027, 18:00 (Berlin time)" in row.body
    assert "Dienstag 2 März 2027, 19:00 (Berlin time)" in row.body
    assert "Your thesis plan" in row.body and 'lang="de"' in row.html
    assert_links_to(row, members.mona, members, links)
    services.respond(meeting, members.mona, meeting.options[0].id)
    assert len(told("meeting_proposed")) == 1


def test_an_unanswered_proposal_comes_back_after_48_hours(members, links):
    members.mona.locale = "de"
    tomorrow = NOW + timedelta(hours=30)  # Thursday 19:00 in Berlin: past when reminded
    meeting = proposed(members, [tomorrow, NOON])
    [row] = told("meeting_unanswered")
    assert row.recipient_id == members.mona.id and row.status == "pending"
    assert due(row) == NOW + timedelta(hours=48)
    assert "Montag 1 März 2027, 18:00 (Berlin time)" in row.body
    assert "Donnerstag" not in row.body and 'lang="de"' in row.html
    assert_links_to(row, members.mona, members, links)
    services.respond(meeting, members.mona, meeting.options[1].id)
    assert [r.status for r in told("meeting_unanswered")] == ["cancelled"]
    proposed(members, [tomorrow])  # every time offered comes before the reminder would
    assert len(told("meeting_unanswered")) == 1


@pytest.mark.parametrize("answer", ["declined", "withdrawn"])
def test_an_answer_or_a_withdrawal_cancels_the_48_hour_reminder(members, answer):
    meeting = proposed(members)
    if answer == "declined":
        services.respond(meeting, members.mona, None)
    else:
        services.cancel(meeting, members.lena, "We met at the conference instead")
    assert [r.status for r in told("meeting_unanswered")] == ["cancelled"]


def test_a_declined_proposal_is_told_to_the_proposer(members, links):
    members.lena.locale = "de"
    meeting = proposed(members)
    services.respond(meeting, members.mona, None)
    [row] = told("meeting_declined")
    assert row.recipient_id == members.lena.id and due(row) <= real_now()
    assert row.subject == "Mona Mentor declined your meeting proposal"
    assert 'lang="de"' in row.html
    assert_links_to(row, members.lena, members, links)
    with pytest.raises(services.MeetingError, match="already answered"):
        services.respond(meeting, members.mona, None)
    assert len(told("meeting_declined")) == 1


def test_an_accepted_proposal_is_told_to_both_with_the_invitation(members, links):
    members.lena.locale = "de"
    meeting = accepted(members)
    to_lena, to_mona = told("meeting_accepted", members.lena), told("meeting_accepted",
                                                                     members.mona)
    assert len(to_lena) == len(to_mona) == 1
    assert to_lena[0].subject == "Mona Mentor accepted your meeting proposal"
    assert to_mona[0].subject == "Your meeting with Lena Learner is scheduled"
    assert LENA_READS in to_lena[0].body  # with Mona's own time beside it, in German
    assert "For Mona Mentor: Montag 1 März 2027, 18:00 (Berlin time)" in to_lena[0].body
    assert MONA_READS in to_mona[0].body and "12:00 (New York time)" in to_mona[0].body
    for row, person in ((to_lena[0], members.lena), (to_mona[0], members.mona)):
        assert row.calendar_method == "REQUEST" and meeting.uid in row.calendar
        assert due(row) <= real_now()
        assert_links_to(row, person, members, links)
    with pytest.raises(services.MeetingError):
        services.respond(meeting, members.mona, meeting.options[0].id)
    assert len(told("meeting_accepted")) == 2


def test_a_booking_is_told_to_both_with_the_invitation(members, links):
    members.mona.locale = "de"
    slot = services.open_times(members.pair, 45)[0]  # Wednesday 18:00 in Berlin
    services.book(members.pair, members.lena, slot.start, services.Details(minutes=45))
    [to_mona] = told("meeting_booked", members.mona)
    [to_lena] = told("meeting_booked", members.lena)
    assert to_mona.subject == "Lena Learner booked a meeting with you"
    assert "Mittwoch 24 Februar 2027, 18:00 (Berlin time)" in to_mona.body
    assert to_lena.subject == "Your meeting with Mona Mentor is booked"
    assert "Wednesday 24 February 2027, 12:00 (New York time)" in to_lena.body
    for row, person in ((to_mona, members.mona), (to_lena, members.lena)):
        assert row.calendar_method == "REQUEST" and due(row) <= real_now()
        assert_links_to(row, person, members, links)
    with pytest.raises(services.MeetingError, match="open times any more"):
        services.book(members.pair, members.lena, slot.start, services.Details(minutes=45))
    assert len(told("meeting_booked")) == 2


def test_a_move_is_told_to_both_at_the_new_time(members, links):
    members.lena.locale = "de"
    meeting = accepted(members)
    wednesday = in_new_york(date(2027, 3, 3), 12)
    services.reschedule(meeting, members.mona, wednesday, "a workshop on Monday")
    [to_lena] = told("meeting_moved", members.lena)
    [to_mona] = told("meeting_moved", members.mona)
    assert to_lena.subject == "Mona Mentor moved your meeting"
    assert "Mittwoch 3 März 2027, 12:00 (New York time)" in to_lena.body
    assert "a workshop on Monday" in to_lena.body and 'lang="de"' in to_lena.html
    assert to_mona.subject == "You moved your meeting with Lena Learner"
    for row, person in ((to_lena, members.lena), (to_mona, members.mona)):
        assert "SEQUENCE:1" in row.calendar and due(row) <= real_now()
        assert_links_to(row, person, members, links)


def test_moving_one_meeting_of_a_series_tells_its_own_new_time(members):
    series = accepted(members, details=services.Details(
        minutes=45, recurrence=Recurrence("weekly", count=3)))
    second, moved_to = NOON + timedelta(weeks=1), in_new_york(date(2027, 3, 10), 9)
    services.reschedule(series, members.mona, moved_to, "a workshop", second)
    [to_lena] = told("meeting_moved", members.lena)
    assert "Wednesday 10 March 2027, 09:00 (New York time)" in to_lena.body
    assert "Repeats" not in to_lena.body  # about this meeting, not the series


def test_a_cancellation_is_told_to_both(members, links):
    members.mona.locale = "de"
    meeting = accepted(members)
    services.cancel(meeting, members.lena, "I am ill")
    [to_mona] = told("meeting_cancelled", members.mona)
    [to_lena] = told("meeting_cancelled", members.lena)
    assert to_mona.subject == "Lena Learner cancelled your meeting"
    assert "Montag 1 März 2027, 18:00 (Berlin time)" in to_mona.body
    assert "I am ill" in to_mona.body and 'lang="de"' in to_mona.html
    assert to_lena.subject == "You cancelled your meeting with Mona Mentor"
    for row, person in ((to_mona, members.mona), (to_lena, members.lena)):
        assert row.calendar_method == "CANCEL" and due(row) <= real_now()
        assert_links_to(row, person, members, links)
    with pytest.raises(services.MeetingError, match="not scheduled any more"):
        services.cancel(meeting, members.lena, "again")
    assert len(told("meeting_cancelled")) == 2


def test_reminders_a_day_and_an_hour_before_follow_a_move(members, links):
    members.lena.locale = "de"
    meeting = accepted(members)
    for person in (members.lena, members.mona):
        rows = pending("meeting_reminder", person)
        assert sorted(due(r) for r in rows) == [NOON - timedelta(hours=24),
                                                NOON - timedelta(hours=1)]
        for row in rows:
            assert_links_to(row, person, members, links)
    [tomorrow] = [r for r in pending("meeting_reminder", members.lena)
                  if r.dedupe_key.endswith(":24h")]
    assert tomorrow.subject == "Reminder: meeting with Mona Mentor tomorrow"
    assert LENA_READS in tomorrow.body and 'lang="de"' in tomorrow.html
    wednesday = in_new_york(date(2027, 3, 3), 12)
    services.reschedule(meeting, members.mona, wednesday, "a workshop on Monday")
    for person in (members.lena, members.mona):  # one of each, at the new time only
        assert sorted(due(r) for r in pending("meeting_reminder", person)) == [
            wednesday - timedelta(hours=24), wednesday - timedelta(hours=1)]
    assert {r.status for r in told("meeting_reminder") if ":reminder:0:" in r.dedupe_key} == {
        "cancelled"}


def test_did_it_happen_is_asked_after_each_meeting_of_a_series(members, links, clock):
    members.lena.locale = "de"
    series = accepted(members, details=services.Details(
        minutes=45, recurrence=Recurrence("weekly", count=3)))
    # At noon in New York each week: 16:00 UTC from 14 March, when New York changes clocks.
    starts = [in_new_york(date(2027, 3, 1) + timedelta(weeks=week), 12) for week in range(3)]
    for person in (members.lena, members.mona):
        rows = pending("meeting_outcome", person)
        assert sorted(due(r) for r in rows) == [start + LENGTH for start in starts]
        for row in rows:
            assert_links_to(row, person, members, links)
    first = min(pending("meeting_outcome", members.lena), key=due)
    assert first.subject == "Did your meeting with Mona Mentor happen?"
    assert LENA_READS in first.body and 'lang="de"' in first.html

    moved_to = in_new_york(date(2027, 3, 10), 9)
    services.reschedule(series, members.mona, moved_to, "a workshop", starts[1])
    services.cancel(series, members.lena, "a holiday", starts[2])
    for person in (members.lena, members.mona):  # asked once per meeting, at its new end
        assert sorted(due(r) for r in pending("meeting_outcome", person)) == [
            starts[0] + LENGTH, moved_to + LENGTH]

    clock.now = starts[0] + timedelta(hours=2)
    services.record_attendance(series, members.lena, starts[0], "held")
    assert [due(r) for r in pending("meeting_outcome", members.lena)] == [moved_to + LENGTH]
    assert len(pending("meeting_outcome", members.mona)) == 2  # Mona has not said yet


def test_a_cancelled_meeting_asks_nothing_afterwards(members):
    meeting = accepted(members)
    assert len(pending("meeting_outcome")) == 2
    services.cancel(meeting, members.mona, "I have to travel")
    assert pending("meeting_outcome") == [] and pending("meeting_reminder") == []


def test_program_events_are_told_to_participants_and_their_cancellation_to_those_coming(
        members, links):
    members.lena.locale = "de"
    staff = db.session.scalars(sa.select(Person).filter_by(subject="1")).one()
    event = calendars.create_event(
        members.program, staff, title="Spring meetup", description="Coffee and cake",
        day=date(2027, 3, 4), at=time(17), timezone="Europe/Berlin", minutes=90,
        modality="in_person", location="Library café")
    rows = told("program_event")
    assert {r.recipient_id for r in rows} == {members.lena.id, members.mona.id}
    [to_lena] = told("program_event", members.lena)
    assert to_lena.subject == "New event: Spring meetup"
    assert "Donnerstag 4 März 2027, 11:00 (New York time)" in to_lena.body
    assert "Library café" in to_lena.body and 'lang="de"' in to_lena.html
    for row in rows:
        assert due(row) <= real_now()
        assert_links_to(row, db.session.get(Person, row.recipient_id), members, links,
                        "/events")
    calendars.rsvp(event, members.lena, "yes")
    calendars.rsvp(event, members.mona, "no")
    calendars.cancel_event(event)
    [cancelled] = told("program_event_cancelled")
    assert cancelled.recipient_id == members.lena.id
    assert cancelled.subject == "Cancelled: Spring meetup"
    assert "Donnerstag 4 März 2027, 11:00 (New York time)" in cancelled.body
    assert_links_to(cancelled, members.lena, members, links, "/events")
    with pytest.raises(services.MeetingError, match="already cancelled"):
        calendars.cancel_event(event)
    assert len(told("program_event_cancelled")) == 1
