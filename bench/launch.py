"""How long a full LTI launch takes: OIDC login initiation, signed id_token validation,
recording the launch, and the page the person lands on (a new learner's launch answers with
the intake; any redirect is followed), with the platform's JWKS fetched (then cached) over
HTTP on loopback.

    python -m bench.launch [--launches N]
    python -m bench.launch --compare [--levels 1 4 16] [--launches N] [--rounds 3]
                           [--workers 2] [--threads 4] [--postgres | --database-url URL]

In-process (the default): the WSGI app on SQLite, one launch after another. Prints one JSON
object: median/p95 milliseconds per launch, launches per second, and SQL statements per launch
and per request (login, launch, each page the redirects lead to).

`--compare`: Pairwise (production settings) and the minimal pylti1p3 tool (bench/minimal_tool.py)
each under gunicorn with the same settings, the same platform double, the same id_token claims
and the same load (bench/hall.py): `--launches` new people launching at each concurrency, in
`--rounds` (3) turns that alternate between the tools (a slow stretch of the machine falls on
both; a tool's rate is the median of its rounds', listed in `rounds_per_second`), every
launch login -> redirect -> id_token POST -> first page, each virtual user with its own cookies,
each client thread reusing its connection where the server allows. Prints one JSON line per
concurrency: {"concurrency", "pairwise": {...}, "minimal": {...}, "ratio"} with
launches_per_second, p50_ms, p95_ms and errors per tool; ratio is Pairwise's launches/s over
the minimal tool's. SQLite in a temporary folder unless `--postgres` (a throwaway cluster from
`.ci/with-postgres`) or `--database-url`.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime

from tests.support.platform import LTI, PlatformDouble, start_login
from tests.support.queries import QueryCounter


def run(launches: int) -> dict:
    from lti_tool import create_app
    from lti_tool.extensions import db

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                          "BASE_URL": "http://127.0.0.1:5000", "SANDBOX_ENABLED": False},
                         env="testing")
        platform = PlatformDouble()
        with app.app_context():
            db.create_all()
            platform.register()
        client = app.test_client(use_cookies=False)
        timings: list[float] = []
        statements: dict[str, int] = defaultdict(int)
        with QueryCounter() as counter:
            for n in range(launches):
                started = time.perf_counter()
                _launch_counted(client, platform, n, counter, statements)
                timings.append(time.perf_counter() - started)
        platform.close()
    timings.sort()
    return {
        "launches": launches,
        "median_ms": round(statistics.median(timings) * 1000, 2),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))] * 1000, 2),
        "launches_per_s": round(launches / sum(timings), 1),
        "sql_per_launch": round(sum(statements.values()) / launches, 1),
        "sql_per_request": {step: round(count / launches, 1)
                            for step, count in statements.items()},
    }


def _launch_counted(client, platform: PlatformDouble, n: int, counter: QueryCounter,
                    statements: dict[str, int]) -> None:
    """One launch, the SQL statements of each of its requests added to `statements`."""
    counter.count = 0
    _, state, nonce = start_login(client, platform)
    statements["login"] += counter.count
    token = platform.sign(platform.claims(nonce, sub=str(1000 + n), **{
        LTI + "resource_link": {"id": str(n % 10), "title": "Mentoring"}}))
    counter.count = 0
    response = client.post("/lti/launch", data={"id_token": token, "state": state})
    statements["launch"] += counter.count
    for _ in range(3):  # the page the person lands on, redirects followed
        if response.status_code != 303:
            break
        location = response.headers["Location"]
        counter.count = 0
        response = client.get(location)
        statements["GET " + location.split("?")[0]] += counter.count
    assert response.status_code == 200, response.status_code


def compare(database_url: str | None, levels: list[int], launches: int, workers: int,
            threads: int, rounds: int = 3):
    """Yield one result per concurrency level, both tools measured at each, in `rounds`
    alternating turns (bench/hall.py `alternate`)."""
    from bench import hall
    from bench.servers import Gunicorn

    with tempfile.TemporaryDirectory() as folder:
        database = database_url or f"sqlite:///{folder}/pairwise.db"
        with hall.Hall(database, folder, Gunicorn(workers, threads)) as place:
            for concurrency in levels:
                measured = hall.alternate(place.tools, place.platform, launches, concurrency,
                                          min(rounds, launches))
                minimal = measured["minimal"]["launches_per_second"]
                yield {"concurrency": concurrency, **measured,
                       "ratio": round(measured["pairwise"]["launches_per_second"] / minimal, 3)
                       if minimal else None,
                       "launches": launches, "database": database.split(":")[0].split("+")[0],
                       "gunicorn": Gunicorn(workers, threads).describe(),
                       "at": datetime.now(UTC).isoformat(timespec="seconds")}
            place.check_logs()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=200, help="per concurrency level")
    parser.add_argument("--compare", action="store_true",
                        help="Pairwise and the minimal pylti1p3 tool under gunicorn")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating turns of the two tools per concurrency")
    parser.add_argument("--postgres", action="store_true",
                        help="a throwaway PostgreSQL cluster (.ci/with-postgres)")
    parser.add_argument("--database-url", help="Pairwise's database (default: SQLite)")
    args = parser.parse_args()
    if not 1 <= args.launches <= 10_000 or not all(1 <= level <= 256 for level in args.levels) \
            or not 1 <= args.rounds <= 20:
        parser.error("keep it bounded: 1-10,000 launches, 1-256 concurrent clients, "
                     "1-20 rounds")
    if not args.compare:
        print(json.dumps(run(args.launches)))
        return
    database_url = args.database_url
    if args.postgres and not database_url:
        database_url = os.environ.get("PAIRWISE_TEST_DATABASE_URL")
        if not database_url:
            from bench.servers import run_in_postgres

            run_in_postgres("bench.launch", sys.argv[1:])
    for line in compare(database_url, args.levels, args.launches, args.workers, args.threads,
                        args.rounds):
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
