"""`flask grades ...` against the sandbox LMS: recompute, sync, the bounded worker, status,
retry-failed."""

import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.grades.models import FAILED, GradeSync
from lti_tool.pairs.models import Pair
from tests.support.grades import SCORES_PATH, gradebook, hold_meetings


def test_recompute_then_sync(grading, cohort):
    runner = grading.app.test_cli_runner()
    with grading.app.app_context():
        hold_meetings(db.session.get(Pair, cohort.pair_ids[0]), 2)
        db.session.commit()
    recomputed = runner.invoke(args=["grades", "recompute"])
    assert recomputed.exit_code == 0 and "Queued 3 score changes" in recomputed.output
    assert "pending     3" in runner.invoke(args=["grades", "status"]).output
    synced = runner.invoke(args=["grades", "sync", "--limit", "10"])
    assert synced.exit_code == 0, synced.output
    assert "Sent 3" in synced.output and "3 posts" in synced.output
    with grading.app.app_context():
        assert sorted(s.score_given for s in gradebook(cohort.lineitem_id).values()) == [0, 0, 20]
    assert "sent        3" in runner.invoke(args=["grades", "status"]).output


def test_the_worker_recomputes_and_posts_in_bounded_loops(grading, cohort):
    runner = grading.app.test_cli_runner()
    result = runner.invoke(args=["grades", "worker", "--interval", "0", "--max-loops", "2"])
    assert result.exit_code == 0, result.output
    assert "Worker done after 2 batches. Sent 3" in result.output
    assert len(grading.traffic.score_posts()) == 3


def test_retry_failed(grading, cohort):
    runner = grading.app.test_cli_runner()
    grading.app.config["GRADES_MAX_ATTEMPTS"] = 1
    grading.traffic.fail(SCORES_PATH, times=3, status=502)
    runner.invoke(args=["grades", "recompute"])
    assert "failed 3" in runner.invoke(args=["grades", "sync"]).output
    with grading.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GradeSync).where(
            GradeSync.status == FAILED)) == 3
    assert "Queued 3 failed changes again" in runner.invoke(
        args=["grades", "retry-failed"]).output
    assert "Sent 3" in runner.invoke(args=["grades", "sync"]).output
