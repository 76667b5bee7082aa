"""Matching at scale: score every mentee-mentor pair of a synthetic program, then assign
optimally (and greedily and stably, for comparison), on one CPU core.

    python -m bench.matching [--mentees N --mentors M --capacity C --seed S]
    python -m bench.matching --compare-ortools [--mentees N --mentors M ...]

Without sizes it runs the two target sizes, 2,000 x 500 and 10,000 x 2,500 (capacity 4), each
in a fresh process so each reports its own peak memory. Prints one JSON object per line:
`score_seconds` (score_all), `assign_seconds` (optimal), `greedy_seconds`, `stable_seconds`
(stable: mentors rank by their own view of each pair, computed as mentees propose), `peak_mb`
(the process's peak resident set size from getrusage: interpreter, libraries and the
generated people included; `rss_before_mb` is the same figure just before scoring), `total`
(optimal), `greedy_total`, `stable_total`, `matched`, `greedy_matched`, `stable_matched`, and
`stable_moved_from_greedy` (mentees whose mentor differs between the two). Targets: score +
assign under 2 s and 20 s, peak under 1 GB.

With --compare-ortools it scores the program once, puts the scores on a grid of 1/SCALE
points (exactly representable, so both sides solve the very same problem) and times our exact
solver (`solver.solve`, what `assignment.optimal` runs) against OR-Tools' `SimpleMinCostFlow`
(`solve_max_flow_with_min_cost`: the most matched mentees, then the least cost, each pair
costing -score x SCALE) on that table, each side in its own fresh process that loads the table
from a file: `ours_seconds` (solve), `ortools_seconds` (building the graph + solving, also
given apart as `ortools_build_seconds` and `ortools_solve_seconds`), `ratio` (ours / OR-Tools),
the same in CPU time of the process (`ours_cpu_seconds`, `ortools_cpu_seconds`, `cpu_ratio`:
steadier on a busy machine), each side's objective (`matched`, `total` as an integer number of
1/SCALE points) and `agree`, and each side's `peak_mb` (VmHWM of its process: the same modules
loaded on both sides) and `extra_mb` (that peak less the peak just before solving, with the
table loaded). One JSON line per size.

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
import tempfile
import time
from datetime import date

TARGETS = [(2000, 500, 4), (10000, 2500, 4)]
SCALE = 1024  # --compare-ortools: scores on a 1/1024-point grid, integer costs for OR-Tools
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


def compare_ortools(mentees: int, mentors: int, capacity: int, seed: int) -> dict:
    """Both solvers on one scored table, each in a fresh process (see the module docstring)."""
    import numpy as np

    table = _gridded_table(mentees, mentors, capacity, seed)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "table.npz")
        np.savez(path, **table)
        ours, theirs = (_worker(side, path) for side in ("ours", "ortools"))
    agree = (ours["matched"], ours["total"]) == (theirs["matched"], theirs["total"])
    return {
        "mentees": mentees, "mentors": mentors, "capacity": capacity, "seed": seed,
        "scale": SCALE, "feasible_share": round(float(table["feasible"].mean()), 3),
        "ours_seconds": ours["seconds"], "ortools_seconds": theirs["seconds"],
        "ortools_build_seconds": theirs["build_seconds"],
        "ortools_solve_seconds": theirs["solve_seconds"],
        "ratio": round(ours["seconds"] / max(theirs["seconds"], 1e-9), 2),
        "ours_cpu_seconds": ours["cpu_seconds"], "ortools_cpu_seconds": theirs["cpu_seconds"],
        "cpu_ratio": round(ours["cpu_seconds"] / max(theirs["cpu_seconds"], 1e-9), 2),
        "ours": {"matched": ours["matched"], "total": ours["total"]},
        "ortools": {"matched": theirs["matched"], "total": theirs["total"]},
        "agree": agree,
        "ours_peak_mb": ours["peak_mb"], "ortools_peak_mb": theirs["peak_mb"],
        "ours_extra_mb": ours["extra_mb"], "ortools_extra_mb": theirs["extra_mb"],
        "peak_measure": "VmHWM of each side's own process; extra: less the peak with the "
                        "table loaded",
    }


def _gridded_table(mentees: int, mentors: int, capacity: int, seed: int) -> dict:
    import numpy as np

    from lti_tool.matching.profiles import Constraints, Weights
    from lti_tool.matching.scoring import score_all

    rng = random.Random(seed)
    mentee_list = [synthetic_person(rng, n, False, 1) for n in range(mentees)]
    mentor_list = [synthetic_person(rng, mentees + n, True, capacity) for n in range(mentors)]
    table = score_all(mentee_list, mentor_list, Weights(), Constraints(), WEEK)
    points = np.round(table.total.astype(np.float64) * SCALE).astype(np.int32)
    total = points.astype(np.float32) / np.float32(SCALE)  # exact: multiples of 1/1024 < 128
    return {"points": points, "total": total, "feasible": table.feasible,
            "capacity": np.array([m.capacity for m in mentor_list], dtype=np.int64)}


def _worker(side: str, path: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.matching", "--worker", side,  # noqa: S603
                           "--table", path], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def solve_side(side: str, path: str) -> dict:
    """One side of --compare-ortools, in this (fresh) process."""
    import numpy as np

    # Both sides load the same modules first (the solver imports OR-Tools, and lti_tool
    # Flask), so that their peaks differ by what the solving takes.
    from lti_tool.matching import solver  # noqa: F401
    loaded = np.load(path)  # each side loads only its own form of the scores
    feasible, capacity = loaded["feasible"], loaded["capacity"]
    scores = loaded["total" if side == "ours" else "points"]
    loaded_mb = _high_water_mb()
    if side == "ours":
        figures = _solve_ours(scores, feasible, capacity)
        columns = figures.pop("columns")
        rows = np.flatnonzero(columns >= 0)
        points = np.round(scores[rows, columns[rows]].astype(np.float64) * SCALE)
        figures |= {"matched": len(rows), "total": int(points.sum())}
    else:
        figures = _solve_ortools(scores, feasible, capacity)
    peak = _high_water_mb()
    return figures | {"peak_mb": round(peak, 1), "extra_mb": round(peak - loaded_mb, 1)}


def _solve_ours(total, feasible, capacity) -> dict:
    from lti_tool.matching import solver

    started, cpu = time.perf_counter(), time.process_time()
    columns = solver.solve(len(total), capacity, lambda lo, hi: (total[lo:hi], feasible[lo:hi]))
    return {"seconds": round(time.perf_counter() - started, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3), "columns": columns}


def _solve_ortools(points, feasible, capacity) -> dict:
    """Nodes: source 0, mentees 1.., mentors after them, sink last. Arcs: source -> each
    mentee (1 place), each feasible pair (1 place, cost -points), mentor -> sink (capacity)."""
    import numpy as np
    from ortools.graph.python import min_cost_flow

    n_rows, n_cols = points.shape
    sink = n_rows + n_cols + 1
    started, cpu = time.perf_counter(), time.process_time()
    rows, cols = np.nonzero(feasible)
    tails = np.concatenate([np.zeros(n_rows, np.int32), rows + 1,
                            n_rows + 1 + np.arange(n_cols)]).astype(np.int32)
    heads = np.concatenate([1 + np.arange(n_rows), n_rows + 1 + cols,
                            np.full(n_cols, sink)]).astype(np.int32)
    capacities = np.concatenate([np.ones(n_rows + len(rows), np.int64), capacity])
    costs = np.concatenate([np.zeros(n_rows, np.int64), -points[rows, cols].astype(np.int64),
                            np.zeros(n_cols, np.int64)])
    del rows, cols
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    del tails, heads, capacities, costs
    flow.set_node_supply(0, n_rows)
    flow.set_node_supply(sink, -n_rows)
    built = time.perf_counter()
    status = flow.solve_max_flow_with_min_cost()
    solved = time.perf_counter()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools: status {status}")
    return {"seconds": round(solved - started, 3), "build_seconds": round(built - started, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3),
            "solve_seconds": round(solved - built, 3), "matched": int(flow.maximum_flow()),
            "total": -int(flow.optimal_cost())}


def _high_water_mb() -> float:
    """This process's peak resident set since it started: VmHWM, which (unlike ru_maxrss)
    does not inherit the peak of the parent that forked it, here the one that scored."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _peak_mb()


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
    parser.add_argument("--compare-ortools", action="store_true",
                        help="time OR-Tools' min-cost flow against our solver on one table")
    parser.add_argument("--worker", choices=["ours", "ortools"], help=argparse.SUPPRESS)
    parser.add_argument("--table", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(solve_side(args.worker, args.table)), flush=True)
        return
    if args.mentees or args.mentors:
        if not (args.mentees and args.mentors):
            parser.error("give both --mentees and --mentors, or neither")
        sizes = [(args.mentees, args.mentors, args.capacity)]
    else:
        sizes = TARGETS
    if args.compare_ortools:
        for mentees, mentors, capacity in sizes:
            print(json.dumps(compare_ortools(mentees, mentors, capacity, args.seed)), flush=True)
        return
    if args.mentees:
        print(json.dumps(run(args.mentees, args.mentors, args.capacity, args.seed)), flush=True)
        return
    for mentees, mentors, capacity in TARGETS:  # a process each: its own peak memory
        subprocess.run([sys.executable, "-m", "bench.matching", "--mentees", str(mentees),  # noqa: S603
                        "--mentors", str(mentors), "--capacity", str(capacity),
                        "--seed", str(args.seed)], check=True)


if __name__ == "__main__":
    main()
