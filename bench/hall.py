"""A lecture hall launching at once, as `python -m bench.launch --compare` drives it: the
platform double, Pairwise and the minimal pylti1p3 tool under gunicorn, and the load.

Each launch is a new person (a virtual user with its own cookie jar): OIDC login initiation
(its redirect read for the state and the nonce the tool chose), the id_token POST, and every
redirect after it up to the page the person sees. The tool makes the nonce at login, so an
id_token cannot be signed before its login: launches run in batches, each batch's logins at
the given concurrency (timed), then its id_tokens signed (not timed: signing is the
platform's work), then its launches at the same concurrency (timed). A launch's time is its
login's plus its POST's and pages'; launches per second counts timed seconds only. Every
client thread reuses its connection where the server keeps it open (gunicorn.conf.py closes
each, the same for both tools).
"""

import json
import logging
import os
import statistics
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import count
from urllib.parse import parse_qs, urlsplit

import requests

from bench import servers
from tests.support.platform import LTI, PlatformDouble

BATCH = 100  # launches whose logins precede their id_tokens (well within the 5 min state)
WARM_UP = 8  # untimed launches per tool first: JWKS cached, every worker's first request made
_people = count(1)


@dataclass(frozen=True)
class Tool:
    name: str
    base: str
    login_path: str
    launch_path: str


@dataclass
class Person:
    """One virtual user's launch."""

    subject: str
    cookies: requests.cookies.RequestsCookieJar = field(
        default_factory=requests.cookies.RequestsCookieJar)
    state: str = ""
    nonce: str = ""
    token: str = ""
    seconds: float = 0.0
    error: str = ""


class Hall:
    """Both tools served for the length of a `with` block."""

    def __init__(self, database_url: str, folder: str, settings: servers.Gunicorn):
        self.database_url, self.folder, self.settings = database_url, folder, settings
        self.platform = PlatformDouble()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the JWKS server's requests
        self.tools: list[Tool] = []
        self._served: list[servers.Served] = []
        self._stack = ExitStack()

    def __enter__(self) -> "Hall":
        self._stack.callback(self.platform.close)
        try:
            port = servers.free_port()
            pairwise = self._serve("wsgi:app", self._pairwise_environ(port), port)
            minimal = self._serve("bench.minimal_tool:app", self._minimal_environ())
            self.tools = [Tool("pairwise", pairwise.base, "/lti/login", "/lti/launch"),
                          Tool("minimal", minimal.base, "/login", "/launch")]
            for tool in self.tools:
                warmed = measure(tool, self.platform, WARM_UP, min(4, WARM_UP))
                if warmed["errors"]:
                    self._stack.close()  # the servers stop: their logs are read
                    raise RuntimeError(f"{tool.name} failed its warm-up launches: "
                                       f"{warmed['first_error']}\n" + "\n".join(
                                           line for served in self._served
                                           for line in served.log.splitlines()[-40:]))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self._stack.close()

    def check_logs(self) -> None:
        """Stop the servers and raise if either logged an error."""
        self._stack.close()
        for served in self._served:
            if served.errors:
                raise RuntimeError(f"{served.base} logged errors:\n"
                                   + "\n".join(served.errors[:20]))

    def _serve(self, app: str, env: dict[str, str], port: int | None = None
               ) -> servers.Served:
        served = self._stack.enter_context(servers.gunicorn(app, env, self.settings, port))
        self._served.append(served)
        return served

    def _pairwise_environ(self, port: int) -> dict[str, str]:
        env = servers.pairwise_environ(self.database_url, f"http://127.0.0.1:{port}",
                                       self.platform)
        servers.set_up_pairwise(env, self.platform)
        return env

    def _minimal_environ(self) -> dict[str, str]:
        return {**os.environ,
                "MINIMAL_TOOL_PLATFORM": json.dumps(servers.platform_details(self.platform)),
                "MINIMAL_TOOL_CACHE": f"{self.folder}/minimal-cache"}


def measure(tool: Tool, platform: PlatformDouble, launches: int, concurrency: int) -> dict:
    """`launches` new people launching `tool`, `concurrency` at a time."""
    people, seconds = _launch_all(tool, platform, launches, concurrency)
    return _figures(people, _rate(people, seconds))


def alternate(tools: list[Tool], platform: PlatformDouble, launches: int, concurrency: int,
              rounds: int) -> dict[str, dict]:
    """Each tool's `launches` in `rounds` turns, the tools taking turns and the first of a
    round alternating: a slow stretch of the machine (other work on it, a gunicorn worker
    that accepted most connections) falls on both tools, not on one. A tool's launches per
    second is the median of its rounds' (each round's in `rounds_per_second`), its times
    those of all its launches."""
    people: dict[str, list[Person]] = {tool.name: [] for tool in tools}
    rates: dict[str, list[float]] = {tool.name: [] for tool in tools}
    for turn in range(rounds):
        share = launches // rounds + (1 if turn < launches % rounds else 0)
        for tool in tools if turn % 2 == 0 else tools[::-1]:
            done, seconds = _launch_all(tool, platform, share, concurrency)
            people[tool.name] += done
            rates[tool.name].append(_rate(done, seconds))
    return {name: {**_figures(people[name], round(statistics.median(rates[name]), 1)),
                   "rounds_per_second": rates[name]} for name in people}


def _launch_all(tool: Tool, platform: PlatformDouble, launches: int, concurrency: int
                ) -> tuple[list[Person], float]:
    """Everyone's launch, and the timed seconds they took."""
    sessions = [requests.Session() for _ in range(concurrency)]
    people: list[Person] = []
    seconds = 0.0
    try:
        for start in range(0, launches, BATCH):
            batch = [Person(f"hall-{next(_people)}") for _ in range(min(BATCH, launches - start))]
            seconds += _in_parallel(sessions, batch, lambda s, p: _log_in(s, p, tool, platform))
            for person in batch:
                if not person.error:
                    person.token = _sign(platform, person)
            seconds += _in_parallel(sessions, batch, lambda s, p: _launch(s, p, tool))
            people += batch
    finally:
        for session in sessions:
            session.close()
    return people, seconds


def _rate(people: list[Person], seconds: float) -> float:
    """Launches done per timed second."""
    done = sum(1 for person in people if not person.error)
    return round(done / seconds, 1) if seconds else 0.0


def _figures(people: list[Person], launches_per_second: float) -> dict:
    done = sorted(p.seconds for p in people if not p.error)
    errors = [p.error for p in people if p.error]
    figures: dict[str, object] = {
        "launches_per_second": launches_per_second,
        "p50_ms": round(servers.percentile(done, 0.5) * 1000, 1),
        "p95_ms": round(servers.percentile(done, 0.95) * 1000, 1),
        "errors": len(errors)}
    if errors:
        figures["first_error"] = errors[0]
    return figures


def _in_parallel(sessions: list[requests.Session], people: list[Person],
                 step: Callable[[requests.Session, Person], None]) -> float:
    """Run `step` for everyone, one thread per session taking the next person in turn;
    the wall-clock seconds it took."""
    queue = iter(people)
    lock = threading.Lock()

    def work(session: requests.Session) -> None:
        while True:
            with lock:
                person = next(queue, None)
            if person is None:
                return
            if not person.error:
                step(session, person)

    threads = [threading.Thread(target=work, args=(session,)) for session in sessions]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _timed_post(session: requests.Session, person: Person, step: str, url: str,
                **options) -> requests.Response | None:
    """POST in `person`'s cookie jar, its time added to theirs; None (their error set) when
    the request itself failed."""
    session.cookies = person.cookies
    started = time.perf_counter()
    try:
        response = session.post(url, timeout=60, **options)
    except requests.RequestException as exc:
        person.error = f"{step}: {exc}"
        return None
    person.seconds += time.perf_counter() - started
    return response


def _log_in(session: requests.Session, person: Person, tool: Tool,
            platform: PlatformDouble) -> None:
    response = _timed_post(session, person, "login", tool.base + tool.login_path,
                           allow_redirects=False, data=platform.login_params(
                               login_hint=person.subject,
                               target_link_uri=tool.base + tool.launch_path))
    if response is None:
        return
    if response.status_code != 302:
        person.error = f"login answered {response.status_code}"
        return
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    person.state, person.nonce = query["state"][0], query["nonce"][0]


def _sign(platform: PlatformDouble, person: Person) -> str:
    claims = platform.claims(person.nonce, sub=person.subject, name=f"Person {person.subject}",
                             **{LTI + "resource_link": {"id": "1", "title": "Mentoring"}})
    claims["exp"] = claims["iat"] + 600  # signed a batch ahead of its POST
    return platform.sign(claims)


def _launch(session: requests.Session, person: Person, tool: Tool) -> None:
    response = _timed_post(session, person, "launch", tool.base + tool.launch_path,
                           data={"id_token": person.token, "state": person.state})
    if response is None:
        return
    if response.status_code != 200:
        person.error = f"launch ended on {response.status_code} at {urlsplit(response.url).path}"
    elif f"Person {person.subject}" not in response.text:
        person.error = f"the page at {urlsplit(response.url).path} does not name the person"
