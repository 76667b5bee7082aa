"""Fixtures for the notification outbox: people to notify, and a real SMTP server on
127.0.0.1 (tests/support/mail.py) that records what it receives, can refuse on demand, and can
speak TLS with a throwaway self-signed certificate."""

import pytest

from lti_tool.courses.models import Person
from lti_tool.extensions import db
from tests.support.mail import (
    SENDER,
    Certificate,
    RecordingHandler,
    SmtpServer,
    self_signed_certificate,
    start_smtp,
)
from tests.support.rows import platform_row


@pytest.fixture
def ctx(app):
    """An app context held for the test (the outbox is read and written directly)."""
    with app.app_context():
        yield app


@pytest.fixture
def make_person(ctx):
    platform = platform_row("client-1")
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


@pytest.fixture
def smtp_server(ctx):
    """A plain SMTP server on loopback, and the app configured to send through it."""
    handler = RecordingHandler()
    controller, port = start_smtp(handler)
    ctx.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=False,
                      MAIL_USE_TLS=False, MAIL_FROM=SENDER, MAIL_TIMEOUT=5)
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 that only the test's client trusts."""
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(ctx, certificate):
    """`tls_server(starttls=True)`: an SMTP server offering STARTTLS, or (False) one that
    speaks TLS from the first byte."""
    controllers = []

    def start(starttls: bool) -> SmtpServer:
        handler = RecordingHandler()
        extra = ({"tls_context": certificate.server_context, "require_starttls": True}
                 if starttls else {"ssl_context": certificate.server_context})
        controller, port = start_smtp(handler, **extra)
        controllers.append(controller)
        ctx.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=starttls,
                          MAIL_USE_TLS=not starttls, MAIL_FROM=SENDER, MAIL_TIMEOUT=5)
        return SmtpServer(handler, port)

    yield start
    for controller in controllers:
        controller.stop()
