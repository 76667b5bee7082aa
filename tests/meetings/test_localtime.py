"""Local wall-clock times: zone names checked, times skipped or repeated by daylight saving
refused with a message a person understands, and instants shown in two zones side by side.

2024: the US moves its clocks on 10 March and 3 November, the EU on 31 March and 27 October."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from lti_tool.meetings.localtime import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    TimeZoneError,
    exists_as_written,
    for_viewer,
    to_local,
    to_utc,
    utc_offset,
    zone,
)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "UTC"])
def test_known_zones_are_accepted(name):
    assert zone(name).key == name


@pytest.mark.parametrize("name", ["Mars/Olympus", "EST-ish", "../../etc/passwd", "localtime",
                                  "posixrules", "Europe/"])
def test_unknown_zones_are_refused_with_an_example(name):
    with pytest.raises(TimeZoneError, match="is not a time zone we know"):
        zone(name)


def test_a_zone_in_the_wrong_case_gets_a_suggestion():
    with pytest.raises(TimeZoneError, match="Did you mean Europe/Berlin?"):
        zone("europe/berlin")


@pytest.mark.parametrize("name", ["", "   ", None])
def test_no_zone_is_refused(name):
    with pytest.raises(TimeZoneError, match="Choose a time zone"):
        zone(name)


def test_the_same_wall_time_is_another_instant_after_the_us_change():
    assert to_utc(date(2024, 3, 5), time(9), "America/New_York") == utc(2024, 3, 5, 14)
    assert to_utc(date(2024, 3, 12), time(9), "America/New_York") == utc(2024, 3, 12, 13)
    assert to_utc(date(2024, 3, 12), time(9), "Europe/Berlin") == utc(2024, 3, 12, 8)
    assert to_utc(date(2024, 4, 2), time(9), "Europe/Berlin") == utc(2024, 4, 2, 7)


def test_a_time_skipped_in_new_york_is_refused_in_words():
    with pytest.raises(NonexistentLocalTime) as caught:
        to_utc(date(2024, 3, 10), time(2, 30), "America/New_York")
    assert str(caught.value) == ("2:30 on 10 March 2024 does not exist in America/New_York: "
                                 "clocks jump from 2:00 to 3:00. Choose another time.")
    assert (caught.value.jump_from, caught.value.jump_to) == (datetime(2024, 3, 10, 2),
                                                              datetime(2024, 3, 10, 3))


def test_a_time_skipped_in_berlin_three_weeks_later_is_refused():
    with pytest.raises(NonexistentLocalTime, match="2:00 on 31 March 2024 does not exist in "
                                                   "Europe/Berlin: clocks jump from 2:00 to 3:00"):
        to_utc(date(2024, 3, 31), time(2), "Europe/Berlin")
    # The same wall time is fine in New York that day, and in Berlin on the 10th.
    assert to_utc(date(2024, 3, 31), time(2), "America/New_York") == utc(2024, 3, 31, 6)
    assert to_utc(date(2024, 3, 10), time(2, 30), "Europe/Berlin") == utc(2024, 3, 10, 1, 30)


def test_the_edges_of_the_gap_exist():
    assert to_utc(date(2024, 3, 10), time(1, 59), "America/New_York") == utc(2024, 3, 10, 6, 59)
    assert to_utc(date(2024, 3, 10), time(3), "America/New_York") == utc(2024, 3, 10, 7)


def test_a_time_that_happens_twice_needs_a_choice():
    with pytest.raises(AmbiguousLocalTime) as caught:
        to_utc(date(2024, 11, 3), time(1, 30), "America/New_York")
    assert str(caught.value) == (
        "1:30 on 3 November 2024 happens twice in America/New_York: clocks go back from 2:00 "
        "to 1:00. Choose the first (EDT, UTC-4) or the second (EST, UTC-5).")
    assert caught.value.choices == (utc(2024, 11, 3, 5, 30), utc(2024, 11, 3, 6, 30))
    assert to_utc(date(2024, 11, 3), time(1, 30), "America/New_York", fold=0) == utc(
        2024, 11, 3, 5, 30)
    assert to_utc(date(2024, 11, 3), time(1, 30), "America/New_York", fold=1) == utc(
        2024, 11, 3, 6, 30)


def test_berlin_repeats_its_hour_a_week_before_new_york():
    with pytest.raises(AmbiguousLocalTime, match="2:30 on 27 October 2024 happens twice in "
                                                 "Europe/Berlin: clocks go back from 3:00 to 2:00"):
        to_utc(date(2024, 10, 27), time(2, 30), "Europe/Berlin")
    assert to_utc(date(2024, 10, 27), time(2, 30), "Europe/Berlin", fold=1) == utc(
        2024, 10, 27, 1, 30)
    assert to_utc(date(2024, 10, 27), time(1, 30), "America/New_York") == utc(
        2024, 10, 27, 5, 30)


def test_a_fold_on_an_ordinary_time_changes_nothing():
    assert to_utc(date(2024, 6, 1), time(12), "Europe/Berlin", fold=1) == utc(2024, 6, 1, 10)


def test_fold_is_zero_or_one():
    with pytest.raises(ValueError, match="fold must be"):
        to_utc(date(2024, 6, 1), time(12), "Europe/Berlin", fold=2)


def test_half_hour_changes_are_described_exactly():
    with pytest.raises(NonexistentLocalTime, match="clocks jump from 2:00 to 2:30"):
        to_utc(date(2024, 10, 6), time(2, 15), "Australia/Lord_Howe")


def test_the_second_of_two_wall_times_cannot_be_written_as_a_wall_time():
    assert exists_as_written(utc(2024, 11, 3, 5, 30), "America/New_York")
    assert not exists_as_written(utc(2024, 11, 3, 6, 30), "America/New_York")
    assert exists_as_written(utc(2024, 11, 3, 6, 30), "Europe/Berlin")


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="needs a time zone"):
        to_local(datetime(2024, 3, 5, 14), "Europe/Berlin")


@pytest.mark.parametrize(("day", "berlin"), [
    (5, "20:00"),   # both on winter time: 6 hours apart
    (12, "19:00"),  # New York on summer time, Berlin not yet: 5 hours
    (26, "19:00"),
])
def test_a_new_yorker_sees_berlin_time_beside_theirs(day, berlin):
    start = to_utc(date(2024, 3, day), time(14), "America/New_York")
    shown = for_viewer(start, "America/New_York", "Europe/Berlin")
    assert shown.yours.clock == "14:00" and shown.theirs.clock == berlin
    assert shown.text() == f"Tue {day} Mar, 14:00 (your time) · {berlin} in Berlin"


def test_the_berlin_side_of_the_same_meeting():
    shown = for_viewer(utc(2024, 3, 12, 18), "Europe/Berlin", "America/New_York")
    assert shown.text() == "Tue 12 Mar, 19:00 (your time) · 14:00 in New York"
    assert (shown.yours.abbreviation, shown.yours.offset) == ("CET", "UTC+1")
    assert (shown.theirs.abbreviation, shown.theirs.offset) == ("EDT", "UTC-4")


def test_the_other_date_is_said_when_it_is_another_day_there():
    shown = for_viewer(utc(2024, 3, 12, 23), "America/New_York", "Asia/Tokyo")
    assert shown.theirs.day_shift == 1
    assert shown.text() == "Tue 12 Mar, 19:00 (your time) · 08:00 Wed 13 Mar in Tokyo"


def test_zones_without_abbreviations_show_their_offset():
    shown = for_viewer(utc(2024, 3, 12, 12, 15), "Asia/Kathmandu")
    assert shown.theirs is None
    assert (shown.yours.clock, shown.yours.abbreviation) == ("18:00", "UTC+5:45")
    assert shown.text() == "Tue 12 Mar, 18:00 (your time)"


def test_the_same_zone_is_not_repeated():
    assert for_viewer(utc(2024, 3, 12, 12), "Europe/Berlin", "Europe/Berlin").theirs is None


def test_offsets_are_said_briefly():
    assert [utc_offset(timedelta(minutes=m)) for m in (0, 60, -240, 345, -570)] == [
        "UTC", "UTC+1", "UTC-4", "UTC+5:45", "UTC-9:30"]
