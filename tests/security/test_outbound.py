"""The outbound request policy (lti_tool/lti/outbound.py) against real servers on
loopback: blocked addresses, names and ports are refused before any connection, exceptions
let one host through, redirects are checked on every hop, connections go to the address that
was checked (TLS still verifies the name), and the production lists block the tool's own
networks.

The policy module is imported by the `outbound` fixture, not at the top: the attack tests
that come first need only `http_session()`, and so also run against a tool without the
policy (where they fail)."""

import datetime
import importlib
import ipaddress
import logging
import select
import socket
import ssl
import threading

import pytest
import requests
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

import config
from lti_tool.extensions import db
from lti_tool.lti.advantage import connector_for
from lti_tool.lti.connector import http_session
from lti_tool.lti.models import Platform
from lti_tool.lti.registrations import find_platform
from tests.support.platform import launch

NRPS = ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]
PRODUCTION_BLOCKED = ["127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.5.4", "192.168.1.1",
                      "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104
                      "224.0.0.1", "255.255.255.255", "::1", "::", "::ffff:127.0.0.1",
                      "::ffff:10.0.0.1", "fe80::1", "fd00:ec2::254", "fc00::1", "ff02::1",
                      "64:ff9b::7f00:1", "2002:7f00:1::1"]
PRODUCTION_ALLOWED = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946",
                      "::ffff:93.184.216.34"]


class Server:
    """A WSGI server on loopback that records the requests it answers: `/` says hello,
    `/redirect?to=URL` answers 302 to URL."""

    def __init__(self, host="127.0.0.1", port=0, ssl_context=None):
        self.requests: list[dict] = []
        self._server = make_server(host, port, self._wsgi, threaded=True,
                                   ssl_context=ssl_context)
        self.port = self._server.server_port
        scheme = "https" if ssl_context else "http"
        self.url = f"{scheme}://{host if ':' not in host else f'[{host}]'}:{self.port}"
        # A short poll: shutdown() waits up to one poll interval.
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        self.requests.append({"path": request.path, "host": request.headers.get("Host")})
        if request.path == "/redirect":
            response = Response("", status=302, headers={"Location": request.args["to"]})
        else:
            response = Response("hello", mimetype="text/plain")
        return response(environ, start_response)

    def close(self):
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()


class Listener:
    """A listening socket that never accepts: `connected()` tells whether a client opened a
    connection to it (the kernel completes the handshake and queues it)."""

    def __init__(self, host="127.0.0.1"):
        self._socket = socket.socket()
        self._socket.bind((host, 0))
        self._socket.listen(8)
        self.port = self._socket.getsockname()[1]

    def connected(self, wait=0.3) -> bool:
        readable, _, _ = select.select([self._socket], [], [], wait)
        return bool(readable)

    def close(self):
        self._socket.close()


@pytest.fixture
def outbound():
    return importlib.import_module("lti_tool.lti.outbound")


@pytest.fixture
def serve():
    """`serve(host=..., port=..., ssl_context=...)`: a started `Server`; all closed after."""
    servers = []

    def start(**kwargs):
        servers.append(Server(**kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def listener():
    sock = Listener()
    yield sock
    sock.close()


@pytest.fixture
def fake_dns(monkeypatch):
    """`fake_dns({"name.test": ["127.0.0.1", ...]})`: those names resolve to those addresses
    (other names as usual); `fake_dns.lookups` counts the look-ups of each fake name."""
    real = socket.getaddrinfo
    names: dict[str, list] = {}
    lookups: dict[str, int] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in names:
            return real(host, port, *args, **kwargs)
        lookups[host] = lookups.get(host, 0) + 1
        answer = names[host][min(lookups[host], len(names[host])) - 1]
        return [info for address in answer for info in real(address, port, *args, **kwargs)]

    def install(mapping: dict[str, list]):
        # A value is the answer to every look-up, or a list of answers, one per look-up.
        names.update({name: answers if isinstance(answers[0], list) else [answers]
                      for name, answers in mapping.items()})

    install.lookups = lookups
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return install


def get(app, url, **settings):
    """GET `url` through the tool's own session, with these policy settings."""
    app.config.update(settings)
    with app.app_context(), http_session() as session:
        response = session.get(url, timeout=5)
        response.close()
        return response


def production_settings() -> dict:
    production = importlib.import_module("config.production")
    return {name: getattr(production, name) for name in dir(production)
            if name.startswith("OUTBOUND_")}


# The attack: an anonymous caller makes the tool fetch a loopback URL.

def test_production_policy_refuses_a_loopback_server(app, serve):
    server = serve()
    settings = {**production_settings(), "OUTBOUND_HTTPS_ONLY": False,
                "OUTBOUND_ALLOWED_PORTS": ""}  # only the address is left to refuse it
    with pytest.raises(requests.RequestException):
        get(app, server.url + "/", **settings)
    assert server.requests == []


def test_production_policy_refuses_loopback_redirect_of_an_allowed_server(app, serve):
    internal = serve(host="127.0.0.2")
    front = serve()
    settings = {**production_settings(), "OUTBOUND_HTTPS_ONLY": False,
                "OUTBOUND_ALLOWED_PORTS": "", "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1"}
    with pytest.raises(requests.RequestException):
        get(app, f"{front.url}/redirect?to={internal.url}/", **settings)
    assert [r["path"] for r in front.requests] == ["/redirect"]
    assert internal.requests == []


# Blocked addresses and names

@pytest.mark.parametrize("blocked", ["127.0.0.1", "127.0.0.0/8", "::ffff:127.0.0.0/104"])
def test_loopback_address_is_blocked_by_ip_or_range(app, serve, outbound, blocked):
    server = serve()
    with pytest.raises(outbound.OutboundRefused) as refused:
        get(app, server.url + "/", OUTBOUND_BLOCKED_HOSTS=blocked)
    assert refused.value.address == "127.0.0.1"
    assert server.requests == []


def test_a_name_is_checked_by_the_addresses_it_resolves_to(app, serve, outbound):
    server = serve()
    assert get(app, f"http://localhost:{server.port}/").status_code == 200  # not blocked
    with pytest.raises(outbound.OutboundRefused) as refused:
        get(app, f"http://localhost:{server.port}/", OUTBOUND_BLOCKED_HOSTS="127.0.0.0/8")
    assert (refused.value.host, refused.value.address) == ("localhost", "127.0.0.1")
    assert len(server.requests) == 1


def test_ipv4_mapped_ipv6_literal_is_checked_as_ipv4(app, serve, outbound):
    server = serve()
    url = f"http://[::ffff:127.0.0.1]:{server.port}/"
    assert get(app, url).status_code == 200  # the mapped address does reach 127.0.0.1
    with pytest.raises(outbound.OutboundRefused) as refused:
        get(app, url, OUTBOUND_BLOCKED_HOSTS="127.0.0.0/8")
    assert "127.0.0.1 is in OUTBOUND_BLOCKED_HOSTS" in refused.value.reason
    assert len(server.requests) == 1


def test_blocked_name_is_refused_before_resolving_it(app, fake_dns, outbound):
    fake_dns({"platform.test": ["127.0.0.1"], "sub.corp.test": ["127.0.0.1"]})
    for url in ("http://platform.test/", "http://PLATFORM.test./", "http://sub.corp.test/"):
        with pytest.raises(outbound.OutboundRefused) as refused:
            get(app, url, OUTBOUND_BLOCKED_HOSTS="platform.test, *.corp.test")
        assert refused.value.reason == "host name is in OUTBOUND_BLOCKED_HOSTS"
    assert fake_dns.lookups == {}


def test_one_blocked_address_among_several_refuses_the_name(app, fake_dns, outbound):
    fake_dns({"mixed.test": ["93.184.216.34", "127.0.0.1"]})
    with pytest.raises(outbound.OutboundRefused) as refused:
        get(app, "http://mixed.test/", OUTBOUND_BLOCKED_HOSTS="127.0.0.0/8")
    assert refused.value.address == "127.0.0.1"


# Ports, schemes, proxies

def test_disallowed_port_is_refused_before_any_connection(app, listener, outbound):
    url = f"http://127.0.0.1:{listener.port}/"
    with pytest.raises(outbound.OutboundRefused) as refused:
        get(app, url, OUTBOUND_ALLOWED_PORTS="80 443")
    assert refused.value.reason == f"port {listener.port} is not in OUTBOUND_ALLOWED_PORTS"
    assert not listener.connected()
    # The listener does notice a connection: with its port allowed, one arrives (and, never
    # answered, times out).
    app.config["OUTBOUND_ALLOWED_PORTS"] = f"443,{listener.port}"
    with app.app_context(), http_session() as session, pytest.raises(requests.Timeout):
        session.get(url, timeout=0.5)
    assert listener.connected()


def test_https_only_refuses_plain_http(app, serve, outbound):
    server = serve()
    with pytest.raises(outbound.OutboundRefused) as refused:
        get(app, server.url + "/", OUTBOUND_HTTPS_ONLY=True)
    assert "OUTBOUND_HTTPS_ONLY" in refused.value.reason
    assert server.requests == []


def test_environment_proxies_are_ignored_and_explicit_ones_refused(
        app, serve, listener, outbound, monkeypatch):
    server = serve()
    proxy = f"http://127.0.0.1:{listener.port}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    assert get(app, server.url + "/").status_code == 200  # straight to the server
    assert not listener.connected()
    with app.app_context(), http_session() as session:
        with pytest.raises(outbound.OutboundRefused):
            session.get(server.url + "/", proxies={"http": proxy}, timeout=5)
    assert not listener.connected()
    assert len(server.requests) == 1


# Exceptions

@pytest.mark.parametrize("allowed", ["127.0.0.1", "127.0.0.1/32", "localhost"])
def test_allowed_hosts_let_one_host_through(app, serve, outbound, allowed):
    server = serve()
    other = serve(host="127.0.0.2")
    settings = {"OUTBOUND_BLOCKED_HOSTS": "127.0.0.0/8 localhost",
                "OUTBOUND_ALLOWED_HOSTS": allowed}
    host = "localhost" if allowed == "localhost" else "127.0.0.1"
    assert get(app, f"http://{host}:{server.port}/", **settings).text == "hello"
    with pytest.raises(outbound.OutboundRefused):
        get(app, other.url + "/", **settings)
    assert len(server.requests) == 1
    assert other.requests == []


# Redirects

def test_redirect_to_a_blocked_address_is_refused(app, serve, outbound, caplog):
    internal = serve(host="127.0.0.2")
    front = serve()
    url = f"{front.url}/redirect?to={internal.url}/secret"
    assert get(app, url).text == "hello"  # without a policy the redirect is followed
    assert [r["path"] for r in internal.requests] == ["/secret"]

    settings = {"OUTBOUND_BLOCKED_HOSTS": "127.0.0.2"}
    with caplog.at_level(logging.WARNING), pytest.raises(outbound.OutboundRefused):
        get(app, url, **settings)
    assert [r["path"] for r in front.requests] == ["/redirect", "/redirect"]
    assert len(internal.requests) == 1
    assert "address 127.0.0.2 is in OUTBOUND_BLOCKED_HOSTS" in caplog.text


# Pinning: the connection goes to the address that was checked

def test_connection_goes_to_the_checked_address_with_the_name_in_host(
        app, serve, fake_dns, outbound):
    checked = serve()
    rebound = serve(host="127.0.0.2", port=checked.port)  # the same port, another address
    # A rebinding name: the first answer passes the check, later ones point elsewhere.
    fake_dns({"rebind.test": [["127.0.0.1"], ["127.0.0.2"]]})
    url = f"http://rebind.test:{checked.port}/"
    assert get(app, url, OUTBOUND_BLOCKED_HOSTS="127.0.0.2").text == "hello"
    assert checked.requests == [{"path": "/", "host": f"rebind.test:{checked.port}"}]
    assert rebound.requests == []
    assert fake_dns.lookups == {"rebind.test": 1}


def test_next_checked_address_is_tried_when_one_is_unreachable(app, serve, fake_dns):
    server = serve()  # on 127.0.0.1 only: 127.0.0.2 refuses the connection
    fake_dns({"dual.test": ["127.0.0.2", "127.0.0.1"]})
    response = get(app, f"http://dual.test:{server.port}/")
    assert response.text == "hello"
    assert server.requests == [{"path": "/", "host": f"dual.test:{server.port}"}]


def _certificates(tmp_path, name: str):
    """A CA file and a server context whose certificate (from that CA) names only `name`."""
    def certificate(subject, issuer, public_key, key, extensions):
        now = datetime.datetime.now(datetime.UTC)
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(public_key).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(hours=1)))
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pairwise test CA")])
    ca = certificate(ca_name, ca_name, ca_key.public_key(), ca_key, [
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (x509.KeyUsage(False, False, False, False, False, True, True, False, False), True),
        (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)])
    leaf = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), ca_name,
                       server_key.public_key(), ca_key, [
        (x509.SubjectAlternativeName([x509.DNSName(name)]), False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False)])
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "server.pem").write_bytes(leaf.public_bytes(pem) + server_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    return str(tmp_path / "ca.pem"), context


def test_tls_checks_the_name_while_connecting_to_the_pinned_address(
        app, serve, fake_dns, tmp_path):
    ca_file, context = _certificates(tmp_path, "platform.test")
    sni = []
    context.sni_callback = lambda _socket, server_name, _context: sni.append(server_name)
    server = serve(ssl_context=context)
    fake_dns({"platform.test": ["127.0.0.1"], "impostor.test": ["127.0.0.1"]})
    with app.app_context(), http_session() as session:
        response = session.get(f"https://platform.test:{server.port}/", verify=ca_file)
        assert response.text == "hello"
        # The same server, reached by a name its certificate does not carry: refused.
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"https://impostor.test:{server.port}/", verify=ca_file)
    assert sni == ["platform.test", "impostor.test"]
    assert server.requests == [{"path": "/", "host": f"platform.test:{server.port}"}]


# Through the tool's own calls: the detail goes to the log only

def test_token_request_to_a_blocked_platform_is_refused_and_logged(
        app, platform, outbound, caplog):
    app.config["OUTBOUND_BLOCKED_HOSTS"] = "127.0.0.0/8"
    with app.app_context(), caplog.at_level(logging.WARNING, "lti_tool.lti.outbound"):
        connector = connector_for(find_platform(platform.issuer, platform.client_id))
        with pytest.raises(outbound.OutboundRefused) as refused:
            connector.get_access_token(NRPS)
    assert platform.token_requests == []
    assert "OUTBOUND" not in str(refused.value)  # the message says nothing of the network
    [record] = [r for r in caplog.records if r.name == "lti_tool.lti.outbound"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "outbound request refused: address 127.0.0.1 is in OUTBOUND_BLOCKED_HOSTS "
        f"(host 127.0.0.1, port {platform.base_url.rsplit(':', 1)[1]}, address 127.0.0.1)")


def test_launch_with_a_blocked_jwks_url_fails_without_showing_why(
        app, client, platform, caplog):
    app.config["OUTBOUND_BLOCKED_HOSTS"] = "127.0.0.0/8"
    with caplog.at_level(logging.WARNING, "lti_tool.lti.outbound"):
        response = launch(client, platform)
    assert response.status_code >= 400
    assert platform.jwks_requests == 0
    assert b"OUTBOUND_BLOCKED_HOSTS" not in response.data
    assert "address 127.0.0.1 is in OUTBOUND_BLOCKED_HOSTS" in caplog.text


def test_testing_policy_lets_the_sandbox_on_loopback_work(live_sandbox):
    app = live_sandbox.app
    assert not app.config["OUTBOUND_BLOCKED_HOSTS"]
    assert not app.config["OUTBOUND_HTTPS_ONLY"]
    with app.app_context(), http_session() as session:
        jwks_url = db.session.scalars(sa.select(Platform.key_set_url)).one()
        assert jwks_url.startswith("http://localhost:")
        response = session.get(jwks_url)
    assert response.status_code == 200
    assert response.json()["keys"]


# The settings

def test_production_lists_block_internal_addresses_and_allow_public_ones(outbound):
    policy = outbound.OutboundPolicy.from_config(production_settings())
    for address in PRODUCTION_BLOCKED:
        assert policy.address_refusal("platform.example.edu", address), address
    for address in PRODUCTION_ALLOWED:
        assert policy.address_refusal("platform.example.edu", address) is None, address
    assert policy.target_refusal("https", "moodle.example.edu", 443) is None
    assert policy.target_refusal("http", "moodle.example.edu", 80)  # https only
    assert policy.target_refusal("https", "moodle.example.edu", 8443)
    assert policy.target_refusal("https", "localhost", 443)
    assert policy.target_refusal("https", "db.localhost", 443)


def test_production_allowed_hosts_let_a_campus_platform_through(outbound):
    settings = {**production_settings(),
                "OUTBOUND_ALLOWED_HOSTS": "10.1.2.3 moodle.internal.example.edu"}
    policy = outbound.OutboundPolicy.from_config(settings)
    assert policy.address_refusal("10.1.2.3", "10.1.2.3") is None
    assert policy.address_refusal("moodle.internal.example.edu", "10.9.9.9") is None
    assert policy.address_refusal("other.example.edu", "10.9.9.9")
    assert policy.target_refusal("https", "moodle.internal.example.edu", 8443)  # ports stay


def test_production_app_refuses_loopback_before_connecting(production_app, outbound):
    with production_app.app_context(), http_session() as session:
        for url, reason in [("https://127.0.0.1/", "address 127.0.0.1 is in"),
                            ("https://localhost/", "host name is in"),
                            ("https://[::ffff:7f00:1]/", "address 127.0.0.1 is in"),
                            ("http://example.com/", "plain http"),
                            ("https://example.com:8443/", "port 8443")]:
            with pytest.raises(outbound.OutboundRefused) as refused:
                session.get(url)
            assert refused.value.reason.startswith(reason), url


def test_settings_from_the_environment_are_parsed(outbound, monkeypatch):
    monkeypatch.setenv("PAIRWISE_OUTBOUND_BLOCKED_HOSTS", "10.0.0.0/8,*.corp.test  localhost")
    monkeypatch.setenv("PAIRWISE_OUTBOUND_ALLOWED_HOSTS", "[fd00::5]")
    monkeypatch.setenv("PAIRWISE_OUTBOUND_ALLOWED_PORTS", "443")  # decoded as a number
    monkeypatch.setenv("PAIRWISE_OUTBOUND_HTTPS_ONLY", "true")
    flask_app = Flask("settings")
    config.load(flask_app, "testing")
    policy = outbound.OutboundPolicy.from_config(flask_app.config)
    assert policy.ports == {443}
    assert policy.https_only is True
    assert policy.blocked.networks == (ipaddress.ip_network("10.0.0.0/8"),)
    assert policy.blocked.matches_name("a.b.corp.test")
    assert not policy.blocked.matches_name("corp.test")
    assert not policy.blocked.matches_name("evilcorp.test")
    assert policy.allowed.matches_address(ipaddress.ip_address("fd00::5"))


@pytest.mark.parametrize("setting, value", [("OUTBOUND_BLOCKED_HOSTS", "10.0.0.0/33"),
                                            ("OUTBOUND_ALLOWED_HOSTS", "fd00::/129"),
                                            ("OUTBOUND_BLOCKED_HOSTS", "10.0.0.256"),
                                            ("OUTBOUND_ALLOWED_HOSTS", "example.edu/moodle"),
                                            ("OUTBOUND_ALLOWED_PORTS", "https"),
                                            ("OUTBOUND_ALLOWED_PORTS", "70000"),
                                            ("OUTBOUND_HTTPS_ONLY", "maybe")])
def test_a_mistyped_setting_is_an_error_not_an_open_door(outbound, setting, value):
    with pytest.raises(ValueError, match=setting):
        outbound.OutboundPolicy.from_config({setting: value})
