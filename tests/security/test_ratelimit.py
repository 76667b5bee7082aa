"""Rate limits: fixed windows counted in the database, per client IP (behind a proxy too) and
per launching person, 429 pages and JSON with Retry-After, a log line, housekeeping; slices
of the budget claimed per process (a write per slice, not per request; the limit held across
workers), and a lecture hall behind one address that launches unrefused."""

import json
import re
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.security import ratelimit
from lti_tool.security.models import RateLimitWindow
from lti_tool.security.ratelimit import Limit
from tests.support.clients import csrf_token
from tests.support.platform import launch, start_login
from tests.support.statements import StatementLog


@pytest.fixture
def limited(app):
    app.config.update(RATE_LIMIT_ENABLED=True, RATE_LIMIT_LOGIN="3/minute",
                      RATE_LIMIT_LAUNCH="3/minute", RATE_LIMIT_REGISTER="2/minute",
                      RATE_LIMIT_ADMIN_SIGN_IN="2/minute")
    return app


@pytest.mark.parametrize(("text", "count", "seconds"), [
    ("120/minute", 120, 60), ("10 per hour", 10, 3600), ("30/5 minutes", 30, 300),
    ("5/second", 5, 1), ("1000/day", 1000, 86400), (" 7 / 2 Hours ", 7, 7200),
])
def test_limits_are_parsed(text, count, seconds):
    assert Limit.parse(text) == Limit(count, seconds)


@pytest.mark.parametrize("text", ["", "120", "minute", "120/fortnight", "-1/minute",
                                  "1/0 minutes", "12O/minute"])
def test_bad_limits_are_refused(text):
    with pytest.raises(ValueError, match="rate limit"):
        Limit.parse(text)


def test_a_bad_limit_stops_the_app_from_starting(database_url):
    with pytest.raises(ValueError, match="rate limit"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATE_LIMIT_LAUNCH": "lots"},
                   env="testing")


def test_rate_limits_are_on_outside_the_test_suite(database_url):
    assert create_app({"SQLALCHEMY_DATABASE_URI": database_url},
                      env="development").config["RATE_LIMIT_ENABLED"] is True
    assert create_app({"SQLALCHEMY_DATABASE_URI": database_url},
                      env="testing").config["RATE_LIMIT_ENABLED"] is False


def test_windows_count_and_restart(app):
    limit = Limit(10, 60)
    with app.app_context():
        assert ratelimit.hit("b", limit, now=6000) == (1, 60)
        assert ratelimit.hit("b", limit, now=6030) == (2, 30)
        assert ratelimit.hit("other", limit, now=6059) == (1, 1)
        assert ratelimit.hit("b", limit, now=6060) == (1, 60)  # a new window
        rows = db.session.execute(sa.select(RateLimitWindow.bucket, RateLimitWindow.window_start,
                                            RateLimitWindow.count, RateLimitWindow.expires_at)
                                  .order_by(RateLimitWindow.bucket,
                                            RateLimitWindow.window_start)).all()
    assert [tuple(r) for r in rows] == [("b", 6000, 2, 6060), ("b", 6060, 1, 6120),
                                        ("other", 6000, 1, 6060)]


def test_concurrent_hits_are_all_counted(app):
    """The upsert is atomic: workers racing on one window lose no count."""
    limit = Limit(1000, 3600)
    errors = []

    def worker():
        try:
            with app.app_context():
                for _ in range(10):
                    ratelimit.hit("race", limit, now=7200)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert ratelimit.hit("race", limit, now=7200)[0] == 81


def test_over_the_limit_the_login_gets_a_429_page(limited, client, platform, caplog):
    params = platform.login_params()
    for _ in range(3):
        assert client.post("/lti/login", data=params).status_code == 302
    response = client.post("/lti/login", data=params)
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert b"Too many requests" in response.data
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "Content-Security-Policy" in response.headers
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rate limited")]
    assert len(lines) == 1
    assert "limit=login client=127.0.0.1 count=4 allowed=3 per 60s path=/lti/login" in lines[0]


def test_json_clients_get_json(limited, client):
    for _ in range(3):
        client.post("/lti/launch", data={})
    response = client.post("/lti/launch", data={}, headers={"Accept": "application/json"})
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"] == "rate_limited"
    assert body["retry_after"] == int(response.headers["Retry-After"])


def test_refused_and_failed_requests_count_too(limited, client):
    for _ in range(3):
        assert client.post("/lti/launch", data={"id_token": "x"}).status_code == 400
    assert client.post("/lti/launch", data={"id_token": "x"}).status_code == 429


def test_limits_are_per_client_and_per_endpoint(limited, client, platform):
    for _ in range(4):
        client.post("/lti/login", data=platform.login_params())
    assert client.post("/lti/login", data=platform.login_params()).status_code == 429
    other = limited.test_client()
    assert other.post("/lti/login", data=platform.login_params(),
                      environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 302
    # The launch endpoint has its own count: refused here for lack of a login, not a 429.
    assert client.post("/lti/launch", data={"id_token": "x"}).status_code == 400
    fresh = limited.test_client()
    fresh.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    assert launch(fresh, platform).status_code == 200


def test_behind_a_proxy_the_forwarded_client_counts(make_app, platform):
    app = make_app(PROXY_COUNT=1, RATE_LIMIT_ENABLED=True, RATE_LIMIT_LOGIN="2/minute")
    with app.app_context():
        platform.register()
    client = app.test_client()

    def login(client_address):
        return client.post("/lti/login", data=platform.login_params(),
                           headers={"X-Forwarded-For": client_address}).status_code

    assert [login("198.51.100.1") for _ in range(3)] == [302, 302, 429]
    assert login("198.51.100.2") == 302  # same proxy address, another client
    # Only the last hop is trusted: a client cannot pick its own address by prepending one.
    assert login("203.0.113.5, 198.51.100.1") == 429


def test_admin_sign_in_attempts_are_limited_but_not_the_page(limited, client):
    page = client.get("/admin/sign-in")
    token = csrf_token(page.data)
    for _ in range(2):
        assert client.post("/admin/sign-in", data={"token": "guess",
                                                   "csrf_token": token}).status_code == 401
    assert client.post("/admin/sign-in", data={"token": "testing-admin-token",
                                               "csrf_token": token}).status_code == 429
    for _ in range(5):
        assert client.get("/admin/sign-in").status_code == 200


def test_dynamic_registration_is_limited(limited, client):
    query = {"openid_configuration": "https://lms.example.edu/oc"}
    assert [client.get("/lti/register/not-a-link", query_string=query).status_code
            for _ in range(3)] == [403, 403, 429]


def test_unlimited_endpoints_are_not_counted(limited, client):
    for _ in range(10):
        client.get("/lti/jwks")
    with limited.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RateLimitWindow)) == 0


def test_the_limiter_lets_requests_through_when_its_table_fails(limited, client, monkeypatch,
                                                                caplog):
    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(ratelimit, "hit", broken)
    for _ in range(5):
        assert client.post("/lti/launch", data={}).status_code == 400
    assert any("counter unavailable" in r.getMessage() for r in caplog.records)


def test_purge_deletes_only_ended_windows(app, runner):
    with app.app_context():
        ratelimit.hit("old", Limit(5, 60), now=0)
        ratelimit.hit("current", Limit(5, 86400))
    result = runner.invoke(args=["security", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 ended rate-limit windows." in result.output
    with app.app_context():
        buckets = db.session.scalars(sa.select(RateLimitWindow.bucket)).all()
    assert buckets == ["current"]


def test_limits_come_from_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("PAIRWISE_RATE_LIMIT_LAUNCH", "50/5 minutes")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url}, env="testing")
    assert Limit.parse(app.config["RATE_LIMIT_LAUNCH"]) == Limit(50, 300)
    assert json.dumps(app.config["RATE_LIMIT_LAUNCH"]) == '"50/5 minutes"'


def test_requests_refused_by_other_checks_count_too(limited, client):
    """The limiter runs first: sign-in attempts without a CSRF token count as well."""
    assert [client.post("/admin/sign-in", data={"token": "x"}).status_code
            for _ in range(3)] == [400, 400, 429]


# --- Slices of the budget: no committed row per request, the limit across workers -------------

@pytest.fixture
def fixed_clock(monkeypatch):
    """A clock in the middle of a day: no window turns over during the test."""
    monkeypatch.setattr(ratelimit, "clock", lambda: 86400 * 20000 + 43200)


@pytest.mark.parametrize(("limit", "size"), [(Limit(10, 60), 1), (Limit(20, 60), 1),
                                             (Limit(300, 60), 15), (Limit(1200, 60), 50),
                                             (Limit(100000, 60), 50)])
def test_a_process_claims_a_twentieth_of_the_budget_at_most_50(limit, size):
    assert limit.slice == size


def login_statuses(app, platform, count, **environ) -> list[int]:
    client = app.test_client(use_cookies=False)
    return [client.post("/lti/login", data=platform.login_params(), environ_base=environ)
            .status_code for _ in range(count)]


def test_requests_under_the_limit_commit_once_per_slice(make_app, platform, fixed_clock):
    app = make_app(RATE_LIMIT_ENABLED=True, RATE_LIMIT_LOGIN="100/minute")  # slices of 5
    with app.app_context():
        platform.register()
    with StatementLog() as log:
        assert login_statuses(app, platform, 40) == [302] * 40
    assert len(log.writes_to("security_rate_limit")) == 8
    with app.app_context():
        assert db.session.scalar(sa.select(RateLimitWindow.count)) == 40


def test_refusals_once_the_budget_is_claimed_cost_no_database_write(make_app, platform,
                                                                    fixed_clock):
    app = make_app(RATE_LIMIT_ENABLED=True, RATE_LIMIT_LOGIN="100/minute")
    with app.app_context():
        platform.register()
    assert login_statuses(app, platform, 100) == [302] * 100
    with StatementLog() as log:
        refused = app.test_client().post("/lti/login", data=platform.login_params(),
                                         headers={"Accept": "application/json"})
        assert login_statuses(app, platform, 10) == [429] * 10
    assert refused.status_code == 429 and refused.get_json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert log.writes_to("security_rate_limit") == [] and log.statements == []


def test_two_workers_sharing_the_database_admit_the_limit_and_no_more(make_app, platform,
                                                                      fixed_clock):
    """The bound: never more than the limit in a window; the first refusal comes after at
    least limit - (processes - 1) x (slice - 1) admissions."""
    settings = {"RATE_LIMIT_ENABLED": True, "RATE_LIMIT_LOGIN": "100/minute"}  # slices of 5
    first, second = make_app(**settings), make_app(**settings)  # one database
    with first.app_context():
        platform.register()
    assert login_statuses(first, platform, 1) == [302]  # holds 4 unused admissions
    statuses = login_statuses(second, platform, 120)
    admitted_by_second = statuses.index(429)
    assert 1 + admitted_by_second >= 100 - (2 - 1) * (5 - 1)
    assert set(statuses[admitted_by_second:]) == {429}
    statuses = login_statuses(first, platform, 20)
    assert 1 + admitted_by_second + statuses.count(302) == 100
    assert statuses == sorted(statuses)  # admitted, then refused: [302, ..., 429, ...]
    # Another client address has a budget of its own, in either worker.
    assert login_statuses(second, platform, 1, REMOTE_ADDR="192.0.2.9") == [302]


def test_threads_of_one_worker_share_its_slices_exactly(app, fixed_clock):
    limit = Limit(200, 60)  # slices of 10
    leases = ratelimit.Leases()
    verdicts = []

    def worker():
        with app.app_context():
            verdicts.extend(leases.take("hall", limit) for _ in range(40))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(v.admitted for v in verdicts) == 200 and len(verdicts) == 240


# --- A lecture hall behind one address -------------------------------------------------------

def test_a_lecture_hall_of_300_behind_one_address_launches_with_the_default_limits(
        make_app, platform):
    app = make_app(RATE_LIMIT_ENABLED=True)
    with app.app_context():
        platform.register()
    client = app.test_client(use_cookies=False)
    client.environ_base["REMOTE_ADDR"] = "198.51.100.80"  # the campus NAT
    statuses = [launch(client, platform, sub=f"student-{n}").status_code for n in range(300)]
    assert statuses == [200] * 300  # each answered with the new learner's intake


def test_a_verified_launch_counts_against_its_person(make_app, platform):
    app = make_app(RATE_LIMIT_ENABLED=True, RATE_LIMIT_LAUNCH_PERSON="3/minute")
    with app.app_context():
        platform.register()
    looping, neighbour = (app.test_client(use_cookies=False) for _ in range(2))
    statuses = [launch(looping, platform, sub="looping").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert launch(neighbour, platform, sub="neighbour").status_code == 200


def test_a_launch_refused_for_its_person_spends_its_id_token(make_app, platform, monkeypatch):
    """The refusal comes after the id_token is verified and its state marked used: that mark
    is kept, so the same id_token cannot be replayed once the person's window has passed."""
    app = make_app(RATE_LIMIT_ENABLED=True, RATE_LIMIT_LAUNCH_PERSON="1/minute")
    with app.app_context():
        platform.register()
    client = app.test_client(use_cookies=False)
    assert launch(client, platform, sub="looping").status_code == 200
    _, state, nonce = start_login(client, platform)
    token = platform.sign(platform.claims(nonce, sub="looping"))
    refused = client.post("/lti/launch", data={"id_token": token, "state": state})
    assert refused.status_code == 429

    monkeypatch.setattr(ratelimit, "clock", lambda: time.time() + 120)  # the next window
    replayed = client.post("/lti/launch", data={"id_token": token, "state": state})
    assert replayed.status_code == 400, replayed.status_code
    assert b"reason: <code>" in replayed.data


def test_one_person_launching_in_a_loop_is_limited_not_their_neighbours(limited):
    limited.config["RATE_LIMIT_LAUNCH_PERSON"] = "3/minute"

    def launch_as(subject):
        with limited.test_request_context("/lti/launch", method="POST"):
            try:
                ratelimit.limit_launcher("https://lms.example.edu", subject)
            except ratelimit.RateLimited as refused:
                return refused.retry_after_seconds
            return "ok"

    with limited.app_context():
        outcomes = [launch_as("looping") for _ in range(4)]
        assert outcomes[:3] == ["ok"] * 3 and 1 <= outcomes[3] <= 60
        assert launch_as("neighbour") == "ok"
        buckets = db.session.scalars(sa.select(RateLimitWindow.bucket)).all()
    # Hashed: an issuer and subject of any length fit the column, and none is stored.
    assert all(re.fullmatch(r"launch_person:[0-9a-f]{32}", bucket) for bucket in buckets)
