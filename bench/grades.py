"""Grade sync at scale: recompute the participation grades of a program of N learners, then
post every score over real HTTP on loopback, as `flask grades sync` does: once to the sandbox
LMS, once to a minimal fast AGS endpoint (tests/support/fast_ags.py: answers in well under a
millisecond), so the worker's own speed shows apart from the LMS's.

    python -m bench.grades [--learners N] [--database-url URL]

The tool and both LMSs run in this one process (the LMSs in threaded HTTP/1.1 servers on
127.0.0.1 that keep connections alive), on SQLite in a temporary folder unless a database URL
is given (or PAIRWISE_TEST_DATABASE_URL is set). Each program's learners are fresh; the tool
knows the activity's line-item container but not the line item itself, so it looks it up
once, and starts with no access token cached. Prints one JSON object per endpoint, one a line:
`endpoint` (sandbox, fast), `learners`, `seconds` (the sync), `posts_per_second`,
`token_requests` (target 1), `lineitem_requests` (target <= 1), `score_posts` (target one per
learner), `sent`, `stored` (scores the LMS holds afterwards), `queued`, `recompute_seconds`
(facts, rubric and outbox rows for everyone), `peak_mb` (the process's peak resident set size
so far, the LMSs and the generated cohorts included), `database`.
"""

import argparse
import json
import logging
import os
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from lti_tool import create_app
from lti_tool.courses.models import Program, ResourceLink
from lti_tool.extensions import db
from lti_tool.grades import services, sync
from lti_tool.lti import keys
from lti_tool.lti.models import AccessToken
from lti_tool.pairs.models import Pair
from lti_tool.sandbox.setup import setup_sandbox
from tests.support.fast_ags import FastAGS
from tests.support.grades import Traffic, build_cohort, gradebook, hold_meetings
from tests.support.keepalive import KeepAliveWSGIServer

ENDPOINTS = ("sandbox", "fast")


def run(learners: int, database_url: str | None = None) -> list[dict]:
    """One result per endpoint (ENDPOINTS), both measured in this run."""
    logging.getLogger("lti_tool").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{folder}/bench.db"
        holder = {}
        server = KeepAliveWSGIServer(lambda env, start: holder["app"](env, start))
        fast = FastAGS()
        port = server.port
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "BASE_URL": f"http://127.0.0.1:{port}",
                          "SANDBOX_URL": f"http://localhost:{port}/sandbox",
                          "LOG_LEVEL": "WARNING"}, env="testing")
        app.instance_path = folder
        holder["app"] = app
        traffic = Traffic(app)
        try:
            with app.app_context():
                db.drop_all()
                db.create_all()
                keys.ensure_key()
                db.session.commit()
                setup_sandbox(f"http://127.0.0.1:{port}")
                results = [_sandbox(learners, traffic), _fast(learners, fast)]
                db.session.remove()
                db.drop_all()
        finally:
            fast.close()
            server.close()
    peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    database = "postgresql" if url.startswith("postgresql") else "sqlite"
    return [{**result, "peak_mb": peak_mb, "database": database} for result in results]


def _sandbox(learners: int, traffic: Traffic) -> dict:
    cohort = build_cohort(learners, mentors=max(1, learners // 10), lineitem_url=False)
    queued, recompute_seconds = _queue(cohort)
    traffic.seen.clear()
    report, seconds = _sync(learners)
    return {"endpoint": "sandbox", **_figures(learners, report, seconds), **{
        "token_requests": traffic.count("/sandbox/token"),
        "lineitem_requests": sum(1 for s in traffic.seen if s.path.endswith("/lineitems")
                                 or s.path.endswith("/lineitem")),
        "score_posts": len(traffic.score_posts()),
        "stored": len(gradebook(cohort.lineitem_id)),
        "queued": queued, "recompute_seconds": recompute_seconds}}


def _fast(learners: int, fast: FastAGS) -> dict:
    """A second program of fresh learners, its platform and link pointed at `fast`."""
    mentors = max(1, learners // 10)
    cohort = build_cohort(learners, mentors=mentors, lineitem_url=False,
                          first_user=2000 + 2 * (learners + mentors), title="Fast program")
    link = db.session.get(ResourceLink, cohort.link_id)
    fast.retarget(link.course.platform, link)
    db.session.execute(sa.delete(AccessToken))  # the sandbox's token means nothing there
    db.session.commit()
    queued, recompute_seconds = _queue(cohort)
    report, seconds = _sync(learners)
    counts = fast.counts
    return {"endpoint": "fast", **_figures(learners, report, seconds), **{
        "token_requests": counts.token_requests, "lineitem_requests": counts.lineitem_requests,
        "score_posts": counts.score_posts, "stored": len(counts.scores),
        "queued": queued, "recompute_seconds": recompute_seconds}}


def _queue(cohort) -> tuple[int, float]:
    """Meetings for most pairs, then every learner's grade recomputed and queued."""
    rng = random.Random(7)  # noqa: S311 - a seeded synthetic cohort, not security
    start = datetime(2030, 1, 7, 17, 0, tzinfo=UTC)
    for pair_id in cohort.pair_ids:
        held = rng.choice([0, 1, 2, 3, 3, 4, 6])
        if held:
            hold_meetings(db.session.get(Pair, pair_id), held,
                          start=start + timedelta(minutes=pair_id))
    db.session.commit()
    started = time.perf_counter()
    queued = services.queue_recompute(db.session.get(Program, cohort.program_id))
    db.session.commit()
    return queued, round(time.perf_counter() - started, 2)


def _sync(learners: int) -> tuple[sync.SyncReport, float]:
    started = time.perf_counter()
    report = sync.sync_due(limit=learners)
    return report, time.perf_counter() - started


def _figures(learners: int, report: sync.SyncReport, seconds: float) -> dict:
    return {"learners": learners, "seconds": round(seconds, 2),
            "posts_per_second": round(report.posts / seconds, 1) if seconds else None,
            "sent": report.sent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("PAIRWISE_TEST_DATABASE_URL"))
    args = parser.parse_args()
    for result in run(args.learners, args.database_url):
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
