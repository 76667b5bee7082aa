"""Three defects of the calendar output (issue 15, item 6), each reproduced here: a series
checked for clashes in the acting member's zone instead of the one it repeats in, a CANCEL sent
only to the other member, and the CANCEL of a moved occurrence carrying its original time."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from lti_tool.extensions import db
from lti_tool.intake.models import Profile
from lti_tool.meetings import services
from lti_tool.meetings.recurrence import Recurrence
from tests.support.meeting_clock import BERLIN, NEW_YORK, in_new_york, told

WEEKLY = services.Details(minutes=45, recurrence=Recurrence("weekly", count=4))
ONE_OFF = services.Details(minutes=45)
# Monday 15 March 2027, noon in New York: the third meeting of a weekly series from 1 March.
# New York has moved its clocks (16:00 UTC) and Berlin not yet: the same series counted at
# Berlin's 18:00 would put it at 17:00 UTC, past a one-off booked at noon New York time.
CLASH = in_new_york(date(2027, 3, 15), 12)


def scheduled(members, by, start, details):
    """`by` proposes one time; the other member accepts it."""
    meeting = services.propose(members.pair, by, [start], details)
    other = services.other_member(members.pair, by)
    return services.respond(meeting, other, meeting.options[0].id)


def live_in(members, person, zone: str) -> None:
    profile = db.session.scalars(sa.select(Profile).filter_by(person_id=person.id)).one()
    profile.timezone = zone
    db.session.flush()


@pytest.mark.parametrize("mentor_zone", [BERLIN, NEW_YORK])
def test_accepting_a_series_checks_clashes_where_the_series_repeats(members, mentor_zone):
    live_in(members, members.mona, mentor_zone)
    series = services.propose(members.pair, members.lena,
                              [in_new_york(date(2027, 3, 1), 12)], WEEKLY)
    scheduled(members, members.lena, CLASH, ONE_OFF)  # booked while the series waits
    with pytest.raises(services.MeetingError, match="overlaps the meeting with"):
        services.respond(series, members.mona, series.options[0].id)
    assert series.status == "proposed"


def test_moving_a_whole_series_checks_clashes_where_the_series_repeats(members):
    series = scheduled(members, members.lena, in_new_york(date(2027, 3, 2), 12), WEEKLY)
    scheduled(members, members.lena, CLASH, ONE_OFF)
    sequence = series.sequence
    # Mona (Berlin) moves the whole New York series to Mondays at noon New York time.
    with pytest.raises(services.MeetingError, match="overlaps the meeting with"):
        services.reschedule(series, members.mona, in_new_york(date(2027, 3, 1), 12),
                            "Mondays suit me better")
    assert series.sequence == sequence
    # Where nothing clashes the series moves, still repeating at noon in New York.
    services.reschedule(series, members.mona, in_new_york(date(2027, 3, 3), 12),
                        "Wednesdays, then")
    walls = [o.start.astimezone(ZoneInfo(NEW_YORK)).hour for o in services.occurrences(series)]
    assert walls == [12, 12, 12, 12]


def test_a_cancel_reaches_both_members_calendars(members):
    meeting = scheduled(members, members.lena, in_new_york(date(2027, 3, 1), 12), ONE_OFF)
    services.cancel(meeting, members.mona, "I have to travel")
    rows = told("meeting_cancelled")
    assert {row.recipient_id for row in rows} == {members.lena.id, members.mona.id}
    for row in rows:
        assert row.calendar_method == "CANCEL"
        [event] = Calendar.from_ical(row.calendar).walk("VEVENT")
        assert str(event["UID"]) == meeting.uid and event.decoded("SEQUENCE") == 1
        assert str(event["STATUS"]) == "CANCELLED"


def test_the_cancel_of_a_moved_meeting_carries_its_new_time(members):
    series = scheduled(members, members.lena, in_new_york(date(2027, 3, 1), 12), WEEKLY)
    second, moved_to = in_new_york(date(2027, 3, 8), 12), in_new_york(date(2027, 3, 10), 9)
    services.reschedule(series, members.mona, moved_to, "a workshop on Monday", second)
    services.cancel(series, members.lena, "I am ill that week", second)
    for row in told("meeting_cancelled"):
        [event] = Calendar.from_ical(row.calendar).walk("VEVENT")
        # RFC 5546 3.2.5: RECURRENCE-ID names the occurrence by its original start; DTSTART
        # is where the override in the attendee's calendar has it now.
        assert _instant(event.decoded("RECURRENCE-ID")) == second
        assert _instant(event.decoded("DTSTART")) == moved_to
        assert _instant(event.decoded("DTEND")) == moved_to + timedelta(minutes=45)
    # The series the calendars get next leaves that occurrence out, without an override.
    calendar = Calendar.from_ical(services.ics.meeting_file(services.calendar_event(series)))
    [master] = calendar.walk("VEVENT")
    assert [_instant(d.dt) for d in master["EXDATE"].dts] == [second]


def _instant(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo("UTC"))
