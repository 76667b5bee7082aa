"""Suggested weekly slots for many pairs at once: one mentor's mentees meet at different times
whenever their common times allow it, and say so when they cannot."""

from datetime import UTC, datetime

from lti_tool.matching import explain
from tests.support.matching import WINTER, hours, person


def slots(pairs, taken=None, minutes=45):
    return explain.propose_slots(pairs, WINTER, minutes, taken)


def test_two_mentees_sharing_two_common_hours_get_different_slots():
    mentor = person(9, slots=hours(0, "12:00", "13:00") | hours(1, "12:00", "13:00"))
    first, second = (person(pid, slots=mentor.slots) for pid in (1, 2))
    chosen = slots([(first, mentor), (second, mentor)])
    starts = {chosen[1, 9].start_utc, chosen[2, 9].start_utc}
    assert starts == {datetime(2027, 1, 4, 12, tzinfo=UTC), datetime(2027, 1, 5, 12, tzinfo=UTC)}
    assert not chosen[1, 9].shared and not chosen[2, 9].shared


def test_with_one_common_hour_both_get_it_and_it_is_marked_shared():
    mentor = person(9, slots=hours(0, "12:00", "13:00"))
    first, second = (person(pid, slots=mentor.slots) for pid in (1, 2))
    chosen = slots([(first, mentor), (second, mentor)])
    assert chosen[1, 9].start_utc == chosen[2, 9].start_utc
    assert [chosen[1, 9].shared, chosen[2, 9].shared] == [False, True]


def test_the_mentee_with_fewer_options_chooses_first():
    mentor = person(9, slots=hours(0, "12:00", "13:00") | hours(1, "12:00", "13:00"))
    flexible = person(1, slots=mentor.slots)
    only_monday = person(2, slots=hours(0, "12:00", "13:00"))
    chosen = slots([(flexible, mentor), (only_monday, mentor)])
    assert chosen[2, 9].start_utc == datetime(2027, 1, 4, 12, tzinfo=UTC)
    assert chosen[1, 9].start_utc == datetime(2027, 1, 5, 12, tzinfo=UTC)
    assert not chosen[1, 9].shared


def test_the_result_does_not_depend_on_the_order_of_the_pairs():
    mentor = person(9, slots=hours(0, "12:00", "14:00") | hours(2, "09:00", "10:00"))
    mentees = [person(pid, slots=mentor.slots) for pid in (1, 2, 3)]
    forward = slots([(m, mentor) for m in mentees])
    backward = slots([(m, mentor) for m in reversed(mentees)])
    assert forward == backward
    assert len({s.start_utc for s in forward.values()}) == 3


def test_times_already_taken_by_active_pairs_are_avoided_across_weeks():
    mentor = person(9, slots=hours(0, "12:00", "13:00") | hours(1, "12:00", "13:00"))
    mentee = person(1, slots=mentor.slots)
    earlier_week_monday = datetime(2026, 12, 28, 12, tzinfo=UTC)
    chosen = slots([(mentee, mentor)], taken={9: [earlier_week_monday]})
    assert chosen[1, 9].start_utc == datetime(2027, 1, 5, 12, tzinfo=UTC)


def test_different_mentors_may_share_a_time_and_no_common_time_gives_none():
    one, other = person(8), person(9)
    stranger = person(3, slots=hours(4, "06:00", "07:00"))
    chosen = slots([(person(1), one), (person(2), other), (stranger, other)])
    assert chosen[1, 8].start_utc == chosen[2, 9].start_utc
    assert not chosen[2, 9].shared and chosen[3, 9] is None


def test_a_single_pair_gets_what_propose_slot_gives():
    mentee, mentor = person(1), person(9, tz="Europe/Berlin")
    assert slots([(mentee, mentor)])[1, 9] == explain.propose_slot(mentee, mentor, WINTER, 45)
