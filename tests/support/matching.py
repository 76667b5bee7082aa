"""Builders for the matching tests: people with a few hours of availability, random people
(zones, goals, languages, answers, groups), and random score tables (with ties, infeasible
pairs and uneven capacities) for the assignment tests."""

import random
from datetime import date

import numpy as np

from lti_tool.matching.profiles import Person
from lti_tool.matching.scoring import ScoreTable

WINTER = date(2027, 1, 4)  # a Monday far from any clock change
US_ONLY_SUMMER_TIME = date(2027, 3, 15)  # the US changed on 14 March, Europe on 28 March
BOTH_SUMMER_TIME = date(2027, 4, 5)


def hours(day: int, start: str, end: str) -> set[tuple[int, int]]:
    """Half-hour slots of one local day from start to end, e.g. hours(1, "18:00", "20:00")."""
    first, last = (int(t[:2]) * 60 + int(t[3:]) for t in (start, end))
    return {(day, minute) for minute in range(first, last, 30)}


def person(pid: int, tz: str = "UTC", slots=None, **fields) -> Person:
    """Someone free on Tuesdays 18:00-20:00 local who speaks English, unless told otherwise."""
    fields.setdefault("languages", frozenset({"en"}))
    for name in ("topics", "languages", "groups"):
        fields[name] = frozenset(fields.get(name, ()))
    slots = hours(1, "18:00", "20:00") if slots is None else slots
    return Person(id=pid, timezone=tz, slots=frozenset(slots), **fields)


def random_table(rng: random.Random, mentees: int, mentors: int, ties: bool = True,
                 feasible_share: float = 0.6, max_capacity: int = 2) -> ScoreTable:
    """A table from bare arrays: ids 100.. for mentees, 200.. for mentors."""
    shape = (mentees, mentors)
    if ties:  # few distinct values: many equally good matchings
        total = np.array([[rng.choice([0, 25, 50, 50, 75, 100]) for _ in range(mentors)]
                          for _ in range(mentees)], dtype=np.float32)
    else:
        total = np.array([[rng.uniform(0, 100) for _ in range(mentors)]
                          for _ in range(mentees)], dtype=np.float32)
    feasible = np.array([[rng.random() < feasible_share for _ in range(mentors)]
                         for _ in range(mentees)], dtype=bool).reshape(shape)
    return ScoreTable(
        mentees=[Person(100 + i, "UTC", frozenset()) for i in range(mentees)],
        mentors=[Person(200 + j, "UTC", frozenset(), capacity=rng.randint(0, max_capacity))
                 for j in range(mentors)],
        total=total.reshape(shape), feasible=feasible)


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu"]


def random_person(rng: random.Random, pid: int, capacity: int = 1) -> Person:
    """Someone random in everything the scores use: a time zone, up to three evening blocks,
    0-3 of six topics, 0-2 languages, a modality, answers, groups."""
    slots = set()
    for _ in range(rng.randint(0, 3)):
        slots |= hours(rng.randrange(7), f"{rng.randint(6, 20):02d}:00",
                       f"{rng.randint(21, 23):02d}:30")
    return person(
        pid, rng.choice(ZONES), slots,
        topics=set(rng.sample("abcdef", rng.randint(0, 3))),
        languages=set(rng.sample(["en", "es", "fr"], rng.randint(0, 2))),
        modality=rng.choice(["video", "phone", "chat", "in_person"]),
        answers={q: frozenset(rng.sample("xyz", rng.randint(0, 2)))
                 for q in rng.sample(["q1", "q2", "q3"], rng.randint(0, 3))},
        groups=set(rng.sample("AB", rng.randint(0, 2))), capacity=capacity)
