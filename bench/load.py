"""Load test: gunicorn serving Pairwise (production settings) on PostgreSQL on 127.0.0.1,
driven by Locust users who do full LTI launches — OIDC login, an id_token signed by a platform
double whose JWKS is served on loopback, the launch — and then view pages, as learners (3 in
4) or staff.

    python -m bench.load [--users 20] [--run-time 30] [--workers N] [--threads 4]
                         [--think 0] [--database-url postgresql+psycopg://...] [--server-log FILE]

Without a database URL (nor PAIRWISE_TEST_DATABASE_URL) it runs itself again inside
`.ci/with-postgres`, a throwaway PostgreSQL cluster. The schema is created afresh. Users wait
`--think` seconds between requests (0: each sends its next request as soon as the last one is
answered, so throughput is what the machine can serve). Rate limits stay on, set high: every
user comes from 127.0.0.1. Everything runs on this machine: the load, the app, the database.

Prints one JSON object: requests, failures, throughput (requests/s), and per request type the
count, failures, median and p95 milliseconds.
"""

# Locust patches the standard library for gevent on import: it must come first.
from locust import HttpUser, between, constant, task  # noqa: I001 - before anything else
from locust.env import Environment

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from itertools import count
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import gevent

from tests.support.platform import LTI, PlatformDouble

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
PLATFORM: PlatformDouble | None = None  # set by run(); the users sign with its key
_SUBJECTS = count(1)

SETUP = """
from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.registrations import PlatformDetails, register_platform
import json, sys
app = create_app()
with app.app_context():
    db.drop_all()
    db.create_all()
    keys.ensure_key()
    register_platform(PlatformDetails(**json.loads(sys.argv[1])))
    db.session.commit()
"""


class Participant(HttpUser):
    """Launches from the course (once at the start, then now and again) and views pages."""

    abstract = True
    roles: list[str] = []
    pages: dict[str, str] = {}

    def on_start(self):
        self.subject = f"load-{next(_SUBJECTS)}"
        self.token = None
        self.launch()

    @task(1)
    def launch(self):
        platform = PLATFORM
        response = self.client.post("/lti/login", name="lti: login", allow_redirects=False,
                                    data=platform.login_params(
                                        target_link_uri=self.host + "/lti/launch"))
        if response.status_code != 302:
            return
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        overrides = {"sub": self.subject, "name": f"Person {self.subject}",
                     LTI + "resource_link": {"id": "1", "title": "Mentoring"}}
        if self.roles:
            overrides[LTI + "roles"] = self.roles
        token = platform.sign(platform.claims(query["nonce"][0], **overrides))
        with self.client.post("/lti/launch", name="lti: launch", allow_redirects=False,
                              data={"id_token": token, "state": query["state"][0]},
                              catch_response=True) as launched:
            if launched.status_code != 303:
                launched.failure(f"launch answered {launched.status_code}")
                return
            location = launched.headers["Location"]
        self.token = parse_qs(urlsplit(location).query)["pw"][0]
        self.client.get(location, name="lti: first page")

    @task(6)
    def view_page(self):
        if self.token is None:
            return
        name, path = random.choice(list(self.pages.items()))
        self.client.get(path, params={"pw": self.token}, name=f"page: {name}")


class Learner(Participant):
    weight = 3
    pages = {"intake": "/intake", "home": "/"}


class Staff(Participant):
    weight = 1
    roles = [INSTRUCTOR]
    pages = {"staff home": "/", "roster": "/roster", "matching": "/matching",
             "mentors": "/mentors", "dashboard": "/dashboard"}


def run(database_url: str, users: int, run_time: float, workers: int, threads: int,
        think: float, server_log: str | None = None) -> dict:
    global PLATFORM
    PLATFORM = platform = PlatformDouble()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PAIRWISE_ENV": "production", "PYTHONUNBUFFERED": "1",
           "PAIRWISE_SECRET_KEY": secrets.token_urlsafe(32),
           "PAIRWISE_ADMIN_TOKEN": secrets.token_urlsafe(16),
           "PAIRWISE_DATABASE_URL": database_url, "PAIRWISE_BASE_URL": base,
           "PAIRWISE_PROXY_COUNT": "0", "PAIRWISE_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": str(workers), "PAIRWISE_THREADS": str(threads),
           "PAIRWISE_LOG_LEVEL": "WARNING"}
    for name in ("LOGIN", "LAUNCH", "REGISTER", "ADMIN_SIGN_IN"):
        env[f"PAIRWISE_RATE_LIMIT_{name}"] = "1000000/minute"
    details = {"issuer": platform.issuer, "client_id": platform.client_id,
               "auth_login_url": platform.issuer + "/mod/lti/auth.php",
               "auth_token_url": platform.base_url + "/token", "key_set_url": platform.jwks_url,
               "deployment_ids": [platform.deployment_id], "name": "Load Moodle"}
    subprocess.run([sys.executable, "-c", SETUP, json.dumps(details)],  # noqa: S603 - ours
                   env=env, cwd=ROOT, check=True)
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn and settings
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(base + "/healthz", server)
            _warm_up(base, platform)
            result = _drive(base, users, run_time, think)
        finally:
            server.terminate()
            server.wait(timeout=30)
            platform.close()
        log.seek(0)
        text = log.read().decode(errors="replace")
        if server_log:
            Path(server_log).write_text(text)
        errors = [line for line in text.splitlines()
                  if "ERROR" in line or "Error:" in line or "Exception:" in line]
        if errors:
            result["server_errors"] = errors[:20]
    result.update(users=users, run_time_s=run_time, think_s=think,
                  gunicorn={"workers": workers, "threads": threads, "worker_class": "gthread"},
                  database=database_url.split("@")[-1], cpus=os.cpu_count())
    return result


def _drive(base: str, users: int, run_time: float, think: float) -> dict:
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
    by_request = {
        entry.name: {"requests": entry.num_requests, "failures": entry.num_failures,
                     "median_ms": entry.median_response_time,
                     "p95_ms": entry.get_response_time_percentile(0.95)}
        for entry in sorted(stats.entries.values(), key=lambda e: e.name)
    }
    total = stats.total
    return {"requests": total.num_requests, "failures": total.num_failures,
            "throughput_rps": round(total.num_requests / elapsed, 1),
            "launches_per_s": round(by_request.get("lti: launch", {}).get("requests", 0)
                                    / elapsed, 1),
            "p95_ms": total.get_response_time_percentile(0.95),
            "median_ms": total.median_response_time, "by_request": by_request,
            "errors": {str(e.error)[:200]: e.occurrences for e in stats.errors.values()}}


def _warm_up(base: str, platform: PlatformDouble) -> None:
    """One launch before the clock starts, so that the tool has cached the platform's JWKS as
    it has in steady state. (Launches racing to cache it on a cold start can fail: the launch
    data storage inserts the cache row without an upsert.)"""
    import requests

    http = requests.Session()
    login = http.post(base + "/lti/login", allow_redirects=False,
                      data=platform.login_params(target_link_uri=base + "/lti/launch"),
                      timeout=30)
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    token = platform.sign(platform.claims(query["nonce"][0], sub="warm-up"))
    launched = http.post(base + "/lti/launch", data={"id_token": token,
                                                    "state": query["state"][0]},
                         allow_redirects=False, timeout=30)
    if launched.status_code != 303:
        raise RuntimeError(f"the warm-up launch answered {launched.status_code}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--run-time", type=float, default=30, help="seconds (bounded)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a user waits between requests")
    parser.add_argument("--database-url", default=os.environ.get("PAIRWISE_TEST_DATABASE_URL"))
    parser.add_argument("--server-log", help="write gunicorn's output (access and error log) here")
    args = parser.parse_args()
    if not 1 <= args.run_time <= 600 or not 1 <= args.users <= 500:
        parser.error("keep it bounded: 1-600 seconds, 1-500 users")
    if not args.database_url:
        # A throwaway PostgreSQL cluster for the run (another port than the test suite's).
        os.environ.setdefault("PAIRWISE_PG_PORT", "54339")
        os.execvp("bash", ["bash", str(ROOT / ".ci" / "with-postgres"),  # noqa: S606, S607
                           sys.executable, "-m", "bench.load", *sys.argv[1:]])
    print(json.dumps(run(args.database_url, args.users, args.run_time, args.workers,
                         args.threads, args.think, args.server_log)))


if __name__ == "__main__":
    main()
