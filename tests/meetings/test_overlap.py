"""Concrete meeting times for a pair in New York and Berlin, date by date: their shared hours
move when one of them has changed clocks and the other has not (10-31 March and 27 October to
3 November 2024), and slots in skipped or repeated hours count as the hours really are."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from lti_tool.meetings.overlap import (
    Interval,
    SlotError,
    WeeklyAvailability,
    check_slot,
    common_slots,
    free_intervals,
    next_weeks,
    open_slots,
)
from lti_tool.meetings.recurrence import Recurrence, expand


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hours(days, start: str, end: str) -> frozenset[tuple[int, int]]:
    first, last = (int(t[:2]) * 60 + int(t[3:]) for t in (start, end))
    return frozenset((day, minute) for day in days for minute in range(first, last, 30))


WEEKDAYS = range(5)
MENTEE_NY = WeeklyAvailability("America/New_York", hours(WEEKDAYS, "09:00", "12:00"))
MENTOR_BERLIN = WeeklyAvailability("Europe/Berlin", hours(WEEKDAYS, "14:00", "18:00"))
ALWAYS_UTC = WeeklyAvailability("UTC", hours(range(7), "00:00", "24:00"))


def on_day(candidates, day: date):
    return [c for c in candidates if c.start.date() == day]


def test_spring_shared_hours_follow_each_dates_offsets():
    window = Interval(utc(2024, 3, 4), utc(2024, 4, 4))
    slots = common_slots(MENTEE_NY, MENTOR_BERLIN, window, minutes=60)
    # Both on winter time: New York 09:00-12:00 is 14:00-17:00 UTC, Berlin 15:00-18:00.
    before = on_day(slots, date(2024, 3, 5))
    assert [c.start for c in before] == [utc(2024, 3, 5, h, m) for h, m in
                                         [(14, 0), (14, 30), (15, 0), (15, 30), (16, 0)]]
    assert (before[0].first_local.time(), before[0].second_local.time()) == (time(9), time(15))
    # New York on summer time, Berlin not yet: 13:00 UTC, 09:00 and 14:00 local.
    between = on_day(slots, date(2024, 3, 12))
    assert between[0].start == utc(2024, 3, 12, 13)
    assert (between[0].first_local.time(), between[0].second_local.time()) == (time(9),
                                                                               time(14))
    assert between[-1].end == utc(2024, 3, 12, 16)
    # Both on summer time: 13:00 UTC again, but 15:00 in Berlin.
    after = on_day(slots, date(2024, 4, 2))
    assert after[0].start == utc(2024, 4, 2, 13)
    assert after[0].second_local.time() == time(15)
    assert {c.first_local.weekday() for c in slots} == set(WEEKDAYS)  # never at weekends
    assert all(c.end - c.start == timedelta(hours=1) for c in slots)


def test_autumn_shared_hours_follow_each_dates_offsets():
    window = Interval(utc(2024, 10, 21), utc(2024, 11, 9))
    slots = common_slots(MENTEE_NY, MENTOR_BERLIN, window, minutes=30)
    firsts = {day: on_day(slots, day)[0] for day in
              (date(2024, 10, 22), date(2024, 10, 29), date(2024, 11, 5))}
    assert [(c.start.hour, c.first_local.hour, c.second_local.hour)
            for c in firsts.values()] == [
        (13, 9, 15),  # both on summer time
        (13, 9, 14),  # Berlin back on winter time, New York not yet
        (14, 9, 15),  # both on winter time
    ]


def test_a_window_cuts_candidates_but_not_their_grid():
    window = Interval(utc(2024, 3, 5, 14, 10), utc(2024, 3, 5, 16, 20))
    slots = common_slots(MENTEE_NY, MENTOR_BERLIN, window, minutes=30)
    assert [c.start for c in slots] == [utc(2024, 3, 5, 14, 30), utc(2024, 3, 5, 15),
                                        utc(2024, 3, 5, 15, 30)]


def test_spring_forward_night_is_an_hour_shorter():
    # Sunday 01:00-04:00 on the wall is 06:00-08:00 UTC on 10 March: 02:00-03:00 never happens.
    night = WeeklyAvailability("America/New_York", hours([6], "01:00", "04:00"))
    window = Interval(utc(2024, 3, 9), utc(2024, 3, 12))
    assert free_intervals(night, window) == [Interval(utc(2024, 3, 10, 6), utc(2024, 3, 10, 8))]
    starts = [c.start for c in common_slots(night, ALWAYS_UTC, window, minutes=60)]
    assert starts == [utc(2024, 3, 10, 6), utc(2024, 3, 10, 6, 30), utc(2024, 3, 10, 7)]


def test_fall_back_night_is_an_hour_longer():
    # Sunday 01:00-04:00 on 3 November: 01:00-02:00 happens twice, 05:00-09:00 UTC in all.
    night = WeeklyAvailability("America/New_York", hours([6], "01:00", "04:00"))
    window = Interval(utc(2024, 11, 2), utc(2024, 11, 5))
    assert free_intervals(night, window) == [Interval(utc(2024, 11, 3, 5), utc(2024, 11, 3, 9))]
    slots = common_slots(night, ALWAYS_UTC, window, minutes=30)
    assert [c.first_local.strftime("%H:%M %Z") for c in slots[:4]] == [
        "01:00 EDT", "01:30 EDT", "01:00 EST", "01:30 EST"]


def test_zones_off_the_hour_start_on_their_own_grid():
    kathmandu = WeeklyAvailability("Asia/Kathmandu", hours([1], "18:00", "19:00"))
    window = Interval(utc(2024, 3, 11), utc(2024, 3, 13))
    assert [c.start for c in common_slots(kathmandu, ALWAYS_UTC, window)] == [
        utc(2024, 3, 12, 12, 15), utc(2024, 3, 12, 12, 45)]


def test_nobody_free_means_no_candidates():
    window = Interval(utc(2024, 3, 4), utc(2024, 3, 18))
    evening = WeeklyAvailability("Europe/Berlin", hours(WEEKDAYS, "20:00", "22:00"))
    assert common_slots(MENTEE_NY, evening, window) == []
    assert common_slots(MENTEE_NY, WeeklyAvailability("UTC", frozenset()), window) == []


def test_busy_times_and_the_past_are_left_out():
    window = Interval(utc(2024, 3, 5), utc(2024, 3, 6))
    busy = [Interval(utc(2024, 3, 5, 14), utc(2024, 3, 5, 14, 30), "meeting with Sam")]
    free = open_slots(MENTOR_BERLIN, window, 30, busy=busy, not_before=utc(2024, 3, 5, 13, 10))
    # Berlin 14:00-18:00 is 13:00-17:00 UTC; 13:00 has passed, 14:00 is taken.
    assert [slot.start for slot in free] == [utc(2024, 3, 5, 13, 30), utc(2024, 3, 5, 14, 30),
                                             utc(2024, 3, 5, 15), utc(2024, 3, 5, 15, 30),
                                             utc(2024, 3, 5, 16), utc(2024, 3, 5, 16, 30)]


def test_a_series_counts_as_busy():
    first = utc(2024, 3, 5, 15)  # Tuesdays 16:00 in Berlin
    series = expand(first, timedelta(hours=1), "Europe/Berlin", Recurrence("weekly", count=4))
    window = Interval(utc(2024, 3, 4), utc(2024, 4, 1))
    slots = common_slots(MENTEE_NY, MENTOR_BERLIN, window, minutes=60, busy=series)
    assert not any(c.start < o.end and o.start < c.end for c in slots for o in series)
    assert on_day(slots, date(2024, 3, 6))[1].start == utc(2024, 3, 6, 14, 30)  # Wednesday free


def test_profile_rows_are_read():
    person = WeeklyAvailability.from_profile([[0, 540], [0, 570]], "Europe/Berlin")
    assert person.slots == {(0, 540), (0, 570)}
    assert WeeklyAvailability.from_profile(None, "UTC").slots == frozenset()


@pytest.mark.parametrize("slot", [(7, 0), (0, 545), (-1, 0), (0, 1440)])
def test_bad_slots_are_refused(slot):
    with pytest.raises(ValueError, match="is not a weekday"):
        WeeklyAvailability("UTC", frozenset({slot}))


def test_a_bad_zone_is_refused():
    with pytest.raises(ValueError, match="is not a time zone we know"):
        WeeklyAvailability("Berlin", frozenset())


@pytest.mark.parametrize("minutes", [0, 10, 121, 240])
def test_lengths_out_of_range_are_refused(minutes):
    with pytest.raises(SlotError, match="A meeting lasts from 15 to 120 minutes"):
        common_slots(MENTEE_NY, MENTOR_BERLIN, Interval(utc(2024, 3, 4), utc(2024, 3, 5)),
                     minutes)


def test_the_window_is_bounded():
    assert next_weeks(utc(2024, 3, 4, 9), 4) == Interval(utc(2024, 3, 4, 9), utc(2024, 4, 1, 9))
    with pytest.raises(SlotError, match="at most 8 weeks"):
        common_slots(MENTEE_NY, MENTOR_BERLIN, next_weeks(utc(2024, 3, 4), 9))


def test_intervals_must_be_aware_and_forwards():
    with pytest.raises(ValueError, match="needs a time zone"):
        Interval(datetime(2024, 3, 4), utc(2024, 3, 5))
    with pytest.raises(ValueError, match="end after it starts"):
        Interval(utc(2024, 3, 5), utc(2024, 3, 5))


def test_a_slot_in_the_past_is_refused():
    with pytest.raises(SlotError, match=r"Tue 5 Mar, 09:00 has already passed: choose a later"):
        check_slot(utc(2024, 3, 5, 14), 30, now=utc(2024, 3, 5, 15),
                   timezone="America/New_York")


def test_a_slot_that_overlaps_a_meeting_is_refused():
    busy = [Interval(utc(2024, 3, 5, 14, 30), utc(2024, 3, 5, 15), "your meeting with Sam")]
    with pytest.raises(SlotError, match="This time overlaps your meeting with Sam you already "
                                        "have at Tue 5 Mar, 15:30–16:00."):
        check_slot(utc(2024, 3, 5, 14), 60, now=utc(2024, 3, 1), busy=busy,
                   timezone="Europe/Berlin")
    with pytest.raises(SlotError, match="overlaps another meeting Ana already has at "
                                        r"Tue 5 Mar, 14:30 UTC"):
        check_slot(utc(2024, 3, 5, 14), 60, now=utc(2024, 3, 1), who="Ana",
                   busy=[Interval(utc(2024, 3, 5, 14, 30), utc(2024, 3, 5, 15))])


def test_back_to_back_meetings_are_fine():
    busy = [Interval(utc(2024, 3, 5, 13), utc(2024, 3, 5, 14)),
            Interval(utc(2024, 3, 5, 14, 30), utc(2024, 3, 5, 15))]
    check_slot(utc(2024, 3, 5, 14), 30, now=utc(2024, 3, 1), busy=busy)
