"""Weekly availability across time zones: real instants for a reference week, so daylight
saving, zones off the hour, the date line and skipped or repeated local times all count."""

from datetime import UTC, date, datetime

import numpy as np
import pytest

from lti_tool.matching.availability import (
    common_slots,
    overlap_hours,
    utc_intervals,
    week_matrix,
    week_vector,
)
from tests.support.matching import (
    BOTH_SUMMER_TIME,
    US_ONLY_SUMMER_TIME,
    WINTER,
    hours,
    person,
)

NEW_YORK_NOON = person(1, "America/New_York", hours(1, "12:00", "13:00"))
BERLIN_SIX_PM = person(2, "Europe/Berlin", hours(1, "18:00", "19:00"))
BERLIN_FIVE_PM = person(3, "Europe/Berlin", hours(1, "17:00", "18:00"))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_new_york_and_berlin_overlap_shifts_while_only_the_us_is_on_summer_time():
    assert overlap_hours(NEW_YORK_NOON, BERLIN_SIX_PM, WINTER) == 1.0
    assert overlap_hours(NEW_YORK_NOON, BERLIN_SIX_PM, US_ONLY_SUMMER_TIME) == 0.0
    assert overlap_hours(NEW_YORK_NOON, BERLIN_FIVE_PM, US_ONLY_SUMMER_TIME) == 1.0
    assert overlap_hours(NEW_YORK_NOON, BERLIN_SIX_PM, BOTH_SUMMER_TIME) == 1.0


def test_common_slots_are_utc_instants_of_the_reference_week():
    assert common_slots(NEW_YORK_NOON, BERLIN_SIX_PM, WINTER) == [
        utc(2027, 1, 5, 17, 0), utc(2027, 1, 5, 17, 30)]
    assert common_slots(NEW_YORK_NOON, BERLIN_FIVE_PM, US_ONLY_SUMMER_TIME) == [
        utc(2027, 3, 16, 16, 0), utc(2027, 3, 16, 16, 30)]


def test_southern_hemisphere_summer_time_is_in_january():
    sydney = person(1, "Australia/Sydney", hours(2, "09:00", "10:00"))  # Wednesday morning
    assert utc_intervals(sydney, WINTER) == [(utc(2027, 1, 5, 22), utc(2027, 1, 5, 23))]
    july = date(2027, 7, 5)
    assert utc_intervals(sydney, july) == [(utc(2027, 7, 6, 23), utc(2027, 7, 7, 0))]


def test_a_skipped_local_time_moves_an_hour_later_instead_of_crashing():
    # New York skips 02:00-03:00 on Sunday 14 March 2027; 02:30 is read as 03:30 EDT.
    week = date(2027, 3, 8)
    skipped = person(1, "America/New_York", {(6, 150)})
    assert utc_intervals(skipped, week) == [(utc(2027, 3, 14, 7, 30), utc(2027, 3, 14, 8))]
    real_half_past_three = person(2, "America/New_York", {(6, 210)})
    assert overlap_hours(skipped, real_half_past_three, week) == 0.5
    # Ticking 02:00-04:00 covers one real hour only: the skipped hour is not invented.
    night = person(3, "America/New_York", hours(6, "02:00", "04:00"))
    assert utc_intervals(night, week) == [(utc(2027, 3, 14, 7), utc(2027, 3, 14, 8))]


def test_a_repeated_local_time_means_its_first_occurrence():
    # 01:30 happens twice in New York on 7 November 2027: first at 05:30 UTC (EDT).
    repeated = person(1, "America/New_York", {(6, 90)})
    assert utc_intervals(repeated, date(2027, 11, 1)) == [
        (utc(2027, 11, 7, 5, 30), utc(2027, 11, 7, 6))]


def test_a_zone_45_minutes_off_the_hour_is_not_rounded():
    kathmandu = person(1, "Asia/Kathmandu", hours(1, "18:00", "18:30"))  # 12:15 UTC
    london = person(2, "Europe/London", hours(1, "12:00", "13:00"))
    assert overlap_hours(kathmandu, london, WINTER) == 0.5
    assert common_slots(kathmandu, london, WINTER) == [utc(2027, 1, 5, 12, 15)]
    half_hour_late = person(3, "Europe/London", hours(1, "12:30", "13:00"))
    assert overlap_hours(kathmandu, half_hour_late, WINTER) == 0.25
    assert common_slots(kathmandu, half_hour_late, WINTER) == []  # no full half hour


def test_the_week_wraps_across_the_date_line():
    tokyo = person(1, "Asia/Tokyo", hours(0, "08:00", "09:00"))  # Sunday 23:00 UTC
    late_sunday = person(2, "UTC", hours(6, "23:00", "23:30"))
    assert overlap_hours(tokyo, late_sunday, WINTER) == 0.5
    assert common_slots(tokyo, late_sunday, WINTER) == [utc(2027, 1, 10, 23)]
    around_midnight = person(3, "UTC", hours(6, "23:00", "24:00") | hours(0, "00:00", "01:00"))
    assert overlap_hours(tokyo, around_midnight, WINTER) == 1.0


def test_intervals_merge_and_split_at_the_end_of_the_week():
    around_midnight = person(1, "UTC", hours(6, "23:00", "24:00") | hours(0, "00:00", "01:00"))
    assert utc_intervals(around_midnight, WINTER) == [
        (utc(2027, 1, 4, 0), utc(2027, 1, 4, 1)), (utc(2027, 1, 10, 23), utc(2027, 1, 11, 0))]


def test_the_matrix_stacks_each_persons_vector():
    people = [NEW_YORK_NOON, BERLIN_SIX_PM, person(4, "UTC", set())]
    matrix = week_matrix(people, WINTER)
    assert matrix.shape == (3, 672)
    for row, someone in zip(matrix, people, strict=True):
        assert np.array_equal(row, week_vector(someone, WINTER))
    assert matrix[0].sum() == 4 and not matrix[2].any()  # an hour is four quarter-hours


@pytest.mark.parametrize("bad", [
    {(7, 0)}, {(0, 15)}, {(0, 24 * 60)}, {(-1, 0)},
])
def test_slots_must_be_real_half_hours(bad):
    with pytest.raises(ValueError, match="slot"):
        person(1, slots=bad)


def test_the_reference_week_starts_on_a_monday_and_zones_are_real():
    with pytest.raises(ValueError, match="Monday"):
        overlap_hours(NEW_YORK_NOON, BERLIN_SIX_PM, date(2027, 1, 5))
    with pytest.raises(ValueError, match="time zone"):
        overlap_hours(person(1, "Mars/Olympus_Mons"), BERLIN_SIX_PM, WINTER)
