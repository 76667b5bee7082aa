"""Health signals on crafted histories: each warning sign alone, how signs add up to a
status, thresholds per program, and the boundaries."""

from datetime import date, timedelta

import pytest

from lti_tool.relationships.signals import (
    AT_RISK,
    ATTENTION,
    HEALTHY,
    INACTIVE,
    MeetingRecord,
    PairHistory,
    Thresholds,
    assess,
)

TODAY = date(2027, 3, 1)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def steady(**changes) -> PairHistory:
    """A pair matched eight weeks ago meeting every two weeks, writing in between, with an
    agreement and goals: healthy unless a test changes something."""
    values = dict(
        today=TODAY, matched_on=days_ago(56),
        meetings=[MeetingRecord(days_ago(n), "held") for n in (50, 36, 22, 8)]
        + [MeetingRecord(TODAY + timedelta(days=6), "upcoming")],
        contact_days=[days_ago(n) for n in (45, 30, 15, 3)],
        agreement_signed_on=days_ago(49), goals=2,
        ratings=[(days_ago(36), 4), (days_ago(8), 5)],
        activity={"mentee": 6, "mentor": 5})
    values.update(changes)
    return PairHistory(**values)


def codes(history, limits=None):
    return [r.code for r in assess(history, limits or Thresholds()).reasons]


def test_a_steady_pair_is_healthy():
    health = assess(steady())
    assert health.status == HEALTHY and health.reasons == () and health.summary == "on track"
    assert health.last_activity == days_ago(3)


def test_missed_meetings_over_the_window():
    history = steady(meetings=[MeetingRecord(days_ago(36), "held"),
                               MeetingRecord(days_ago(22), "missed"),
                               MeetingRecord(days_ago(8), "missed"),
                               MeetingRecord(days_ago(60), "missed")])  # outside the window
    health = assess(history)
    assert health.reasons[0].words == "2 of the last 3 meetings missed"
    assert health.reasons[0].weight == 2
    # With the last meeting held 36 days ago, two signs add up to "at risk".
    assert [r.code for r in health.reasons] == ["missed", "quiet"]
    assert health.status == AT_RISK
    recent = steady(meetings=[MeetingRecord(days_ago(n), o) for n, o in
                              ((22, "missed"), (15, "missed"), (8, "held"))])
    assert assess(recent).status == ATTENTION
    # One miss in three is a third: at the default threshold (0.34) it is not yet a sign.
    one = steady(meetings=[MeetingRecord(days_ago(n), o) for n, o in
                           ((36, "held"), (22, "missed"), (8, "held"))])
    assert "missed" not in codes(one)


def test_frequent_moves_and_cancellations():
    history = steady(meetings=[MeetingRecord(days_ago(36), "held", changes=1),
                               MeetingRecord(days_ago(22), "cancelled"),
                               MeetingRecord(days_ago(8), "held"),
                               MeetingRecord(days_ago(1), "held", changes=2)])
    assert "changed" in codes(history)
    assert [r.words for r in assess(history).reasons
            if r.code == "changed"] == ["3 of 4 recent meetings moved or cancelled"]


def test_no_first_meeting_after_the_match():
    fresh = steady(matched_on=days_ago(20), meetings=[], contact_days=[days_ago(2)],
                   agreement_signed_on=days_ago(10))
    reason = next(r for r in assess(fresh).reasons if r.code == "no_first_meeting")
    assert reason.words == "no meeting held 20 days after the match, and none booked"
    assert reason.weight == 2
    booked = steady(matched_on=days_ago(20), contact_days=[days_ago(2)],
                    meetings=[MeetingRecord(TODAY + timedelta(days=2), "upcoming")])
    assert next(r for r in assess(booked).reasons if r.code == "no_first_meeting").weight == 1
    early = steady(matched_on=days_ago(5), meetings=[], contact_days=[days_ago(1)])
    assert "no_first_meeting" not in codes(early)


def test_long_gaps_and_silence():
    quiet = steady(meetings=[MeetingRecord(days_ago(50), "held")],
                   contact_days=[days_ago(2)])
    reason = next(r for r in assess(quiet).reasons if r.code == "quiet")
    assert reason.words == "last meeting 50 days ago" and reason.weight == 2
    silent = steady(contact_days=[], meetings=[MeetingRecord(days_ago(20), "held")])
    assert next(r for r in assess(silent).reasons
                if r.code == "silent").words == "no contact for 20 days"


def test_agreement_goals_and_overdue_items():
    history = steady(agreement_signed_on=None, goals=0, overdue_actions=3)
    assert set(codes(history)) >= {"no_agreement", "no_goals", "overdue"}
    assert assess(history).status == AT_RISK  # 1 + 1 + 2
    assert "3 action items overdue" in assess(history).summary
    assert "1 action item overdue" in assess(steady(overdue_actions=1)).summary


def test_low_and_falling_ratings():
    low = steady(ratings=[(days_ago(20), 2), (days_ago(5), 2)])
    reason = assess(low).reasons[0]
    assert reason.code == "low_rating" and reason.words == \
        "check-ins rate the relationship 2.0 of 5"
    falling = steady(ratings=[(days_ago(40), 5), (days_ago(25), 5), (days_ago(5), 3)])
    assert "falling_rating" in codes(falling)
    future = steady(ratings=[(TODAY + timedelta(days=1), 1)])
    assert "low_rating" not in codes(future)


def test_one_sided_activity_needs_enough_activity():
    assert "one_sided" in codes(steady(activity={"mentee": 1, "mentor": 11}))
    assert "one_sided" not in codes(steady(activity={"mentee": 0, "mentor": 4}))
    words = next(r.words for r in assess(steady(activity={"mentee": 1, "mentor": 11})).reasons)
    assert words == "the mentor does 92% of the writing and scheduling"


def test_inactive_pairs():
    gone = steady(meetings=[MeetingRecord(days_ago(60), "held")], contact_days=[days_ago(50)])
    health = assess(gone)
    assert health.status == INACTIVE and health.reasons[0].words == "no activity for 50 days"
    never = PairHistory(today=TODAY, matched_on=days_ago(46))
    assert assess(never).reasons[0].words == "no activity since the match"
    young = PairHistory(today=TODAY, matched_on=days_ago(10))
    assert assess(young).status == HEALTHY


def test_thresholds_per_program():
    monthly = Thresholds(quiet_days=35, silent_days=30)
    history = steady(meetings=[MeetingRecord(days_ago(28), "held")],
                     contact_days=[days_ago(25)])
    assert {"quiet", "silent"} <= set(codes(history))
    assert not {"quiet", "silent"} & set(codes(history, monthly))
    with pytest.raises(ValueError, match="quiet_days"):
        Thresholds(quiet_days=-1)


def test_status_order_of_reasons_is_by_weight():
    history = steady(agreement_signed_on=None, overdue_actions=4)
    weights = [r.weight for r in assess(history).reasons]
    assert weights == sorted(weights, reverse=True)
