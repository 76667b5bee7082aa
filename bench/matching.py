"""Matching at scale: score every mentee-mentor pair of a synthetic program, then assign
optimally (and greedily and stably, for comparison), on one CPU core.

    python -m bench.matching [--mentees N --mentors M --capacity C --seed S]

Without sizes it runs the two target sizes, 2,000 x 500 and 10,000 x 2,500 (capacity 4), each
in a fresh process so each reports its own peak memory. Prints one JSON object per line:
`score_seconds` (score_all), `assign_seconds` (optimal), `greedy_seconds`, `stable_seconds`
(stable: mentors rank by their own view of each pair, computed as mentees propose), `peak_mb`
(the process's peak resident set size from getrusage: interpreter, libraries and the
generated people included; `rss_before_mb` is the same figure just before scoring), `total`
(optimal), `greedy_total`, `stable_total`, `matched`, `greedy_matched`, `stable_matched`, and
`stable_moved_from_greedy` (mentees whose mentor differs between the two). Targets: score +
assign under 2 s and 20 s, peak under 1 GB.

The program is seeded and shaped like a real one: 20 topics of uneven popularity, 8 languages
(English common, the others regional), 16 time zones on five continents (one 45 minutes off
the hour, southern-hemisphere daylight saving), availability in blocks of 1-3 hours at
plausible local times, three program questions. The reference week is one in March when North
America has moved its clocks and Europe has not.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date

TARGETS = [(2000, 500, 4), (10000, 2500, 4)]
WEEK = date(2027, 3, 15)  # the US is on summer time from 14 March, Europe from 28 March
TOPICS = ["career paths", "data science", "leadership", "research methods", "writing",
          "public speaking", "entrepreneurship", "software engineering", "design", "finance",
          "health and wellbeing", "study skills", "networking", "teaching", "policy",
          "product management", "statistics", "marketing", "law", "graduate school"]
# Zone -> (share of people, regional language or None).
ZONES = {"America/Los_Angeles": (8, None), "America/Mexico_City": (5, "es"),
         "America/New_York": (12, None), "America/Sao_Paulo": (6, "pt"),
         "Europe/London": (9, None), "Europe/Madrid": (5, "es"), "Europe/Paris": (6, "fr"),
         "Europe/Berlin": (8, "de"), "Africa/Lagos": (4, None), "Africa/Cairo": (3, "ar"),
         "Asia/Kolkata": (10, "hi"), "Asia/Kathmandu": (1, None), "Asia/Shanghai": (9, "zh"),
         "Asia/Tokyo": (4, None), "Australia/Sydney": (4, None), "Pacific/Auckland": (1, None)}
MODALITIES = {"video": 60, "phone": 15, "chat": 15, "in_person": 10}
QUESTIONS = {"stage": ["first year", "final year", "graduate", "career change"],
             "style": ["structured", "informal", "goal-driven"],
             "sector": ["academia", "industry", "public sector", "non-profit", "startup"]}
BLOCK_STARTS = {"weekday": [7, 8, 12, 12, 17, 18, 18, 19, 20], "weekend": [9, 10, 11, 14, 16]}


def synthetic_person(rng: random.Random, pid: int, mentor: bool, capacity: int):
    from lti_tool.matching.profiles import Person  # numpy loads only after _one_core()

    zone = rng.choices(list(ZONES), weights=[w for w, _ in ZONES.values()])[0]
    regional = ZONES[zone][1]
    languages = {"en"} if rng.random() < 0.85 else set()
    if regional and rng.random() < 0.8:
        languages.add(regional)
    if rng.random() < 0.1:
        languages.add(rng.choice(["es", "fr", "de", "pt", "zh", "hi", "ar"]))
    topic_weights = [1 / (k + 1) ** 0.8 for k in range(len(TOPICS))]
    topics = {rng.choices(TOPICS, weights=topic_weights)[0]
              for _ in range(rng.randint(2, 5) if mentor else rng.randint(1, 3))}
    return Person(
        id=pid, timezone=zone, slots=frozenset(_availability(rng)), topics=frozenset(topics),
        languages=frozenset(languages or {regional or "en"}),
        modality=rng.choices(list(MODALITIES), weights=list(MODALITIES.values()))[0],
        answers=_answers(rng) if not mentor or rng.random() < 0.9 else {},
        capacity=capacity if mentor else 1, name=f"Person {pid}")


def _availability(rng: random.Random) -> set[tuple[int, int]]:
    slots = set()
    for _ in range(rng.randint(2, 4)):
        day = rng.randrange(7)
        start = rng.choice(BLOCK_STARTS["weekend" if day >= 5 else "weekday"]) * 60
        start += rng.choice([0, 30])
        for half in range(rng.randint(2, 6)):  # 1 to 3 hours
            minute = start + half * 30
            if minute < 24 * 60:
                slots.add((day, minute))
    return slots


def _answers(rng: random.Random) -> dict[str, frozenset[str]]:
    return {q: frozenset(rng.sample(options, rng.randint(1, 2)))
            for q, options in QUESTIONS.items() if rng.random() < 0.9}


def run(mentees: int, mentors: int, capacity: int, seed: int) -> dict:
    from lti_tool.matching import assignment  # see _one_core()
    from lti_tool.matching.profiles import Constraints, Weights
    from lti_tool.matching.scoring import score_all

    rng = random.Random(seed)
    mentee_list = [synthetic_person(rng, n, False, 1) for n in range(mentees)]
    mentor_list = [synthetic_person(rng, mentees + n, True, capacity) for n in range(mentors)]
    rss_before = _peak_mb()
    started = time.perf_counter()
    table = score_all(mentee_list, mentor_list, Weights(), Constraints(), WEEK)
    scored = time.perf_counter()
    best = assignment.optimal(table)
    assigned = time.perf_counter()
    baseline = assignment.greedy(table)
    greedy_done = time.perf_counter()
    stable = assignment.stable(table)
    stable_done = time.perf_counter()
    return {
        "mentees": mentees, "mentors": mentors, "capacity": capacity, "seed": seed,
        "week": WEEK.isoformat(), "cpu_cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity") else None,
        "score_seconds": round(scored - started, 3),
        "assign_seconds": round(assigned - scored, 3),
        "score_plus_assign_seconds": round(assigned - started, 3),
        "greedy_seconds": round(greedy_done - assigned, 3),
        "stable_seconds": round(stable_done - greedy_done, 3),
        "peak_mb": round(_peak_mb(), 1), "peak_measure": "getrusage ru_maxrss",
        "rss_before_mb": round(rss_before, 1),
        "feasible_share": round(float(table.feasible.mean()), 3),
        "total": round(best.total, 2), "greedy_total": round(baseline.total, 2),
        "stable_total": round(stable.total, 2),
        "matched": len(best.pairs), "greedy_matched": len(baseline.pairs),
        "stable_matched": len(stable.pairs),
        "stable_moved_from_greedy": len(assignment.compare(baseline, stable).moves),
        "unmatched_reasons": _reason_kinds(best),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _reason_kinds(matching) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for reason in matching.unmatched.values():
        kind = reason.split(":")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _one_core() -> None:
    """Run on one CPU core, as the targets say: pin the process and keep BLAS to one thread.
    This must happen before numpy loads (BLAS starts its threads then), which is why the
    matching modules are imported inside the functions above, not at the top."""
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def main() -> None:
    _one_core()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentees", type=int)
    parser.add_argument("--mentors", type=int)
    parser.add_argument("--capacity", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.mentees or args.mentors:
        if not (args.mentees and args.mentors):
            parser.error("give both --mentees and --mentors, or neither")
        print(json.dumps(run(args.mentees, args.mentors, args.capacity, args.seed)), flush=True)
        return
    for mentees, mentors, capacity in TARGETS:  # a process each: its own peak memory
        subprocess.run([sys.executable, "-m", "bench.matching", "--mentees", str(mentees),  # noqa: S603
                        "--mentors", str(mentors), "--capacity", str(capacity),
                        "--seed", str(args.seed)], check=True)


if __name__ == "__main__":
    main()
