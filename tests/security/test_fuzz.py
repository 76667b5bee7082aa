"""Fuzzing every endpoint of the app's URL map with Hypothesis.

Every rule, every method it allows (path converters filled with small and out-of-range
integers or odd text), anonymous and with a learner's session (with its valid CSRF and
session tokens, so that forms get past the CSRF check and reach validation), receives random
query strings, form posts (the app's own field names and random ones), raw non-UTF-8 bodies,
JSON bodies and malformed JWTs (random text, wrong segment counts, bad base64, non-UTF-8
headers, `alg: none`, huge tokens). Signed launches with random claims go to /lti/launch.

Asserted: no 5xx, ever; and a refused request (4xx) leaves every table's row count as it was
(except `security_rate_limit`, whose counting of requests is the point). Bounded and
repeatable: a few examples per endpoint, derandomized, no deadline.

Nothing leaves the machine: name resolution and connections are refused for anything but
loopback while these tests run (a fuzzed URL must not become a request to the Internet).
"""

import base64
import ipaddress
import json
import os
import re
import socket
import string

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from lti_tool import create_app
from lti_tool.extensions import db
from tests.support.apps import dispose, make_app
from tests.support.platform import LTI, PlatformDouble, landed_at, launch, start_login

EXAMPLES = 5  # per endpoint, method and identity
LTI_EXAMPLES = 40  # the login and launch endpoints, where the JWTs go
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
NOT_COUNTED = {"security_rate_limit"}  # counts requests, refused ones included, by design
METHODS = ("GET", "POST", "PUT", "DELETE")


# --- The URL map, without an app of the test's own ----------------------------------------

def _rules() -> list[tuple[str, str, str]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, env="testing")
    return sorted((rule.endpoint, rule.rule, method) for rule in app.url_map.iter_rules()
                  for method in rule.methods if method in METHODS)


RULES = _rules()
_PARAM = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def _path_values(rule: str):
    """A strategy for the URL with its converters filled in."""
    parts = []
    for match in _PARAM.finditer(rule):
        converter = match["converter"] or "default"
        if converter == "int":
            parts.append(st.sampled_from([1, 2, 0, 2**31, 2**63, 10**30]).map(str))
        elif converter == "any":
            choices = [c.strip().strip("'\"") for c in match["args"].split(",")]
            parts.append(st.sampled_from([*choices, "other"]))
        else:
            parts.append(st.one_of(st.sampled_from(["1", "x", "..", "%00", "a.ics", "%ff"]),
                                   st.text(string.ascii_letters + string.digits + "-_.~",
                                           min_size=1, max_size=12)))

    def build(values):
        it = iter(values)
        return _PARAM.sub(lambda _m: next(it), rule)

    return st.tuples(*parts).map(build) if parts else st.just(rule)


# --- Values: malformed JWTs, odd text, the app's field names --------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10)
CLAIMS = st.dictionaries(
    st.sampled_from(["iss", "aud", "sub", "nonce", "exp", "iat", "azp", "kid", "alg",
                     LTI + "message_type", LTI + "version", LTI + "roles", LTI + "context",
                     LTI + "resource_link", LTI + "deployment_id", LTI + "custom"]),
    JSON, max_size=6)
SEGMENT = st.one_of(
    st.text(string.ascii_letters + string.digits + "-_", max_size=40),
    st.text(max_size=16),
    st.binary(max_size=32).map(_b64),  # decodes to bytes that are not UTF-8
    JSON.map(lambda value: _b64(json.dumps(value).encode())),
    st.sampled_from(["", "=", "====", "!!", "eyJ", "e30", "bnVsbA", "%%%", "\u00e9\u00e9"]),
)
HUGE = _b64(b"{" * 150_000) + "." + "A" * 150_000 + ".sig"
JWT = st.one_of(
    st.text(max_size=60),
    st.lists(SEGMENT, max_size=5).map(".".join),
    st.tuples(JSON, CLAIMS).map(  # alg none
        lambda hc: _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "."
        + _b64(json.dumps(hc[1]).encode()) + "."),
    st.tuples(JSON, JSON, st.binary(max_size=64)).map(
        lambda t: ".".join(_b64(json.dumps(part).encode()) for part in t[:2]) + "." + _b64(t[2])),
    st.just(HUGE),
    st.sampled_from(["", ".", "..", "a.b.c", "=.=.=", "eyJhbGciOiJub25lIn0.e30.",
                     "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "Bearer x", "null", "\x00.\x00.\x00"]),
)
TEXT = st.one_of(
    st.text(max_size=30),
    st.integers(-2**64, 2**64).map(str),
    st.sampled_from(["", "0", "1", "-1", "y", "on", "true", "null", "2026-02-30", "25:61",
                     "Europe/Nowhere", "https://evil.example/", "http://127.0.0.1:1/x",
                     "javascript:alert(1)", "<script>x</script>", "%s%n", "x" * 5000,
                     "\x00", "a\x00b", "\ud7ff\ue000", "1e309", "NaN"]),
)


def _form_fields() -> list[str]:
    found, stack = set(), list(FlaskForm.__subclasses__())
    while stack:
        form = stack.pop()
        stack.extend(form.__subclasses__())
        found.update(name for name, value in vars(form).items()
                     if hasattr(value, "field_class"))
    return sorted(found)


FIELDS = sorted({*_form_fields(), "id_token", "state", "JWT", "csrf_token", "pw", "iss",
                 "login_hint", "target_link_uri", "lti_message_hint", "client_id",
                 "lti_deployment_id", "openid_configuration", "registration_token", "token",
                 "next", "user", "activity", "deep_linking", "id", "url", "grant_type",
                 "client_assertion", "scope", "lti_msg", "lti_errormsg", "from", "limit"})


def _header(value: str) -> str:
    """As a server would hand the value over: bytes as latin-1, no line breaks."""
    return re.sub(r"[\r\n]", "", value.encode().decode("latin-1"))


class Request:
    """A fuzzed request: a path and keyword arguments for the test client's `open`; its repr
    (what Hypothesis reports on a failure) shortens huge values."""

    def __init__(self, path: str, kwargs: dict):
        self.path, self.kwargs = path, kwargs

    def __repr__(self) -> str:
        text = repr((self.path, self.kwargs))
        return re.sub(r"([^'\"]{200})[^'\"]{100,}", r"\1...", text)


@st.composite
def requests(draw, path_strategy, method: str, tokens: dict) -> Request:
    known = [st.just(v) for v in tokens.values()]
    value = st.one_of(JWT, TEXT, *known) if known else st.one_of(JWT, TEXT)
    name = st.one_of(st.sampled_from(FIELDS), st.text(max_size=10))
    pairs = st.lists(st.tuples(name, value), max_size=6)
    kwargs = {"method": method, "query_string": MultiDict(draw(pairs))}
    if method != "GET":
        body = draw(st.sampled_from(["form", "form", "raw", "json", "none"]))
        if body == "form":
            fields = draw(pairs)
            if "csrf_token" in tokens and draw(st.booleans()):
                fields.append(("csrf_token", tokens["csrf_token"]))
            kwargs["data"] = MultiDict(fields)
        elif body == "raw":
            kwargs["data"] = draw(st.one_of(
                st.binary(max_size=200),
                st.sampled_from([b"%ff%fe=%c3%28&a=%", b"id_token=%80%81&state=%ff",
                                 b"a=" + b"\xff" * 50, b"&&&==&", b"\x00" * 10])))
            kwargs["content_type"] = draw(st.sampled_from([
                "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                "application/json", "text/plain", "application/x-www-form-urlencoded; "
                "charset=latin-1"]))
        elif body == "json":
            kwargs["json"] = draw(JSON)
    headers = {}
    if draw(st.booleans()):
        headers["Accept"] = draw(st.sampled_from([
            "application/json", "text/html", "*/*", "application/json;q=0.1, text/html",
            "garbage/\x7f", ""]))
    if draw(st.integers(0, 4)) == 0:
        headers["X-Pairwise-Session"] = _header(draw(st.one_of(JWT, *known) if known else JWT))
    kwargs["headers"] = headers
    return Request(draw(path_strategy), kwargs)


# --- The app under fuzz ------------------------------------------------------------------

@pytest.fixture(scope="module")
def loopback_only():
    """Refuse name resolution and connections to anything but loopback."""
    mp = pytest.MonkeyPatch()
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in ("localhost", "127.0.0.1", "::1") and not name.startswith("127."):
            raise socket.gaierror(socket.EAI_NONAME, f"fuzz: no resolving {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            if not ipaddress.ip_address(address[0]).is_loopback:
                raise OSError(f"fuzz: no connection to {address[0]}")
        return real_connect(sock, address)

    mp.setattr(socket, "getaddrinfo", getaddrinfo)
    mp.setattr(socket.socket, "connect", connect)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def fuzz_app(database_url, tmp_path_factory, loopback_only):
    app = make_app(database_url, tmp_path_factory.mktemp("fuzz"),
                    BASE_URL="http://127.0.0.1:5000", SANDBOX_URL="http://localhost:5000/sandbox",
                    RATE_LIMIT_ENABLED=True, RATE_LIMIT_LOGIN="100000/minute",
                    RATE_LIMIT_LAUNCH="100000/minute", RATE_LIMIT_REGISTER="100000/minute",
                    RATE_LIMIT_ADMIN_SIGN_IN="100000/minute")
    platform = PlatformDouble()
    with app.app_context():
        platform.register()
    app.extensions["fuzz.platform"] = platform
    yield app
    platform.close()
    dispose(app)


def _learner(fuzz_app):
    """A learner's browser: signed in by a launch, with the tokens its pages carry."""
    client = fuzz_app.test_client()
    platform = fuzz_app.extensions["fuzz.platform"]
    page = launch(client, platform)  # answered with the intake
    assert page.status_code == 200
    tokens = {"pw": re.search(r"[?&]pw=([^&\"']+)", landed_at(page))[1]}
    csrf = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data)
    assert csrf, "a learner's first page (the intake) has a form"
    tokens["csrf_token"] = csrf[1].decode()
    return client, tokens


@pytest.fixture(scope="module")
def learner(fuzz_app):
    return _learner(fuzz_app)


# Signing out is the one request meant to end the learner's session: it gets a learner of its
# own, so that the endpoints fuzzed after it still run signed in.
ENDS_SESSION = {"web.sign_out"}


def table_counts() -> dict[str, int]:
    tables = [t for t in db.metadata.sorted_tables if t.name not in NOT_COUNTED]
    query = sa.union_all(*(sa.select(sa.literal(t.name).label("name"),
                                     sa.select(sa.func.count()).select_from(t)
                                     .scalar_subquery().label("rows")) for t in tables))
    with db.engine.connect() as connection:
        return dict(connection.execute(query).all())


class RowWatch:
    """The row counts of every table, recounted only after a request that ran an INSERT or a
    DELETE (nothing else changes a count), so that most requests cost no counting."""

    def __init__(self, app):
        self.app, self.writes = app, 0
        with app.app_context():
            self.engine = db.engine
            self.counts = table_counts()
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args):
        verb = statement.lstrip()[:6].upper()
        if verb in ("INSERT", "DELETE") and not any(t in statement for t in NOT_COUNTED):
            self.writes += 1

    def changes(self) -> dict[str, tuple[int, int]]:
        """Tables whose row counts changed since the last call."""
        if not self.writes:
            return {}
        self.writes = 0
        before = self.counts
        with self.app.app_context():
            self.counts = table_counts()
        return {t: (before[t], self.counts[t]) for t in before if before[t] != self.counts[t]}

    def close(self):
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.fixture(scope="module")
def rows(fuzz_app):
    watch = RowWatch(fuzz_app)
    yield watch
    watch.close()


def check(rows: RowWatch, client, request: Request):
    path, kwargs = request.path, request.kwargs
    rows.changes()  # whatever happened before (a login) is not this request's doing
    response = client.open(path, **kwargs)
    status = response.status_code
    assert status < 500, f"{kwargs['method']} {path} -> {status}"
    changed = rows.changes()
    if 400 <= status < 500:
        assert not changed, f"{kwargs['method']} {path} -> {status} changed rows {changed}"


def _settings(endpoint: str):
    heavy = endpoint in ("lti.login", "lti.launch", "lti.dynamic_registration")
    return settings(FUZZ, max_examples=LTI_EXAMPLES if heavy else EXAMPLES)


IDS = [f"{method} {rule}" for _endpoint, rule, method in RULES]


@pytest.mark.parametrize(("endpoint", "rule", "method"), RULES, ids=IDS)
def test_anonymous_requests_never_fail(fuzz_app, rows, endpoint, rule, method):
    client = fuzz_app.test_client(use_cookies=False)

    @_settings(endpoint)
    @given(requests(_path_values(rule), method, {}))
    def fuzz(request):
        check(rows, client, request)

    fuzz()


@pytest.mark.parametrize(("endpoint", "rule", "method"), RULES, ids=IDS)
def test_learner_requests_never_fail(fuzz_app, rows, learner, endpoint, rule, method):
    client, tokens = _learner(fuzz_app) if endpoint in ENDS_SESSION else learner

    @_settings(endpoint)
    @given(requests(_path_values(rule), method, tokens))
    def fuzz(request):
        check(rows, client, request)

    fuzz()
    if endpoint in ENDS_SESSION:
        return
    # Still the learner: nothing above signed them out or in as someone else.
    assert client.get("/", query_string={"pw": tokens["pw"]}).status_code in (200, 303)


# Claims a registered platform could sign, kept short: the tool stores claims in columns of
# 255 characters. Left out, because they are known to give a 500 (test_known_launch_crashes):
# an `aud` that is not a string, a `resource_link` that is not an object, values longer than
# their column on PostgreSQL.
SHORT_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40)
    | st.text(string.printable[:94], max_size=10),
    lambda children: st.lists(children, max_size=2)
    | st.dictionaries(st.text(string.ascii_letters, max_size=6), children, max_size=2),
    max_leaves=4)
SIGNED_CLAIMS = st.dictionaries(
    st.sampled_from(["iss", "sub", "nonce", "exp", "iat", "azp", LTI + "message_type",
                     LTI + "version", LTI + "roles", LTI + "context", LTI + "deployment_id",
                     LTI + "custom", LTI + "launch_presentation", LTI + "tool_platform",
                     "name", "email", "given_name", "locale"]),
    SHORT_JSON, max_size=5,
).flatmap(lambda claims: st.fixed_dictionaries(
    {}, optional={LTI + "resource_link": st.dictionaries(st.sampled_from(["id", "title"]),
                                                         SHORT_JSON, max_size=2)},
).map(lambda extra: {**claims, **extra}))


def _signed_launch(rows, fuzz_app, claims, drop=()):
    platform = fuzz_app.extensions["fuzz.platform"]
    client = fuzz_app.test_client()
    _, state, nonce = start_login(client, platform)
    body = {**platform.claims(nonce), **claims}
    for name in drop:
        body.pop(name, None)
    try:
        token = platform.sign(body)
    except (TypeError, ValueError, OverflowError):
        return  # PyJWT cannot encode it: no platform could send it either
    check(rows, client, Request("/lti/launch", {
        "method": "POST", "data": {"id_token": token, "state": state}, "headers": {}}))


@settings(FUZZ, max_examples=LTI_EXAMPLES)
@given(claims=SIGNED_CLAIMS,
       drop=st.lists(st.sampled_from(["sub", "nonce", "aud", "exp", "iat", LTI + "roles",
                                      LTI + "context", LTI + "resource_link"]), max_size=2))
def test_signed_launches_with_random_claims_never_fail(fuzz_app, rows, claims, drop):
    """Past the signature, state and nonce checks: claims of any shape."""
    _signed_launch(rows, fuzz_app, claims, drop)


ON_POSTGRESQL = os.environ.get("PAIRWISE_TEST_DATABASE_URL", "").startswith("postgresql")
LONG = "x" * 300
KNOWN_CRASHES = {
    # pylti1p3's resource-link validator calls .get on it (AttributeError): now refused by
    # ToolMessageLaunch.validate_claim_shapes.
    "resource_link null": {LTI + "resource_link": None},
    "resource_link a list": {LTI + "resource_link": ["1"]},
    # An empty audience list: IndexError in the registration lookup.
    "aud empty list": {"aud": []},
    # A non-string audience reaches find_platform(client_id=...) and the SQL driver.
    "aud an object": {"aud": {"": None}},
    "aud a list of objects": {"aud": [{"x": 1}]},
}
# Values longer than their String(255) columns: PostgreSQL refuses them (SQLite does not check
# lengths). Moodle allows activity names of 1,333 characters.
LONG_VALUES = {
    "activity title of 300 characters": {LTI + "resource_link": {"id": "9", "title": LONG}},
    "course title of 300 characters": {LTI + "context": {"id": "2", "title": LONG}},
    "sub of 300 characters": {"sub": LONG},
}
CRASH_CASES = [pytest.param(claims, id=name) for name, claims in KNOWN_CRASHES.items()] + [
    pytest.param(claims, id=name, marks=() if ON_POSTGRESQL else pytest.mark.skip(
        reason="SQLite does not enforce column lengths"))
    for name, claims in LONG_VALUES.items()]


@pytest.mark.parametrize("claims", CRASH_CASES)
def test_claims_that_once_crashed_the_launch(fuzz_app, rows, claims):
    """Refused as invalid (odd shapes) or stored cut to their columns (long names)."""
    _signed_launch(rows, fuzz_app, claims)
