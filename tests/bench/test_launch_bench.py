"""`python -m bench.launch` at a tiny size, so that it can never silently break: the shape of
its figures and zero errors, never its speed."""

import pytest

from tests.support.benches import require, run_bench

FIGURES = {"launches_per_second", "p50_ms", "p95_ms", "errors", "rounds_per_second"}


def test_in_process_launches_count_statements_per_request():
    (result,) = run_bench("bench.launch", "--launches", "3")
    assert result["launches"] == 3
    # A new learner's launch answers with the intake: no page to follow after it.
    assert result["sql_per_request"].keys() == {"login", "launch"}
    per_request = sum(result["sql_per_request"].values())
    assert result["sql_per_launch"] == pytest.approx(per_request, abs=0.2)


def test_compare_prints_both_tools_per_concurrency_without_errors():
    require("gunicorn", "requests")
    lines = run_bench("bench.launch", "--compare", "--launches", "5", "--levels", "1", "2",
                      "--rounds", "2")
    assert [line["concurrency"] for line in lines] == [1, 2]
    for line in lines:
        for tool in ("pairwise", "minimal"):
            assert line[tool].keys() == FIGURES, line
            assert line[tool]["errors"] == 0, line
            assert line[tool]["launches_per_second"] > 0
            assert len(line[tool]["rounds_per_second"]) == 2
            assert 0 < line[tool]["p50_ms"] <= line[tool]["p95_ms"]
        assert line["ratio"] == round(line["pairwise"]["launches_per_second"]
                                      / line["minimal"]["launches_per_second"], 3)
