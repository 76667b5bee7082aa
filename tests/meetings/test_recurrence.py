"""Recurring series: the wall-clock time kept in the organiser's zone across daylight-saving
changes, monthly on the same weekday, cancelled and moved meetings, and the cap on length."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lti_tool.meetings.localtime import to_utc
from lti_tool.meetings.recurrence import (
    MAX_OCCURRENCES,
    Recurrence,
    RecurrenceError,
    expand,
    rrule_string,
    rule_starts,
)

NY, BERLIN = "America/New_York", "Europe/Berlin"
HALF_HOUR = timedelta(minutes=30)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ny(day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(day, time(hour, minute), NY)


def test_weekly_keeps_nine_oclock_in_new_york_across_both_changes():
    first = ny(date(2024, 3, 5), 9)
    occurrences = expand(first, HALF_HOUR, NY, Recurrence("weekly", count=6))
    assert [o.start.astimezone(UTC).hour for o in occurrences] == [14, 13, 13, 13, 13, 13]
    assert {o.start.astimezone(ZoneInfo(NY)).time() for o in occurrences} == {time(9)}
    # In Berlin the meeting is at 15:00, then 14:00 while only New York is on summer time.
    berlin = [o.start.astimezone(ZoneInfo(BERLIN)).hour for o in occurrences]
    assert berlin == [15, 14, 14, 14, 15, 15]
    assert all(o.end - o.start == HALF_HOUR and not o.moved for o in occurrences)


def test_biweekly_until_a_date_includes_that_date_and_crosses_autumn():
    first = to_utc(date(2024, 10, 21), time(9), BERLIN)
    recurrence = Recurrence("biweekly", until=date(2024, 12, 2))
    starts = rule_starts(first, BERLIN, recurrence)
    assert starts == [utc(2024, 10, 21, 7), utc(2024, 11, 4, 8), utc(2024, 11, 18, 8),
                      utc(2024, 12, 2, 8)]
    assert rrule_string(first, BERLIN, recurrence) == (
        "FREQ=WEEKLY;INTERVAL=2;UNTIL=20241202T225959Z")


def test_monthly_means_the_same_weekday_of_the_month():
    first = ny(date(2024, 3, 12), 17)  # the second Tuesday
    recurrence = Recurrence("monthly", count=4)
    assert rrule_string(first, NY, recurrence) == "FREQ=MONTHLY;BYDAY=2TU;COUNT=4"
    assert [s.date() for s in rule_starts(first, NY, recurrence)] == [
        date(2024, 3, 12), date(2024, 4, 9), date(2024, 5, 14), date(2024, 6, 11)]


def test_monthly_from_the_fifth_week_means_the_last_weekday():
    first = ny(date(2024, 3, 29), 10)  # the fifth (and last) Friday
    recurrence = Recurrence("monthly", until=date(2024, 6, 30))
    assert rrule_string(first, NY, recurrence) == (
        "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20240701T035959Z")
    assert [s.date() for s in rule_starts(first, NY, recurrence)] == [
        date(2024, 3, 29), date(2024, 4, 26), date(2024, 5, 31), date(2024, 6, 28)]


def test_an_occurrence_in_the_skipped_hour_is_read_as_calendars_read_it():
    # Sundays 02:30: on 10 March that wall time does not exist; RFC 5545 reads it with the
    # offset before the change, so it happens at 03:30 EDT (07:30 UTC).
    first = ny(date(2024, 3, 3), 2, 30)
    starts = rule_starts(first, NY, Recurrence("weekly", count=3))
    assert starts == [utc(2024, 3, 3, 7, 30), utc(2024, 3, 10, 7, 30), utc(2024, 3, 17, 6, 30)]


def test_an_occurrence_in_the_repeated_hour_is_the_first_of_the_two():
    first = ny(date(2024, 10, 27), 1, 30)
    starts = rule_starts(first, NY, Recurrence("weekly", count=2))
    assert starts[1] == utc(2024, 11, 3, 5, 30)  # 01:30 EDT, not 01:30 EST


def test_a_series_cannot_start_in_the_second_of_two_hours():
    with pytest.raises(RecurrenceError, match="hour that happens twice"):
        rule_starts(utc(2024, 11, 3, 6, 30), NY, Recurrence("weekly", count=2))


def test_cancelled_and_moved_occurrences():
    first = ny(date(2024, 3, 5), 9)
    recurrence = (Recurrence("weekly", count=5)
                  .cancel(ny(date(2024, 3, 12), 9))
                  .move(ny(date(2024, 3, 19), 9), ny(date(2024, 3, 20), 11)))
    occurrences = expand(first, HALF_HOUR, NY, recurrence)
    assert [(o.original_start, o.start, o.moved) for o in occurrences] == [
        (ny(date(2024, 3, 5), 9), ny(date(2024, 3, 5), 9), False),
        (ny(date(2024, 3, 19), 9), ny(date(2024, 3, 20), 11), True),
        (ny(date(2024, 3, 26), 9), ny(date(2024, 3, 26), 9), False),
        (ny(date(2024, 4, 2), 9), ny(date(2024, 4, 2), 9), False),
    ]
    assert occurrences[1].end == ny(date(2024, 3, 20), 11, 30)


def test_a_move_can_change_the_order():
    first = ny(date(2024, 3, 5), 9)
    recurrence = Recurrence("weekly", count=3).move(first, ny(date(2024, 3, 13), 9))
    occurrences = expand(first, HALF_HOUR, NY, recurrence)
    assert [o.start for o in occurrences] == [ny(date(2024, 3, 12), 9), ny(date(2024, 3, 13), 9),
                                              ny(date(2024, 3, 19), 9)]


def test_cancelling_a_moved_occurrence_drops_the_move():
    original = ny(date(2024, 3, 12), 9)
    recurrence = Recurrence("weekly", count=3).move(original, ny(date(2024, 3, 13), 9))
    cancelled = recurrence.cancel(original)
    assert cancelled.cancelled == {original} and not cancelled.moved
    with pytest.raises(RecurrenceError, match="cancelled; it cannot be moved"):
        cancelled.move(original, ny(date(2024, 3, 14), 9))


def test_exceptions_are_kept_in_utc_whatever_zone_they_come_in():
    in_berlin = to_utc(date(2024, 3, 12), time(9), NY).astimezone(ZoneInfo(BERLIN))
    recurrence = Recurrence("weekly", count=3, cancelled=frozenset({in_berlin}))
    assert recurrence.cancelled == {utc(2024, 3, 12, 13)}
    assert len(expand(ny(date(2024, 3, 5), 9), HALF_HOUR, NY, recurrence)) == 2


def test_an_exception_must_name_a_meeting_of_the_series():
    recurrence = Recurrence("weekly", count=3).cancel(ny(date(2024, 3, 13), 9))
    with pytest.raises(RecurrenceError, match=r"The series has no meeting at Wed 13 March "
                                              r"2024, 09:00 \(America/New_York\)"):
        expand(ny(date(2024, 3, 5), 9), HALF_HOUR, NY, recurrence)


def test_a_move_onto_another_meeting_of_the_series_is_refused():
    recurrence = Recurrence("weekly", count=3).move(ny(date(2024, 3, 5), 9),
                                                   ny(date(2024, 3, 12), 9, 15))
    with pytest.raises(RecurrenceError, match="would overlap another meeting of the same"):
        expand(ny(date(2024, 3, 5), 9), HALF_HOUR, NY, recurrence)


def test_a_count_above_the_cap_is_refused():
    assert len(rule_starts(ny(date(2024, 1, 2), 9), NY,
                           Recurrence("weekly", count=MAX_OCCURRENCES))) == 52
    with pytest.raises(RecurrenceError, match="from 1 to 52 meetings, not 53"):
        Recurrence("weekly", count=53)
    with pytest.raises(RecurrenceError, match="from 1 to 52 meetings, not 0"):
        Recurrence("weekly", count=0)


def test_an_end_date_that_gives_too_many_is_refused():
    with pytest.raises(RecurrenceError, match="more than 52 meetings: choose an earlier end"):
        rule_starts(ny(date(2024, 1, 2), 9), NY, Recurrence("weekly", until=date(2025, 6, 1)))
    # Every two weeks over the same time fits.
    assert len(rule_starts(ny(date(2024, 1, 2), 9), NY,
                           Recurrence("biweekly", until=date(2025, 6, 1)))) == 37


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"frequency": "daily", "count": 3}, "not 'daily'"),
    ({"frequency": "weekly"}, "a number of meetings or an end date, not both"),
    ({"frequency": "weekly", "count": 3, "until": date(2024, 6, 1)}, "not both"),
    ({"frequency": "weekly", "until": datetime(2024, 6, 1)}, "is a date"),
    ({"frequency": "weekly", "count": 2, "cancelled": frozenset({datetime(2024, 6, 1)})},
     "needs a time zone"),
])
def test_bad_rules_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Recurrence(**kwargs)


def test_an_end_before_the_start_is_refused():
    with pytest.raises(RecurrenceError, match=r"would end \(1 March 2024\) before its first "
                                              r"meeting \(5 March 2024\)"):
        rule_starts(ny(date(2024, 3, 5), 9), NY, Recurrence("weekly", until=date(2024, 3, 1)))


def test_a_meeting_must_have_a_length():
    with pytest.raises(RecurrenceError, match="end after it starts"):
        expand(ny(date(2024, 3, 5), 9), timedelta(0), NY, Recurrence("weekly", count=2))


@pytest.mark.parametrize("seed", range(40))
def test_weekly_fast_path_matches_dateutil(seed):
    """Weekly series step the wall clock without dateutil; they must give exactly the
    instants dateutil expands from the same RRULE (DST gaps and folds included)."""
    import itertools
    import random
    from datetime import UTC, date, datetime, timedelta
    from zoneinfo import ZoneInfo

    from dateutil.rrule import rrulestr

    from lti_tool.meetings.recurrence import (
        Recurrence,
        RecurrenceError,
        rrule_string,
        rule_starts,
    )

    rng = random.Random(seed)
    zone = rng.choice(["America/New_York", "Europe/Berlin", "Australia/Lord_Howe",
                       "Asia/Kathmandu", "Pacific/Auckland", "UTC"])
    day = date(2026, 1, 1) + timedelta(days=rng.randrange(700))
    local = datetime(day.year, day.month, day.day, rng.choice([0, 1, 2, 9, 23]),
                     rng.choice([0, 30]), tzinfo=ZoneInfo(zone))
    start = local.astimezone(UTC)
    if start.astimezone(ZoneInfo(zone)).replace(tzinfo=None) != local.replace(tzinfo=None):
        pytest.skip("a start in a DST gap is refused earlier")
    frequency = rng.choice(["weekly", "biweekly"])
    recurrence = (Recurrence(frequency, count=rng.randint(1, 52)) if rng.random() < 0.5 else
                  Recurrence(frequency, until=day + timedelta(days=rng.randint(0, 500))))
    theirs = [m.astimezone(UTC) for m in itertools.islice(
        rrulestr(rrule_string(start, zone, recurrence),
                 dtstart=start.astimezone(ZoneInfo(zone))), 60)]
    if len(theirs) > 52:  # too long a series: refused
        with pytest.raises(RecurrenceError, match="more than 52"):
            rule_starts(start, zone, recurrence)
    else:
        assert rule_starts(start, zone, recurrence) == theirs
