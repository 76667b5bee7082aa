"""`python -m bench.grades` at a tiny size (20 learners), so that it can never silently
break: one JSON line per endpoint (the sandbox LMS, the fast AGS endpoint), their shape and
counts — one token, one line-item lookup, one score post per learner — never speed."""

from tests.support.benches import run_bench

FIGURES = {"endpoint", "learners", "seconds", "posts_per_second", "token_requests",
           "lineitem_requests", "score_posts", "sent", "stored", "queued",
           "recompute_seconds", "peak_mb", "database"}


def test_grade_sync_bench_prints_one_line_per_endpoint_with_every_score_posted_once():
    lines = run_bench("bench.grades", "--learners", "20")
    assert [line["endpoint"] for line in lines] == ["sandbox", "fast"]
    for line in lines:
        assert line.keys() == FIGURES
        assert line["learners"] == 20 and line["database"] == "sqlite"
        assert line["score_posts"] == line["sent"] == line["stored"] == 20
        assert line["token_requests"] == 1
        assert line["lineitem_requests"] <= 1
        assert line["posts_per_second"] > 0 and line["queued"] > 0
