"""Grade sync at scale: recompute the participation grades of a program of N learners, then
post every score to the sandbox LMS over real HTTP on loopback, as `flask grades sync` does.

    python -m bench.grades [--learners N] [--database-url URL]

The tool and the sandbox LMS run in this one process (the LMS in a threaded HTTP server on
127.0.0.1), on SQLite in a temporary folder unless a database URL is given (or
PAIRWISE_TEST_DATABASE_URL is set). The tool knows the activity's line-item container but not
the line item itself, so it looks it up once. Prints one JSON object: `learners`, `seconds`
(the sync), `posts_per_second`, `token_requests` (target 1), `lineitem_requests` (target
<= 1), `score_posts` (target one per learner), `sent`, `stored` (scores the LMS holds
afterwards), `recompute_seconds` (facts, rubric and outbox rows for everyone), `peak_mb` (the
process's peak resident set size, the LMS and the generated cohort included).
"""

import argparse
import json
import logging
import os
import random
import resource
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

from werkzeug.serving import make_server

from lti_tool import create_app
from lti_tool.courses.models import Program
from lti_tool.extensions import db
from lti_tool.grades import services, sync
from lti_tool.lti import keys
from lti_tool.pairs.models import Pair
from lti_tool.sandbox.setup import setup_sandbox
from tests.support.grades import Traffic, build_cohort, gradebook, hold_meetings


def run(learners: int, database_url: str | None = None) -> dict:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("lti_tool").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{folder}/bench.db"
        holder = {}
        server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start),
                             threaded=True)
        port = server.server_port
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "BASE_URL": f"http://127.0.0.1:{port}",
                          "SANDBOX_URL": f"http://localhost:{port}/sandbox",
                          "LOG_LEVEL": "WARNING"}, env="testing")
        app.instance_path = folder
        holder["app"] = app
        traffic = Traffic(app)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with app.app_context():
                db.drop_all()
                db.create_all()
                keys.ensure_key()
                db.session.commit()
                setup_sandbox(f"http://127.0.0.1:{port}")
                result = _measure(learners, traffic)
                db.session.remove()
                db.drop_all()
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["database"] = "postgresql" if url.startswith("postgresql") else "sqlite"
    return result


def _measure(learners: int, traffic: Traffic) -> dict:
    cohort = build_cohort(learners, mentors=max(1, learners // 10), lineitem_url=False)
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
    recompute_seconds = time.perf_counter() - started

    traffic.seen.clear()
    started = time.perf_counter()
    report = sync.sync_due(limit=learners)
    seconds = time.perf_counter() - started
    stored = len(gradebook(cohort.lineitem_id))
    return {
        "learners": learners,
        "seconds": round(seconds, 2),
        "posts_per_second": round(report.posts / seconds, 1) if seconds else None,
        "token_requests": traffic.count("/sandbox/token"),
        "lineitem_requests": sum(1 for s in traffic.seen if s.path.endswith("/lineitems")
                                 or s.path.endswith("/lineitem")),
        "score_posts": len(traffic.score_posts()),
        "sent": report.sent,
        "stored": stored,
        "queued": queued,
        "recompute_seconds": round(recompute_seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("PAIRWISE_TEST_DATABASE_URL"))
    args = parser.parse_args()
    print(json.dumps(run(args.learners, args.database_url)))


if __name__ == "__main__":
    main()
