"""Plain-language explanations of a pair, and recurring meeting slots shown in both people's
local time, daylight saving included."""

from datetime import UTC, datetime

import pytest

from lti_tool.matching import explain
from lti_tool.matching.profiles import Constraints, Weights
from lti_tool.matching.scoring import score_pair
from tests.support.matching import US_ONLY_SUMMER_TIME, WINTER, hours, person


def explained(mentee, mentor):
    return explain.explain(score_pair(mentee, mentor, Weights(), Constraints(), WINTER), mentee,
                           mentor)


def test_the_explanation_names_goals_overlap_languages_and_modality():
    goals = {"career paths", "data science", "leadership"}
    mentee = person(1, slots=hours(1, "15:00", "20:00"), topics=goals | {"writing"},
                    languages={"es"})
    mentor = person(2, slots=hours(1, "14:00", "21:00"), topics=goals | {"law"},
                    languages={"es", "fr"})
    assert explained(mentee, mentor) == ("3 shared goals (career paths, data science, "
                                         "leadership), 5 h weekly overlap, both speak "
                                         "Spanish; both prefer video")


def test_the_explanation_says_what_does_not_fit():
    mentee = person(1, topics={"design"}, languages={"en", "pt"}, modality="phone",
                    answers={"stage": frozenset({"first year"}), "style": frozenset({"x"})})
    mentor = person(2, topics={"design", "law"}, languages={"pt", "en"}, modality="chat",
                    slots=hours(1, "18:00", "19:30"),
                    answers={"stage": frozenset({"first year", "graduate"})})
    assert explained(mentee, mentor) == (
        "1 shared goal (design), 1.5 h weekly overlap, both speak English and Portuguese, "
        "same answer to 1 of 2 program questions; the mentee prefers phone calls, the "
        "mentor chat")
    stranger = person(3, topics={"law"}, languages={"xx"}, modality="in_person",
                      slots=hours(4, "09:00", "10:00"))
    assert explained(mentee, stranger) == (
        "no shared goals, 0 h weekly overlap, no shared language, same answer to 0 of 2 "
        "program questions; the mentee prefers phone calls, the mentor meeting in person; "
        "cannot be paired: no shared language, only 0 h weekly overlap (needs 1)")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


BERLIN_EVENINGS = person(1, "Europe/Berlin", hours(1, "18:00", "20:00"))
NEW_YORK_LUNCH = person(2, "America/New_York", hours(1, "12:00", "14:00"))


def test_a_slot_is_shown_in_both_local_times():
    slot = explain.propose_slot(BERLIN_EVENINGS, NEW_YORK_LUNCH, WINTER, 60)
    assert slot == explain.SlotProposal(
        start_utc=utc(2027, 1, 5, 17), minutes=60,
        mentee_local="Tuesdays 18:00 (Europe/Berlin)",
        mentor_local="Tuesdays 12:00 (America/New_York)", within_hours=True)


def test_slots_follow_daylight_saving():
    # While only New York is on summer time, Berlin 18:00 is 13:00 there, and the shared
    # time shrinks to one hour.
    slot = explain.propose_slot(BERLIN_EVENINGS, NEW_YORK_LUNCH, US_ONLY_SUMMER_TIME, 60)
    assert slot.start_utc == utc(2027, 3, 16, 17)
    assert (slot.mentee_local, slot.mentor_local) == (
        "Tuesdays 18:00 (Europe/Berlin)", "Tuesdays 13:00 (America/New_York)")
    assert explain.propose_slot(BERLIN_EVENINGS, NEW_YORK_LUNCH, US_ONLY_SUMMER_TIME,
                                90) is None


def test_the_slot_must_be_long_enough():
    assert explain.propose_slot(BERLIN_EVENINGS, NEW_YORK_LUNCH, WINTER, 120).minutes == 120
    assert explain.propose_slot(BERLIN_EVENINGS, NEW_YORK_LUNCH, WINTER, 121) is None
    with pytest.raises(ValueError):
        explain.propose_slot(BERLIN_EVENINGS, NEW_YORK_LUNCH, WINTER, 0)


def test_reasonable_hours_come_before_an_earlier_slot():
    early_and_late = hours(0, "06:00", "07:00") | hours(3, "19:00", "20:00")
    slot = explain.propose_slot(person(1, slots=early_and_late), person(2, slots=early_and_late),
                                WINTER, 60)
    assert slot.mentee_local == "Thursdays 19:00 (UTC)" and slot.within_hours
    only_early = hours(0, "06:00", "07:00")
    slot = explain.propose_slot(person(1, slots=only_early), person(2, slots=only_early),
                                WINTER, 60)
    assert slot.mentee_local == "Mondays 06:00 (UTC)" and not slot.within_hours


def test_a_start_on_the_hour_is_preferred():
    both = hours(1, "09:30", "11:00")
    slot = explain.propose_slot(person(1, slots=both), person(2, slots=both), WINTER, 60)
    assert slot.mentee_local == "Tuesdays 10:00 (UTC)"


def test_a_slot_across_the_date_line_shows_each_local_day():
    los_angeles = person(1, "America/Los_Angeles", hours(0, "17:00", "19:00"))
    tokyo = person(2, "Asia/Tokyo", hours(1, "10:00", "12:00"))
    slot = explain.propose_slot(los_angeles, tokyo, WINTER, 60)
    assert (slot.mentee_local, slot.mentor_local) == (
        "Mondays 17:00 (America/Los_Angeles)", "Tuesdays 10:00 (Asia/Tokyo)")
