"""Mail for the notification tests: a real SMTP server (aiosmtpd) on 127.0.0.1 that records
what it receives, can refuse on demand and can speak TLS with a throwaway self-signed
certificate; the sender the app is configured with; and iTIP calendars to attach."""

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from icalendar import Calendar, Event

SENDER = "Pairwise <pairwise@example.edu>"


def itip(method: str | None = "REQUEST", summary: str = "Mentoring: Mona & Lena") -> str:
    """A one-event calendar with iTIP `method` (None: a plain .ics file)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Pairwise tests//EN")
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    event = Event()
    event.add("uid", "meeting-42@pairwise.test")
    event.add("dtstamp", dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC))
    event.add("dtstart", dt.datetime(2024, 5, 10, 14, 0, tzinfo=dt.UTC))
    event.add("dtend", dt.datetime(2024, 5, 10, 14, 30, tzinfo=dt.UTC))
    event.add("summary", summary)
    event.add("sequence", 0)
    calendar.add_component(event)
    return calendar.to_ical().decode()


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


def start_smtp(handler: RecordingHandler, **kwargs) -> tuple[Controller, int]:
    """An SMTP server on a free loopback port (login pairwise / s3cret); stop the controller."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            authenticator=_authenticator, auth_require_tls=False, **kwargs)
    controller.start()
    return controller, port


@dataclass
class Certificate:
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext


def self_signed_certificate(folder: Path) -> Certificate:
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
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return Certificate(server, client)
