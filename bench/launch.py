"""How long a full LTI launch takes inside the tool: OIDC login initiation + signed id_token
validation + recording the launch + the page the person lands on (redirects followed: a new
learner's home sends them on to the intake), through the WSGI app on SQLite, with
the platform's JWKS fetched (and then cached) over HTTP on loopback.

    python -m bench.launch [--launches N]

Prints one JSON object: launches, median/p95 milliseconds per launch, launches per second
(one process, sequential), and SQL statements per launch.
"""

import argparse
import json
import statistics
import tempfile
import time

import sqlalchemy as sa

from lti_tool import create_app
from lti_tool.extensions import db
from tests.support.platform import LTI, PlatformDouble, launch


def run(launches: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                          "BASE_URL": "http://127.0.0.1:5000", "SANDBOX_ENABLED": False},
                         env="testing")
        platform = PlatformDouble()
        with app.app_context():
            db.create_all()
            platform.register()
            statements = _count_statements()
        client = app.test_client(use_cookies=False)
        timings = []
        for n in range(launches):
            started = time.perf_counter()
            response = launch(client, platform, sub=str(1000 + n), **{
                LTI + "resource_link": {"id": str(n % 10), "title": "Mentoring"}})
            _first_page(client, response)
            timings.append(time.perf_counter() - started)
        platform.close()
    timings.sort()
    return {
        "launches": launches,
        "median_ms": round(statistics.median(timings) * 1000, 2),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))] * 1000, 2),
        "launches_per_s": round(launches / sum(timings), 1),
        "sql_per_launch": round(statements["count"] / launches, 1),
    }


def _first_page(client, response, hops: int = 3):
    """The page the person lands on: the launch's redirect followed (a new learner's home
    sends them on to the intake), counted in the launch's time."""
    for _ in range(hops):
        if response.status_code != 303:
            break
        response = client.get(response.headers["Location"])
    assert response.status_code == 200, response.status_code
    return response


def _count_statements() -> dict:
    counter = {"count": 0}

    @sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def _count(*_args):
        counter["count"] += 1

    return counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=200)
    print(json.dumps(run(parser.parse_args().launches)))


if __name__ == "__main__":
    main()
