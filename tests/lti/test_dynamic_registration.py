"""Dynamic registration starts only from an administrator's single-use link, tried as an
attacker would from outside with no account: taking over a registered platform, an issuer
with user-info, making the tool fetch addresses (and reading its network from the answers),
widening the Content-Security-Policy. The platform is a real HTTP server on loopback
(tests/support/registration.py); every request it receives is counted."""

import re
import socket
import threading
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.lti import registration_links
from lti_tool.lti.models import Platform, RegistrationLink
from lti_tool.lti.registrations import PlatformDetails, register_platform
from lti_tool.security.models import AuditEvent
from tests.support.registration import (
    PLATFORM_CONFIGURATION,
    TOOL_CONFIGURATION,
    RegistrationDouble,
)

VICTIM_JWKS = "https://moodle.victim.test/mod/lti/certs.php"


@pytest.fixture
def lms(app):
    app.config["LTI_HTTP_TIMEOUT_SECONDS"] = 3
    double = RegistrationDouble()
    yield double
    double.close()


class TcpListener:
    """A TCP port that is not HTTP: it counts connections and answers each with `reply`."""

    def __init__(self, reply: bytes = b""):
        self.connections = 0
        self.reply = reply
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                continue
            self.connections += 1
            with connection:
                if self.reply:
                    connection.sendall(self.reply)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()


@pytest.fixture
def listener():
    tcp = TcpListener(reply=b"\x00\x01 not http\r\n\r\n")
    yield tcp
    tcp.close()


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def make_link(app, **kwargs) -> str:
    """A registration link's path, as the admin page makes it."""
    with app.test_request_context():
        issued = registration_links.issue(**kwargs)
        db.session.commit()
        return urlsplit(issued.url).path


def attempt(client, path, configuration_url, token="reg-token-from-the-lms"):
    """What the platform's frame does: open the link with its parameters, then press
    Register (submitting the page's form as it is, hidden fields included); without a form
    on the page, post the parameters as an attacker would."""
    params = {"openid_configuration": configuration_url, "registration_token": token}
    page = client.get(path, query_string=params)
    form = re.search(r'<form method="post" action="([^"]*)">(.*?)</form>', page.text, re.S)
    if form is None:
        return page, client.post(path, data=params)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                             form.group(2)))
    return page, client.post(form.group(1).replace("&amp;", "&"), data=fields)


def register_victim(app, issuer, client_id="dyn-client-1"):
    with app.app_context():
        register_platform(PlatformDetails(
            issuer=issuer, client_id=client_id, auth_login_url=issuer + "/mod/lti/auth.php",
            auth_token_url=issuer + "/mod/lti/token.php", key_set_url=VICTIM_JWKS,
            deployment_ids=("1",), name="Victim Moodle"))
        db.session.commit()


def platforms(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(p.issuer, p.client_id, p.key_set_url)
                for p in db.session.scalars(sa.select(Platform).order_by(Platform.id))]


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def without_reference(response) -> str:
    return re.sub(r"reference [0-9a-f]+", "reference ?", response.get_data(as_text=True))


# --- The link ---------------------------------------------------------------------------------

def test_a_link_registers_a_new_platform_once_and_is_audited(app, client, lms):
    path = make_link(app, label="Faculty Moodle")
    page, done = attempt(client, path, lms.configuration_url)
    assert page.status_code == 200 and "Register Pairwise" in page.text
    assert "Faculty Moodle" in page.text
    assert done.status_code == 200, done.text
    assert "is registered" in done.text and "data-lti-close" in done.text
    assert platforms(app) == [(lms.origin, "dyn-client-1", lms.origin + "/mod/lti/certs.php")]
    assert lms.registrations[0]["initiate_login_uri"] == "http://127.0.0.1:5000/lti/login"
    with app.app_context():
        platform = db.session.scalars(sa.select(Platform)).one()
        assert platform.registered_via == "dynamic" and platform.deployment_ids == ["7"]
        link = db.session.scalars(sa.select(RegistrationLink)).one()
        assert link.used_at is not None and link.platform_id == platform.id
        event = db.session.scalars(sa.select(AuditEvent)).one()
        assert event.action == "platform.registered" and event.platform_id == platform.id
        assert event.details["via"] == "dynamic" and event.details["link"] == link.id
        assert event.target == f"{lms.origin} client dyn-client-1"
    # Single use: the same link again is refused before anything is fetched.
    seen = len(lms.requests)
    page, again = attempt(client, path, lms.configuration_url)
    assert (page.status_code, again.status_code) == (410, 410)
    assert "already used" in again.text
    assert len(lms.requests) == seen


@pytest.mark.parametrize("path", ["/lti/register", "/lti/register/" + "A" * 43,
                                  "/lti/register/not-a-link"])
def test_without_a_link_the_tool_fetches_nothing(app, client, lms, path):
    page, posted = attempt(client, path, lms.configuration_url)
    assert (page.status_code, posted.status_code) == (403, 403)
    assert "registration link" in posted.text
    assert lms.requests == [] and platforms(app) == []
    json = client.post(path, data={"openid_configuration": lms.configuration_url},
                       headers={"Accept": "application/json"})
    assert json.status_code == 403 and json.json["error"] == "registration_link"


@pytest.mark.parametrize("state", ["expired", "withdrawn", "used"])
def test_an_expired_withdrawn_or_used_link_fetches_nothing(app, client, lms, state):
    path = make_link(app)
    with app.app_context():
        link = db.session.scalars(sa.select(RegistrationLink)).one()
        if state == "expired":
            link.expires_at = link.created_at
        elif state == "withdrawn":
            registration_links.withdraw(link.id)
        else:
            link.used_at = link.created_at
        db.session.commit()
    _, posted = attempt(client, path, lms.configuration_url)
    words = {"expired": "has expired", "withdrawn": "was withdrawn", "used": "already used"}
    assert posted.status_code == 410 and words[state] in posted.text
    assert lms.requests == [] and platforms(app) == []


def test_a_link_for_one_platform_is_refused_to_another_before_any_fetch(app, client, lms):
    path = make_link(app, expected_issuer="https://moodle.example.edu/")
    page, posted = attempt(client, path, lms.configuration_url)
    assert (page.status_code, posted.status_code) == (400, 400)
    assert "https://moodle.example.edu only" in posted.text
    assert lms.requests == []


def test_a_link_for_a_platform_accepts_that_platform(app, client, lms):
    path = make_link(app, expected_issuer=lms.origin + "/")
    _, posted = attempt(client, path, lms.configuration_url)
    assert posted.status_code == 200, posted.text
    assert platforms(app)[0][:2] == (lms.origin, "dyn-client-1")


def test_a_platform_answering_with_another_issuer_than_the_link_names(app, client, lms):
    path = make_link(app, expected_issuer=lms.origin)
    lms.issuer = lms.origin + "/mod"  # its own (the configuration is under it), not the link's
    _, posted = attempt(client, path, lms.configuration_url)
    assert posted.status_code == 502 and platforms(app) == []
    assert lms.registrations == []  # refused before the tool posted its registration


@pytest.mark.parametrize(("configuration", "answer"), [
    ({}, {"client_id": "x" * 300}),
    ({}, {"client_id": None}),
    ({}, {TOOL_CONFIGURATION: "not an object"}),
    ({}, {TOOL_CONFIGURATION: {"deployment_id": "d" * 300}}),
    ({PLATFORM_CONFIGURATION: "moodle"}, {}),
    ({"jwks_uri": None}, {}),
    ({"jwks_uri": "https://user@evil.example/certs"}, {}),
    ({"registration_endpoint": 42}, {}),
    ({"issuer": ["not", "a", "string"]}, {}),
])
def test_a_platform_answer_that_is_not_lti_stores_nothing(app, client, lms, configuration,
                                                          answer):
    lms.configuration_changes, lms.answer_changes = configuration, answer
    path = make_link(app)
    _, posted = attempt(client, path, lms.configuration_url)
    assert posted.status_code == 502, posted.text
    assert platforms(app) == []
    with app.app_context():  # the link can be used again once the platform is fixed
        assert db.session.scalars(sa.select(RegistrationLink.used_at)).one() is None


def test_an_odd_product_family_is_left_out_not_refused(app, client, lms):
    lms.configuration_changes = {PLATFORM_CONFIGURATION: {"product_family_code": ["moodle"]}}
    _, posted = attempt(client, make_link(app), lms.configuration_url)
    assert posted.status_code == 200
    with app.app_context():
        platform = db.session.scalars(sa.select(Platform)).one()
        assert (platform.name, platform.product_family) == (lms.origin, "")


# --- Takeover of a registered platform --------------------------------------------------------

def test_takeover_by_upsert_is_refused(app, client, lms):
    """The attacker's platform answers with the victim's issuer and client_id: the victim's
    keys and endpoints must stay, whether the attacker has a link or not."""
    register_victim(app, lms.origin)
    before = platforms(app)
    _, anonymous = attempt(client, "/lti/register", lms.configuration_url)
    assert anonymous.status_code == 403
    assert platforms(app) == before
    path = make_link(app)
    _, with_link = attempt(client, path, lms.configuration_url)
    assert with_link.status_code == 409
    assert "already has a registration" in with_link.text
    assert platforms(app) == before == [(lms.origin, "dyn-client-1", VICTIM_JWKS)]
    with app.app_context():
        assert db.session.scalars(sa.select(RegistrationLink.used_at)).one() is None
    assert "platform.registered" not in audit_actions(app)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_an_issuer_with_user_info_is_refused_before_any_fetch(app, client, lms, listener,
                                                               scheme):
    """`<victim issuer>@<attacker host>` starts with the victim's issuer as a string."""
    victim = f"{scheme}://moodle.victim.test"
    register_victim(app, victim)
    lms.issuer = victim
    port = lms.origin.rsplit(":", 1)[1] if scheme == "http" else listener.port
    hostile = f"{victim}@127.0.0.1:{port}/mod/lti/openid-configuration.php"
    _, anonymous = attempt(client, "/lti/register", hostile)
    assert anonymous.status_code == 403
    assert lms.requests == [] and listener.connections == 0
    for path in (make_link(app), make_link(app, expected_issuer=victim)):
        _, posted = attempt(client, path, hostile)
        assert posted.status_code == 400 and "user name or password" in posted.text
    assert lms.requests == [] and listener.connections == 0
    assert platforms(app) == [(victim, "dyn-client-1", VICTIM_JWKS)]


@pytest.mark.parametrize("issuer_path", ["/other", "/mo", "/mod/lti/openid-configuration.php/x"])
def test_the_configuration_must_live_under_its_issuer(app, client, lms, issuer_path):
    lms.issuer = lms.origin + issuer_path
    _, posted = attempt(client, make_link(app), lms.configuration_url)
    assert posted.status_code == 502
    assert "could not be reached, or its answer was not an LTI registration" in posted.text
    assert platforms(app) == [] and lms.registrations == []


def test_an_issuer_with_a_path_above_the_configuration_is_accepted(app, client, lms):
    lms.issuer = lms.origin + "/mod"
    _, posted = attempt(client, make_link(app), lms.configuration_url)
    assert posted.status_code == 200, posted.text
    assert platforms(app)[0][0] == lms.origin + "/mod"


@pytest.mark.parametrize("url", [
    "ftp://127.0.0.1/openid", "http://127.0.0.1\\@evil.example/openid",
    "http://127.0.0.1:99999/openid", "http:///openid", "not a url",
])
def test_configuration_urls_that_are_not_plain_http_are_refused(app, client, lms, url):
    _, posted = attempt(client, make_link(app), url)
    assert posted.status_code == 400
    assert lms.requests == []


def test_https_only_refuses_an_http_platform_before_any_fetch(app, client, lms):
    path = make_link(app)
    app.config["OUTBOUND_HTTPS_ONLY"] = True
    _, posted = attempt(client, path, lms.configuration_url)
    assert posted.status_code == 400 and "must use https" in posted.text
    assert lms.requests == []


# --- Reading the tool's network ---------------------------------------------------------------

def test_the_answers_do_not_tell_ports_apart(app, client, lms, listener):
    """A closed port, a port that speaks something else and an HTTP server that is not a
    platform: a caller gets the same answer for each (the log keeps the detail)."""
    targets = [f"http://127.0.0.1:{closed_port()}/openid",
               f"http://127.0.0.1:{listener.port}/openid",
               f"{lms.origin}/no-such-configuration"]
    anonymous = [attempt(client, "/lti/register", url)[1] for url in targets]
    assert {r.status_code for r in anonymous} == {403}
    assert len({r.get_data() for r in anonymous}) == 1
    assert listener.connections == 0 and lms.requests == []
    with_links = [attempt(client, make_link(app), url)[1] for url in targets]
    assert {r.status_code for r in with_links} == {502}
    assert len({without_reference(r) for r in with_links}) == 1
    assert "Connection refused" not in with_links[0].text


def test_the_log_keeps_what_the_page_does_not_say(app, client, caplog):
    _, posted = attempt(client, make_link(app), f"http://127.0.0.1:{closed_port()}/openid")
    reference = re.search(r"reference ([0-9a-f]+)", posted.text).group(1)
    logged = [r.getMessage() for r in caplog.records if reference in r.getMessage()]
    assert logged and "ConnectionError" in logged[0]


# --- The Content-Security-Policy --------------------------------------------------------------

def test_strangers_cannot_widen_the_csp(app, client, lms):
    """Before links, an anonymous registration added its origin to every page's
    frame-ancestors and form-action."""
    attempt(client, "/lti/register", lms.configuration_url)
    policy = client.get("/admin/sign-in").headers["Content-Security-Policy"]
    assert lms.origin not in policy and platforms(app) == []


def test_a_registration_page_may_be_framed_by_its_platform_only(app, client, lms):
    path = make_link(app)
    page = client.get(path, query_string={"openid_configuration": lms.configuration_url})
    ancestors = re.search(r"frame-ancestors ([^;]*)", page.headers["Content-Security-Policy"])
    assert lms.origin in ancestors.group(1)
    assert lms.origin not in re.search(r"form-action ([^;]*)",
                                       page.headers["Content-Security-Policy"]).group(1)
    assert lms.origin not in client.get("/admin/sign-in").headers["Content-Security-Policy"]
    # Once the administrator's link registered it, the platform may frame the tool.
    attempt(client, path, lms.configuration_url)
    assert lms.origin in client.get("/admin/sign-in").headers["Content-Security-Policy"]
