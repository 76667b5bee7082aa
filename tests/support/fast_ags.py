"""A minimal, fast Assignment and Grade Services endpoint on loopback, for `bench.grades` and
the grade sync tests: what a quick LMS looks like to the worker, with nothing of its own to
slow it down (answers in well under a millisecond, HTTP/1.1 keep-alive).

It answers the OAuth2 token request (any client assertion: it checks none), lists one line
item, and takes scores when they carry a bearer token it issued and not revoked (else 401),
refusing a timestamp not later than the person's stored one (409, as Moodle). It counts each
kind of request and how many score posts were in flight at once; `gate` holds score posts
until that many are in flight at once (or a second passes), then lets all through, so a test
can see the worker's concurrency without timing anything.

    ags = FastAGS(); ...; ags.retarget(platform, link); ...; ags.close()
"""

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime

from tests.support.keepalive import KeepAliveWSGIServer

LINEITEM_ID = 1
PARTICIPATION_TAG = "pairwise-participation"
GATE_SECONDS = 1.0


@dataclass
class Counts:
    token_requests: int = 0
    lineitem_requests: int = 0
    score_posts: int = 0
    refused: int = 0  # 401s
    in_flight: int = 0
    max_in_flight: int = 0
    scores: dict[str, datetime] = field(default_factory=dict)  # user id -> stored timestamp
    posted: list[dict] = field(default_factory=list)  # every score body, in arrival order


class FastAGS:
    def __init__(self, *, gate: int = 0, expires_in: int = 3600):
        self.gate = gate
        self.expires_in = expires_in
        self.link_id = ""  # the resource link id the line item names
        self.counts = Counts()
        self._tokens: set[str] = set()
        self._gate_opened = False
        self._lock = threading.Condition()
        self._server = KeepAliveWSGIServer(self._wsgi)
        self.base_url = f"http://127.0.0.1:{self._server.port}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def lineitems_url(self) -> str:
        return f"{self.base_url}/lineitems"

    @property
    def lineitem_url(self) -> str:
        return f"{self.base_url}/lineitems/{LINEITEM_ID}/lineitem"

    def retarget(self, platform, link) -> None:
        """Point a tool Platform and ResourceLink (rows) at this endpoint; flushes nothing."""
        platform.auth_token_url, platform.auth_audience = self.token_url, None
        link.ags_lineitems_url, link.ags_lineitem_url = self.lineitems_url, None
        self.link_id = link.link_id

    def revoke(self) -> None:
        """Every token issued so far is refused from now on (401)."""
        with self._lock:
            self._tokens.clear()

    def close(self) -> None:
        self._server.close()

    # --- WSGI ---

    def _wsgi(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if method == "POST" and path == "/token":
            status, body = self._token()
        elif method == "GET" and path == "/lineitems":
            status, body = self._lineitems()
        elif method == "POST" and path == f"/lineitems/{LINEITEM_ID}/lineitem/scores":
            status, body = self._score(environ)
        else:
            status, body = "404 Not Found", {"error": "not found"}
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    def _token(self):
        with self._lock:
            self.counts.token_requests += 1
            token = f"fast-{self.counts.token_requests}"
            self._tokens.add(token)
        return "200 OK", {"access_token": token, "token_type": "Bearer",
                          "expires_in": self.expires_in}

    def _lineitems(self):
        with self._lock:
            self.counts.lineitem_requests += 1
        return "200 OK", [{"id": self.lineitem_url, "label": "Mentoring", "scoreMaximum": 100,
                           "tag": PARTICIPATION_TAG, "resourceLinkId": self.link_id}]

    def _score(self, environ):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        score = json.loads(environ["wsgi.input"].read(length) or b"{}")
        bearer = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
        with self._lock:
            self.counts.score_posts += 1
            if bearer not in self._tokens:
                self.counts.refused += 1
                return "401 Unauthorized", {"error": "invalid_token"}
            self.counts.posted.append(score)
            self.counts.in_flight += 1
            self.counts.max_in_flight = max(self.counts.max_in_flight, self.counts.in_flight)
            self._lock.notify_all()
            if self.gate and not self._gate_opened:
                self._gate_opened = self._lock.wait_for(
                    lambda: self._gate_opened or self.counts.in_flight >= self.gate,
                    GATE_SECONDS)
            try:
                return self._store(score)
            finally:
                self.counts.in_flight -= 1

    def _store(self, score: dict):
        stamp = datetime.fromisoformat(score["timestamp"]).replace(microsecond=0)
        stored = self.counts.scores.get(score["userId"])
        if stored is not None and stored >= stamp:
            return "409 Conflict", {"error": "an earlier timestamp"}
        self.counts.scores[score["userId"]] = stamp
        return "200 OK", {}
