"""Fixtures for the notification outbox: people to notify, and a real SMTP server (aiosmtpd)
on 127.0.0.1 that records what it receives, can refuse on demand, and can speak TLS with a
throwaway self-signed certificate."""

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from lti_tool.lti.models import Platform

SENDER = "Pairwise <pairwise@example.edu>"


@pytest.fixture
def ctx(app):
    """An app context held for the test (the outbox is read and written directly)."""
    with app.app_context():
        yield app


@pytest.fixture
def make_person(ctx):
    platform = Platform(issuer="https://lms.example.edu", client_id="client-1",
                        auth_login_url="https://lms.example.edu/auth",
                        auth_token_url="https://lms.example.edu/token",
                        key_set_url="https://lms.example.edu/jwks")
    db.session.add(platform)
    db.session.flush()
    count = iter(range(1, 10_000))

    def make(name: str = "Mona Mentor", email: str | None = "mona@example.edu") -> Person:
        person = Person(platform_id=platform.id, subject=f"user-{next(count)}", name=name,
                        email=email or "")
        db.session.add(person)
        db.session.flush()
        return person

    return make


@pytest.fixture
def person(make_person):
    return make_person()


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    login: str | None
    secure: bool

    @property
    def message(self) -> EmailMessage:
        # Line ends as a mail client reads them (SMTP carries CRLF).
        return message_from_bytes(self.raw.replace(b"\r\n", b"\n"), policy=policy.default)


@dataclass
class RecordingHandler:
    """The SMTP server's behaviour: accept and record, or answer `refuse` (e.g. "451 ...")."""

    received: list[Received] = field(default_factory=list)
    refuse: str | None = None
    refuse_at: str = "DATA"  # or "RCPT"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse and self.refuse_at == "RCPT":
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse and self.refuse_at == "DATA":
            return self.refuse
        with self.lock:
            self.received.append(Received(
                envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                session.auth_data, _secure(server, session)))
        return "250 Message accepted for delivery"


def _secure(server, session) -> bool:
    """STARTTLS sets `session.ssl`; implicit TLS shows on the transport."""
    return session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"pairwise" and auth_data.password == b"s3cret"
    # handled=False: the server answers 235 or 535 itself.
    return AuthResult(success=ok, handled=False,
                      auth_data=auth_data.login.decode() if ok else None)


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int

    @property
    def received(self) -> list[Received]:
        return self.handler.received


def _start(handler: RecordingHandler, **kwargs) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            authenticator=_authenticator, auth_require_tls=False, **kwargs)
    controller.start()
    return controller, port


@pytest.fixture
def smtp_server(ctx):
    """A plain SMTP server on loopback, and the app configured to send through it."""
    handler = RecordingHandler()
    controller, port = _start(handler)
    ctx.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=False,
                      MAIL_USE_TLS=False, MAIL_FROM=SENDER, MAIL_TIMEOUT=5)
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


@dataclass
class Certificate:
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 that only the test's client trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return Certificate(server, client)


@pytest.fixture
def tls_server(ctx, certificate):
    """`tls_server(starttls=True)`: an SMTP server offering STARTTLS, or (False) one that
    speaks TLS from the first byte."""
    controllers = []

    def start(starttls: bool) -> SmtpServer:
        handler = RecordingHandler()
        extra = ({"tls_context": certificate.server_context, "require_starttls": True}
                 if starttls else {"ssl_context": certificate.server_context})
        controller, port = _start(handler, **extra)
        controllers.append(controller)
        ctx.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=starttls,
                          MAIL_USE_TLS=not starttls, MAIL_FROM=SENDER, MAIL_TIMEOUT=5)
        return SmtpServer(handler, port)

    yield start
    for controller in controllers:
        controller.stop()
