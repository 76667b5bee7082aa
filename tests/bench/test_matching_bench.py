"""`python -m bench.matching --compare-ortools` at a tiny size, so that it can never silently
break: the shape of its figures and that both solvers reach the same objective, never speed."""

from tests.support.benches import require, run_bench

SIDES = {"matched", "total"}


def test_compare_ortools_prints_one_agreeing_line_per_size():
    require("ortools")
    (line,) = run_bench("bench.matching", "--compare-ortools", "--mentees", "60",
                        "--mentors", "15", "--capacity", "3")
    assert (line["mentees"], line["mentors"], line["capacity"]) == (60, 15, 3)
    assert line["ours"].keys() == line["ortools"].keys() == SIDES
    assert line["agree"] is True
    assert line["ours"] == line["ortools"]
    assert 0 < line["ours"]["matched"] <= 45  # 15 mentors with 3 places each
    assert isinstance(line["ours"]["total"], int)
    for side in ("ours", "ortools"):
        assert line[f"{side}_seconds"] >= 0 and line[f"{side}_cpu_seconds"] >= 0
        assert line[f"{side}_peak_mb"] > 0 and line[f"{side}_extra_mb"] >= 0
    assert line["ortools_seconds"] >= line["ortools_solve_seconds"]
    assert line["ratio"] >= 0 and line["cpu_ratio"] >= 0
