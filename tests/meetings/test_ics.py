"""iCalendar output, parsed back with icalendar: VTIMEZONEs that agree with zoneinfo through
both 2024 changes in New York and Berlin, series as RRULE + EXDATE + RECURRENCE-ID overrides,
and iTIP METHODs with a stable UID and SEQUENCE."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Timezone

from lti_tool.meetings.ics import (
    IcsError,
    MeetingEvent,
    Party,
    build_calendar,
    cancellation,
    feed,
    invitation,
    meeting_file,
    new_uid,
    occurrence_cancellation,
    vtimezone,
)
from lti_tool.meetings.localtime import to_utc
from lti_tool.meetings.recurrence import Recurrence, expand

NY, BERLIN = "America/New_York", "Europe/Berlin"
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
ANA = Party("ana@example.edu", "Ana Lima")
BEN = Party("ben@example.de", "Ben Vogel")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ny(day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(day, time(hour, minute), NY)


def meeting(**changes) -> MeetingEvent:
    start = ny(date(2024, 3, 5), 9)
    values = dict(uid="m-1@pairwise", sequence=0, start_utc=start,
                  end_utc=start + timedelta(minutes=45), timezone=NY, title="Mentoring: Ana & Ben",
                  description="Talk about the thesis plan.", url="https://meet.jit.si/pairwise-x",
                  organizer=ANA, attendees=(BEN,))
    return MeetingEvent(**{**values, **changes})


SERIES = Recurrence("weekly", count=6).cancel(ny(date(2024, 3, 12), 9)).move(
    ny(date(2024, 3, 19), 9), ny(date(2024, 3, 21), 10))


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def events(calendar: Calendar):
    return calendar.walk("VEVENT")


def test_one_meeting_as_a_file():
    calendar = parse(meeting_file(meeting(), now=NOW))
    assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0"
    [event] = events(calendar)
    assert event["DTSTART"].params["TZID"] == NY
    assert event.decoded("DTSTART") == datetime(2024, 3, 5, 9, tzinfo=ZoneInfo(NY))
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)
    assert event.decoded("DTSTAMP") == NOW
    assert (str(event["UID"]), event.decoded("SEQUENCE")) == ("m-1@pairwise", 0)
    assert str(event["SUMMARY"]) == "Mentoring: Ana & Ben"
    assert "Join the video call: https://meet.jit.si/pairwise-x" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == str(event["LOCATION"]) == "https://meet.jit.si/pairwise-x"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == [NY]
    assert calendar.get_missing_tzids() == set()


def test_in_person_meetings_carry_their_location():
    [event] = events(parse(meeting_file(meeting(url=None, location="Library, room 2"))))
    assert str(event["LOCATION"]) == "Library, room 2" and "URL" not in event
    assert str(event["DESCRIPTION"]) == "Talk about the thesis plan."


def test_an_invitation_names_organiser_and_attendees():
    calendar = parse(invitation(meeting(sequence=3), now=NOW))
    assert calendar["METHOD"] == "REQUEST"
    [event] = events(calendar)
    assert event.decoded("SEQUENCE") == 3
    assert str(event["ORGANIZER"]) == "mailto:ana@example.edu"
    assert event["ORGANIZER"].params["CN"] == "Ana Lima"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:ben@example.de"
    assert (attendee.params["ROLE"], attendee.params["PARTSTAT"], attendee.params["RSVP"]) == (
        "REQ-PARTICIPANT", "NEEDS-ACTION", "TRUE")


def test_an_update_keeps_the_uid_and_raises_the_sequence():
    first = meeting()
    moved = replace(first, sequence=first.sequence + 1, start_utc=ny(date(2024, 3, 6), 9),
                    end_utc=ny(date(2024, 3, 6), 9, 45))
    [before] = events(parse(invitation(first, now=NOW)))
    [after] = events(parse(invitation(moved, now=NOW + timedelta(hours=1))))
    assert str(before["UID"]) == str(after["UID"])
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert after.decoded("DTSTAMP") > before.decoded("DTSTAMP")


def test_itip_needs_e_mail_addresses():
    with pytest.raises(IcsError, match="organiser's and the attendees' e-mail"):
        invitation(meeting(organizer=None))
    with pytest.raises(IcsError, match="organiser's and the attendees' e-mail"):
        cancellation(meeting(attendees=()))


def test_a_series_with_a_cancelled_and_a_moved_meeting():
    calendar = parse(invitation(meeting(recurrence=SERIES, sequence=2), now=NOW))
    master, override = events(calendar)
    assert master["RRULE"]["FREQ"] == ["WEEKLY"] and master["RRULE"]["COUNT"] == [6]
    exdate = master["EXDATE"]
    assert exdate.params["TZID"] == NY
    assert [d.dt for d in exdate.dts] == [datetime(2024, 3, 12, 9, tzinfo=ZoneInfo(NY))]
    assert str(override["UID"]) == str(master["UID"])
    assert override.decoded("SEQUENCE") == master.decoded("SEQUENCE") == 2
    assert override["RECURRENCE-ID"].params["TZID"] == NY
    assert override.decoded("RECURRENCE-ID") == datetime(2024, 3, 19, 9, tzinfo=ZoneInfo(NY))
    assert override.decoded("DTSTART") == datetime(2024, 3, 21, 10, tzinfo=ZoneInfo(NY))
    assert override.decoded("DTEND") == datetime(2024, 3, 21, 10, 45, tzinfo=ZoneInfo(NY))
    assert "RRULE" not in override


def test_the_parsed_rule_gives_the_meetings_pairwise_shows():
    event = meeting(recurrence=SERIES)
    calendar = parse(meeting_file(event))
    master, override = events(calendar)
    rule = rrulestr(master["RRULE"].to_ical().decode(), dtstart=master.decoded("DTSTART"))
    excluded = {d.dt for d in master["EXDATE"].dts}
    moved = {override.decoded("RECURRENCE-ID"): override.decoded("DTSTART")}
    from_file = sorted(moved.get(start, start) for start in rule if start not in excluded)
    shown = [o.start for o in expand(event.start_utc, event.duration, NY, SERIES)]
    assert [start.astimezone(UTC) for start in from_file] == shown
    # The wall time is kept: 09:00 in New York is 14:00 UTC before 10 March, 13:00 after.
    assert [start.hour for start in shown] == [14, 14, 13, 13, 13]


def test_a_series_until_a_date_has_its_until_in_utc():
    recurrence = Recurrence("monthly", until=date(2024, 6, 30))
    [event] = events(parse(meeting_file(meeting(recurrence=recurrence))))
    rule = event["RRULE"]
    assert rule["FREQ"] == ["MONTHLY"] and rule["BYDAY"] == ["1TU"]
    assert rule["UNTIL"][0] == utc(2024, 7, 1, 3, 59, 59)


def test_cancelling_the_whole_series():
    calendar = parse(cancellation(meeting(recurrence=SERIES, sequence=3), now=NOW))
    assert calendar["METHOD"] == "CANCEL"
    [event] = events(calendar)  # no overrides: the whole UID goes
    assert (str(event["STATUS"]), event.decoded("SEQUENCE")) == ("CANCELLED", 3)
    assert str(event["UID"]) == "m-1@pairwise" and "RECURRENCE-ID" not in event


def test_cancelling_one_meeting_of_a_series():
    event = meeting(recurrence=SERIES, sequence=4)
    calendar = parse(occurrence_cancellation(event, ny(date(2024, 3, 26), 9), now=NOW))
    assert calendar["METHOD"] == "CANCEL"
    [cancelled] = events(calendar)
    assert cancelled.decoded("RECURRENCE-ID") == datetime(2024, 3, 26, 9, tzinfo=ZoneInfo(NY))
    assert str(cancelled["STATUS"]) == "CANCELLED" and cancelled.decoded("SEQUENCE") == 4
    # A moved one is cancelled where it now is, named by where it was.
    [moved] = events(parse(occurrence_cancellation(event, ny(date(2024, 3, 19), 9))))
    assert moved.decoded("DTSTART") == datetime(2024, 3, 21, 10, tzinfo=ZoneInfo(NY))
    with pytest.raises(IcsError, match="no meeting at that time"):
        occurrence_cancellation(event, ny(date(2024, 3, 27), 9))
    with pytest.raises(IcsError, match="Only a meeting of a series"):
        occurrence_cancellation(meeting(), ny(date(2024, 3, 5), 9))


def test_a_feed_of_meetings_in_several_zones():
    berlin_start = to_utc(date(2024, 10, 28), time(18), BERLIN)
    meetings = [
        meeting(recurrence=SERIES),
        meeting(uid="m-2@pairwise", timezone=BERLIN, start_utc=berlin_start,
                end_utc=berlin_start + timedelta(hours=1)),
        meeting(uid="m-3@pairwise", timezone="UTC", cancelled=True),
    ]
    calendar = parse(feed(meetings, name="Ana's mentoring", now=NOW))
    assert calendar["METHOD"] == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Ana's mentoring"
    assert sorted(tz["TZID"] for tz in calendar.walk("VTIMEZONE")) == [NY, BERLIN]
    assert calendar.get_missing_tzids() == set()
    found = {(str(e["UID"]), "RECURRENCE-ID" in e): e for e in events(calendar)}
    assert set(found) == {("m-1@pairwise", False), ("m-1@pairwise", True),
                          ("m-2@pairwise", False), ("m-3@pairwise", False)}
    berlin = found[("m-2@pairwise", False)]
    assert berlin["DTSTART"].params["TZID"] == BERLIN
    assert berlin.decoded("DTSTART").astimezone(UTC) == utc(2024, 10, 28, 17)
    in_utc = found[("m-3@pairwise", False)]
    assert in_utc["DTSTART"].to_ical() == b"20240305T140000Z"
    assert str(in_utc["STATUS"]) == "CANCELLED"


def test_the_second_of_two_wall_times_is_written_in_utc():
    start = utc(2024, 11, 3, 6, 30)  # 01:30 EST, after 01:30 EDT
    [event] = events(parse(meeting_file(meeting(start_utc=start,
                                                end_utc=start + timedelta(minutes=30)))))
    assert event["DTSTART"].to_ical() == b"20241103T063000Z"
    assert event["DTEND"].params["TZID"] == NY  # 02:00 EST happens once
    assert event.decoded("DTEND") == datetime(2024, 11, 3, 2, tzinfo=ZoneInfo(NY))


@pytest.mark.parametrize("timezone", [NY, BERLIN, "Australia/Lord_Howe", "Asia/Kathmandu",
                                      "Pacific/Auckland"])
def test_vtimezone_agrees_with_zoneinfo_hour_by_hour(timezone):
    """Read back as icalendar reads any VTIMEZONE (not by looking its name up), the offsets
    match zoneinfo through 2024 and 2025: every 6 hours, and every 15 minutes within a day of
    each change."""
    component = Timezone.from_ical(vtimezone(timezone, 2024, 2025).to_ical())
    definition = component.to_tz(lookup_tzid=False)
    actual = ZoneInfo(timezone)

    def offset(moment, zone=actual):
        return moment.astimezone(zone).utcoffset()

    moment, end, day = utc(2024, 1, 1, 12), utc(2025, 12, 31), timedelta(days=1)
    while moment < end:
        assert offset(moment, definition) == offset(moment), moment
        near_change = offset(moment - day) != offset(moment + day)
        moment += timedelta(minutes=15 if near_change else 360)


def onsets(component: Timezone) -> set[tuple[str, datetime]]:
    found = set()
    for sub in component.subcomponents:
        found.add((sub.name, sub.decoded("DTSTART")))
        found.update((sub.name, d.dt) for d in (sub["RDATE"].dts if "RDATE" in sub else ()))
    return found


def test_vtimezone_onsets_are_wall_times_before_each_change():
    # From the change that brought the offset in force on 1 January, then each change.
    assert onsets(vtimezone(NY, 2024, 2024)) == {
        ("STANDARD", datetime(2023, 11, 5, 2)), ("DAYLIGHT", datetime(2024, 3, 10, 2)),
        ("STANDARD", datetime(2024, 11, 3, 2))}
    assert onsets(vtimezone(BERLIN, 2024, 2025)) == {
        ("STANDARD", datetime(2023, 10, 29, 3)), ("DAYLIGHT", datetime(2024, 3, 31, 2)),
        ("STANDARD", datetime(2024, 10, 27, 3)), ("DAYLIGHT", datetime(2025, 3, 30, 2)),
        ("STANDARD", datetime(2025, 10, 26, 3))}
    # A southern zone starts the year on summer time, from its change in September.
    assert ("DAYLIGHT", datetime(2023, 9, 24, 2)) in onsets(vtimezone("Pacific/Auckland",
                                                                     2024, 2024))
    # One kind of change is one component: DTSTART for the first, RDATE for the rest.
    assert [sub.name for sub in vtimezone(BERLIN, 2024, 2025).subcomponents] == [
        "STANDARD", "DAYLIGHT"]


def test_a_zone_without_changes_has_one_observance():
    [standard] = vtimezone("Asia/Kathmandu", 2024, 2025).subcomponents
    assert (standard.name, standard.decoded("DTSTART")) == ("STANDARD", datetime(2024, 1, 1))
    assert standard.decoded("TZOFFSETTO") == timedelta(hours=5, minutes=45)


def test_the_vtimezone_covers_the_whole_series():
    start = ny(date(2024, 11, 5), 9)
    event = meeting(start_utc=start, end_utc=start + timedelta(minutes=30),
                    recurrence=Recurrence("monthly", count=6))
    [tz] = parse(meeting_file(event)).walk("VTIMEZONE")
    # The series runs to April 2025, past the change of 9 March 2025.
    assert ("DAYLIGHT", datetime(2025, 3, 9, 2)) in onsets(tz)


def test_a_new_uid_per_meeting():
    uids = {new_uid() for _ in range(100)}
    assert len(uids) == 100 and all(uid.endswith("@pairwise") for uid in uids)


@pytest.mark.parametrize(("changes", "message"), [
    ({"start_utc": datetime(2024, 3, 5, 14)}, "needs a time zone"),
    ({"end_utc": ny(date(2024, 3, 5), 8)}, "end after it starts"),
    ({"timezone": "New York"}, "is not a time zone we know"),
    ({"title": "  "}, "needs a title"),
    ({"uid": "has space"}, "UID"),
    ({"sequence": -1}, "SEQUENCE"),
    ({"url": "http://zoom.us/j/1"}, "https://"),
    ({"recurrence": Recurrence("weekly", count=3).cancel(utc(2024, 3, 13, 14))},
     "has no meeting at"),
])
def test_bad_meetings_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        meeting(**changes)


@pytest.mark.parametrize("email", ["ana", "ana@localhost", "ana @example.org",
                                   "ana@example.org\r\nX-Evil: 1", "a;b@example.org"])
def test_bad_e_mail_addresses_are_refused(email):
    with pytest.raises(IcsError, match="is not an e-mail address"):
        Party(email)


def test_an_unknown_method_is_refused():
    with pytest.raises(IcsError, match="METHOD is one of"):
        build_calendar([meeting()], "COUNTER")
