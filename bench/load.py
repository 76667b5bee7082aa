"""Mixed load: gunicorn serving Pairwise (production settings) on a seeded program, driven by
Locust users who launch (OIDC login, an id_token signed by a platform double whose JWKS is
served on loopback, the launch, which answers with the person's first page) and then view
pages, as learners (3 in 4:
home, intake, their pair's journal, messages, meetings and guides) or staff (home, roster,
matching, mentors, dashboard, grades).

    python -m bench.load [--users 4 16] [--run-time 30] [--workers 2] [--threads 4]
                         [--think 0] [--learners 250] [--mentors 60] [--weeks 8]
                         [--postgres | --database-url URL] [--server-log FILE]

The program is `flask sandbox seed`'s (bench/program.py): learners launch as seeded learners
(into their pairs), staff as the course's teacher, so that every page shows a semester's
content. SQLite in a temporary folder unless `--postgres` (a throwaway cluster from
`.ci/with-postgres`) or `--database-url`; the schema is made afresh. Users wait `--think`
seconds between requests (0: each sends its next request as soon as the last is answered, so
throughput is what the machine can serve). Rate limits stay on, set high: every user comes
from 127.0.0.1. Everything runs on this machine: the load, the app, the database.

Prints one JSON line per user count: requests, requests_per_second, errors, and p50/p95
milliseconds for learner pages, staff pages and launches, each with its pages' own figures.
"""

# Locust patches the standard library for gevent on import: it must come first.
from locust import HttpUser, between, constant, task  # noqa: I001 - before anything else
from locust.env import Environment
from locust.stats import RequestStats, StatsEntry

import argparse
import html as html_module
import json
import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import count
from urllib.parse import parse_qs, urlsplit

import gevent

from bench import servers
from tests.support.platform import LTI, PAGE_URL, PlatformDouble

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
KINDS = ("learner", "staff", "launch")
# Claims naming the fixture's platform services: a launch would store their URLs.
SERVICE_CLAIMS = ("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",
                  "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice",
                  "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome", LTI + "custom")
PLATFORM: PlatformDouble | None = None  # set by run(); the users sign with its key
PROGRAM: dict = {}  # bench/program.py's description of the seeded program
_learners = count()


class Participant(HttpUser):
    """Launches from the course (once at the start, then now and again) and views pages."""

    abstract = True
    kind = ""
    roles: list[str] = []

    def on_start(self):
        self.subject, self.pages = self.identity()
        self.token = None
        self.launch()

    def identity(self) -> tuple[str, dict[str, str]]:
        raise NotImplementedError

    @task(1)
    def launch(self):
        platform = PLATFORM
        response = self.client.post("/lti/login", name="launch: login", allow_redirects=False,
                                    data=platform.login_params(
                                        login_hint=self.subject,
                                        target_link_uri=self.host + "/lti/launch"))
        if response.status_code != 302:
            return
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        token = platform.sign(_claims(platform, query["nonce"][0], self.subject, self.roles))
        with self.client.post("/lti/launch", name="launch: id_token", allow_redirects=False,
                              data={"id_token": token, "state": query["state"][0]},
                              catch_response=True) as launched:
            if launched.status_code == 200:  # the person's first page itself
                found = PAGE_URL.search(launched.text)
                location = html_module.unescape(found[1]) if found else ""
            elif launched.status_code == 303:
                location = launched.headers["Location"]
            else:
                launched.failure(f"launch answered {launched.status_code}")
                return
            if "pw=" not in location:
                launched.failure("the launch's answer has no session token")
                return
        self.token = parse_qs(urlsplit(location).query)["pw"][0]
        if launched.status_code == 303:
            self.client.get(location, name="launch: first page")

    @task(6)
    def view_page(self):
        if self.token is None:
            return
        name, path = random.choice(list(self.pages.items()))
        self.client.get(path, params={"pw": self.token}, name=f"{self.kind}: {name}")


class Learner(Participant):
    weight = 3
    kind = "learner"

    def identity(self):
        learners = PROGRAM["learners"]
        learner = learners[next(_learners) % len(learners)]
        pages = {"home": "/", "intake": "/intake"}
        if learner["pair"]:
            pair = f"/pairs/{learner['pair']}"
            pages.update(journal=pair + "/journal", messages=pair + "/messages",
                         meetings=pair + "/meetings", guides=pair + "/guides")
        return learner["subject"], pages


    @task(1)
    def post_message(self):
        """A message to their mentor, through the page's form (CSRF token, submission key)."""
        if self.token is None or "messages" not in self.pages:
            return
        path = self.pages["messages"]
        page = self.client.get(path, params={"pw": self.token}, name="learner: messages")
        fields = _form_fields(page.text, path)
        if fields is None:
            return
        with self.client.post(path, params={"pw": self.token}, name="learner: post message",
                              data={**fields, "body": "See you on Thursday!"},
                              allow_redirects=False, catch_response=True) as posted:
            if posted.status_code != 303:
                posted.failure(f"posting a message answered {posted.status_code}")


def _form_fields(html: str, action: str) -> dict[str, str] | None:
    """The hidden fields of the page's form that posts to `action`."""
    form = re.search(r'<form[^>]*action="' + re.escape(action) + r'(?:\?[^"]*)?"[^>]*>(.*?)</form>',
                     html, re.S)
    if form is None:
        return None
    fields = {}
    for tag in re.findall(r'<input[^>]*type="hidden"[^>]*>', form.group(1)):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = html_module.unescape(value.group(1)) if value else ""
    return fields


class Staff(Participant):
    weight = 1
    kind = "staff"
    roles = [INSTRUCTOR]

    def identity(self):
        return PROGRAM["staff"], {"home": "/", "roster": "/roster", "matching": "/matching",
                                  "mentors": "/mentors", "dashboard": "/dashboard",
                                  "grades": "/grades"}


def _claims(platform: PlatformDouble, nonce: str, subject: str, roles: list[str]) -> dict:
    overrides = {"sub": subject, "name": None, "given_name": None, "family_name": None,
                 "email": None, LTI + "context": PROGRAM["context"],
                 LTI + "resource_link": PROGRAM["resource_link"],
                 **dict.fromkeys(SERVICE_CLAIMS)}
    if roles:
        overrides[LTI + "roles"] = roles
    return platform.claims(nonce, **overrides)


def run(database_url: str, user_counts: list[int], run_time: float, settings: servers.Gunicorn,
        think: float, size: dict, server_log: str | None = None):
    """Yield one result per user count, the server and its seeded program shared by all."""
    global PLATFORM, PROGRAM
    PLATFORM = platform = PlatformDouble()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the JWKS server's requests
    port = servers.free_port()
    env = servers.pairwise_environ(database_url, f"http://127.0.0.1:{port}", platform)
    PROGRAM = _seed(database_url, f"http://127.0.0.1:{port}", platform, size)
    # Paired learners launch first: most of a hall is paired in a running semester.
    PROGRAM["learners"].sort(key=lambda learner: learner["pair"] is None)
    platform.issuer, platform.client_id = PROGRAM["issuer"], PROGRAM["client_id"]
    platform.deployment_id = PROGRAM["deployment_id"]
    try:
        with servers.gunicorn("wsgi:app", env, settings, port) as served:
            _warm_up(served.base)
            for users in user_counts:
                yield {"users": users, **_drive(served.base, users, run_time, think),
                       "run_time_s": run_time, "think_s": think,
                       "gunicorn": settings.describe(),
                       "database": database_url.split(":")[0].split("+")[0],
                       "program": {k: size[k] for k in ("learners", "mentors", "weeks")},
                       "at": datetime.now(UTC).isoformat(timespec="seconds")}
    finally:
        platform.close()
    if server_log:
        with open(server_log, "w") as file:
            file.write(served.log)
    if served.errors:
        raise RuntimeError("gunicorn logged errors:\n" + "\n".join(served.errors[:20]))


def _seed(database_url: str, base: str, platform: PlatformDouble, size: dict) -> dict:
    options = {"database_url": database_url, "base_url": base,
               "key_set_url": platform.jwks_url, **size}
    done = subprocess.run([sys.executable, "-m", "bench.program",  # noqa: S603 - ours
                           json.dumps(options)], cwd=servers.ROOT, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def _warm_up(base: str) -> None:
    """Each page once before the clock starts, as a learner and as staff: the JWKS cached,
    the dashboard's first assessment of every pair stored, each worker's first requests."""
    environment = Environment(user_classes=[Learner, Staff], host=base)
    for user_class in (Learner, Staff):
        user_class.host = base
        user = user_class(environment)
        user.on_start()
        for name, path in user.pages.items():
            user.client.get(path, params={"pw": user.token}, name=name)


def _drive(base: str, users: int, run_time: float, think: float) -> dict:
    global _learners
    _learners = count()  # each level starts from the first (paired) learners
    wait = constant(0) if think <= 0 else between(think / 2, think * 1.5)
    for user_class in (Learner, Staff):
        user_class.wait_time = wait
        user_class.host = base
    environment = Environment(user_classes=[Learner, Staff], host=base)
    runner = environment.create_local_runner()
    started = time.monotonic()
    runner.start(users, spawn_rate=max(1, users))
    gevent.spawn_later(run_time, runner.quit)
    runner.greenlet.join()
    elapsed = time.monotonic() - started
    stats = environment.stats
    total = stats.total
    return {"requests": total.num_requests,
            "requests_per_second": round(total.num_requests / elapsed, 1),
            "errors": total.num_failures,
            **{kind: _figures(stats, kind) for kind in KINDS},
            "error_messages": {str(e.error)[:200]: e.occurrences
                               for e in stats.errors.values()}}


def _figures(stats: RequestStats, kind: str) -> dict:
    """p50/p95 of every request of a kind together, and of each of its pages."""
    entries = sorted((e for e in stats.entries.values() if e.name.startswith(kind + ": ")),
                     key=lambda e: e.name)
    together = StatsEntry(stats, kind, "GET")
    for entry in entries:
        together.extend(entry)
    return {**_percentiles(together),
            "pages": {e.name.removeprefix(kind + ": "): _percentiles(e) for e in entries}}


def _percentiles(entry: StatsEntry) -> dict:
    return {"requests": entry.num_requests, "errors": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--run-time", type=float, default=30,
                        help="seconds per user count (bounded)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a user waits between requests")
    parser.add_argument("--learners", type=int, default=250)
    parser.add_argument("--mentors", type=int, default=60)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--postgres", action="store_true",
                        help="a throwaway PostgreSQL cluster (.ci/with-postgres)")
    parser.add_argument("--database-url", help="Pairwise's database (default: SQLite)")
    parser.add_argument("--server-log", help="write gunicorn's output (access and error log) here")
    args = parser.parse_args()
    if not 1 <= args.run_time <= 600 or not all(1 <= n <= 500 for n in args.users):
        parser.error("keep it bounded: 1-600 seconds, 1-500 users")
    database_url = args.database_url
    if args.postgres and not database_url:
        database_url = os.environ.get("PAIRWISE_TEST_DATABASE_URL")
        if not database_url:
            servers.run_in_postgres("bench.load", sys.argv[1:])
    size = {"learners": args.learners, "mentors": args.mentors, "weeks": args.weeks}
    with tempfile.TemporaryDirectory() as folder:
        for line in run(database_url or f"sqlite:///{folder}/pairwise.db", args.users,
                        args.run_time, servers.Gunicorn(args.workers, args.threads),
                        args.think, size, args.server_log):
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
