"""`python -m bench.load` at a tiny size (a small seeded program, 2 users for 3 seconds), so
that it can never silently break: the shape of its figures and zero errors, never speed."""

from tests.support.benches import require, run_bench

KINDS = ("learner", "staff", "launch")
FIGURES = {"requests", "errors", "p50_ms", "p95_ms"}


def test_mixed_load_prints_figures_per_kind_of_page_without_errors():
    require("gunicorn", "locust")
    (line,) = run_bench("bench.load", "--users", "2", "--run-time", "3", "--learners", "12",
                        "--mentors", "4", "--weeks", "1")
    assert line["users"] == 2
    assert line["errors"] == 0, line["error_messages"]
    assert line["requests"] > 0 and line["requests_per_second"] > 0
    for kind in KINDS:
        assert FIGURES <= line[kind].keys()
        assert all(page.keys() == FIGURES for page in line[kind]["pages"].values())
    assert line["requests"] == sum(line[kind]["requests"] for kind in KINDS)
    assert {"login", "id_token", "first page"} <= line["launch"]["pages"].keys()
