"""How long the staff pages take to render for a program of real size, and how many SQL
statements each runs (which should not grow with the program).

    python -m bench.staff [--sizes 250 500] [--mentors 120] [--renders 7] [--weeks 8]

For each size: a fresh SQLite database in a temporary folder, the sandbox set up, and
`flask sandbox seed` (lti_tool/sandbox/seed.py) with that many learners and `--mentors`
mentors; then the demo teacher is signed in directly (the session a launch would write,
as tests do) and each staff page is rendered through the WSGI app once to warm it (the
dashboard's first view assesses every pair and stores it), then `--renders` times.
Prints one JSON object: {size: {page: {render_ms (median), queries (the most of any
render)}}}.
"""

import argparse
import json
import secrets
import statistics
import tempfile
import time
from datetime import timedelta

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.sandbox.seed import SeedOptions, SeedResult, seed_cohort
from lti_tool.sandbox.setup import setup_sandbox
from lti_tool.timeutil import utcnow
from lti_tool.web.sessions import TOKEN_PARAM, WebSession, make_token
from tests.support.queries import QueryCounter

BASE_URL = "http://127.0.0.1:5000"
PAGES = {"home": "/", "matching": "/matching", "people": "/mentors", "roster": "/roster",
         "dashboard": "/dashboard", "grades": "/grades"}
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London",
         "America/Sao_Paulo", "Asia/Kolkata", "Australia/Sydney")


def staff_token(seeded: SeedResult) -> str:
    """The session a staff launch of the seeded activity writes (courses.services
    `record_launch` made the enrolment; this writes what the launch view stores)."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    data = {"enrolment_id": seeded.staff_enrolment_id, "launch_id": f"bench-{sid[:12]}",
            "resource_link_id": seeded.resource_link_id, "deep_linking": False,
            "embedded": True, "locale": "en"}
    db.session.add(WebSession(id=sid, data=data, started_at=now,
                              expires_at=now + timedelta(hours=8)))
    db.session.commit()
    return make_token(sid)


def measure(client, url: str, renders: int) -> dict:
    assert client.get(url).status_code == 200, url  # warm: caches, the first assessment
    timings, queries = [], []
    for _ in range(renders):
        with QueryCounter() as counter:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(counter.count)
    return {"render_ms": round(statistics.median(timings) * 1000, 1), "queries": max(queries)}


def run(learners: int, mentors: int, weeks: int, renders: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                          "BASE_URL": BASE_URL, "SANDBOX_URL": "http://localhost:5000/sandbox"},
                         env="testing")
        app.instance_path = folder
        with app.app_context():
            db.create_all()
            setup_sandbox(BASE_URL)
            seeded = seed_cohort(SeedOptions(learners, mentors, ZONES, weeks, seed=1))
            token = staff_token(seeded)
        client = app.test_client(use_cookies=False)
        figures = {name: measure(client, f"{path}?{TOKEN_PARAM}={token}", renders)
                   for name, path in PAGES.items()}
        with app.app_context():
            db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500])
    parser.add_argument("--mentors", type=int, default=120)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--renders", type=int, default=7)
    args = parser.parse_args()
    results = {str(size): run(size, args.mentors, args.weeks, args.renders)
               for size in args.sizes}
    print(json.dumps(results, indent=2), flush=True)


if __name__ == "__main__":
    main()
