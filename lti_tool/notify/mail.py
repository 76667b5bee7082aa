"""E-mail for notifications with the standard library only: `build_message` makes the MIME
message (`email.message.EmailMessage`), and a mailer delivers it: `SmtpMailer` over SMTP
(`smtplib`, implicit TLS or STARTTLS, optional login) when `MAIL_SERVER` is set, otherwise
`OutboxMailer`, which sends nothing (the notification stays readable in the outbox).

A message is its plain text and, when the notification has one, the same message as HTML, as
alternatives (mail clients show the last one they can: the HTML):

    multipart/alternative
      text/plain; charset=utf-8
      text/html; charset=utf-8

A notification with an iCalendar object is an iTIP message (RFC 6047): the calendar goes in a
`text/calendar; method=REQUEST; charset=UTF-8` alternative after the text and the HTML, which
is what Outlook and Google read to add, update or cancel the event, and once more as an .ics
attachment for every other mail client:

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8
        text/html; charset=utf-8            (when there is HTML)
        text/calendar; method=REQUEST; charset=UTF-8
      application/ics; name=invite.ics   (attachment)

Every message says how to stop it (RFC 2369 and RFC 8058): `List-Unsubscribe` with the
person's one-click URL and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, so that a mail
client's "Unsubscribe" button POSTs to it. That header is written on one line: folding a long
URL would turn it into encoded-words, which no client reads as a URL.
"""

import ipaddress
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from typing import Any, Protocol, cast

from lti_tool.timeutil import utcnow

CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
METHOD = re.compile(r"[A-Z][A-Z-]{0,15}")
ICS_NAMES = {"REQUEST": "invite.ics", "CANCEL": "cancel.ics"}
URL = re.compile(r"https?://[\x21-\x3b\x3d\x3f-\x7e]{1,900}")  # printable ASCII, no < or >


class _OneLineHeader(UnstructuredHeader):
    """A header written as it is, on one line (up to RFC 5322's 998 characters). The
    registry mixes it with `BaseHeader`, which gives it its name."""

    name: str
    max_count = 1

    def fold(self, *, policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


_headers = HeaderRegistry()
_headers.map_to_type("list-unsubscribe", cast("type[BaseHeader]", _OneLineHeader))
POLICY = default_policy.clone(header_factory=_headers)


class MailConfigError(ValueError):
    """The MAIL_* settings cannot work (e.g. a server but no sender address)."""


class PermanentMailError(ValueError):
    """A message that no retry can send (e.g. the recipient's address is not an address)."""


@dataclass(frozen=True)
class MailSettings:
    server: str = ""  # empty: no SMTP, notifications stay in the outbox
    port: int = 587
    use_tls: bool = False  # implicit TLS from the first byte (SMTPS, usually port 465)
    use_starttls: bool = True  # upgrade a plain connection (submission, port 587)
    username: str = ""
    password: str = ""
    sender: str = ""  # From: "Pairwise <pairwise@example.edu>"
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "MailSettings":
        """Read the MAIL_* settings (environment overrides may arrive as numbers)."""
        settings = cls(
            server=str(config.get("MAIL_SERVER") or "").strip(),
            port=int(config.get("MAIL_PORT") or 587),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_starttls=bool(config.get("MAIL_USE_STARTTLS")),
            username=str(config.get("MAIL_USERNAME") or ""),
            password=str(config.get("MAIL_PASSWORD") or ""),
            sender=str(config.get("MAIL_FROM") or "").strip(),
            timeout=float(config.get("MAIL_TIMEOUT") or 30),
        )
        settings.check()
        return settings

    def check(self) -> None:
        if not self.server:
            return
        if not sender_address(self.sender):
            raise MailConfigError("MAIL_FROM must be an e-mail address when MAIL_SERVER is set.")
        if self.use_tls and self.use_starttls:
            raise MailConfigError("Set MAIL_USE_TLS (implicit TLS) or MAIL_USE_STARTTLS, "
                                  "not both.")
        if self.username and not (self.use_tls or self.use_starttls or _loopback(self.server)):
            raise MailConfigError("Refusing to send MAIL_PASSWORD unencrypted: set "
                                  "MAIL_USE_STARTTLS or MAIL_USE_TLS.")


def sender_address(sender: str) -> str:
    """The bare address of a From value ("Name <a@b>" or "a@b"); empty if there is none."""
    _, address = parseaddr(sender)
    return address if "@" in address else ""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_header(value: str, limit: int = 255) -> str:
    """One line: control characters (line breaks too) become spaces, then the length is cut."""
    value = " ".join(CONTROL.sub(" ", value).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True)
class Mail:
    """What goes into one message; `build_message` turns it into MIME."""

    sender: str
    to_address: str
    to_name: str
    subject: str
    body: str
    message_id: str
    calendar: str | None = None
    calendar_method: str | None = None
    html: str | None = None  # the same message as HTML
    unsubscribe_url: str = ""  # the recipient's one-click unsubscribe URL


def build_message(mail: Mail) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["From"] = mail.sender
    message["To"] = _recipient(mail.to_name, mail.to_address)
    message["Subject"] = clean_header(mail.subject, 998)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    if mail.unsubscribe_url:
        if not URL.fullmatch(mail.unsubscribe_url):
            raise PermanentMailError(f"Not an unsubscribe URL: {mail.unsubscribe_url!r}")
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.body, cte="quoted-printable")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    if mail.calendar:
        method = (mail.calendar_method or "PUBLISH").upper()
        if not METHOD.fullmatch(method):
            raise PermanentMailError(f"Not an iTIP method: {method!r}")
        message.add_alternative(mail.calendar, subtype="calendar", charset="UTF-8",
                                cte="quoted-printable", params={"method": method})
        message.add_attachment(mail.calendar.encode("utf-8"), maintype="application",
                               subtype="ics", filename=ICS_NAMES.get(method, "event.ics"))
    return message


def _recipient(name: str, address: str) -> Address:
    try:
        return Address(display_name=clean_header(name, 200), addr_spec=address)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise PermanentMailError(f"Not an e-mail address: {address!r}") from exc


class Mailer(Protocol):
    delivery: str

    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class OutboxMailer:
    """No mail server: the message was built (so it is valid) and stays in the outbox."""

    delivery = "outbox"

    def send(self, message: EmailMessage) -> None:
        return None

    def close(self) -> None:
        return None


class SmtpMailer:
    """Sends over one SMTP connection, opened on the first message and kept for the batch.
    After any error the connection is dropped and the next message opens a new one."""

    delivery = "smtp"

    def __init__(self, settings: MailSettings, ssl_context: ssl.SSLContext | None = None):
        self.settings = settings
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        try:
            smtp = self._smtp or self._connect()
            smtp.send_message(message, from_addr=sender_address(self.settings.sender))
        except Exception:
            self._drop()
            raise

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.use_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.server, s.port, timeout=s.timeout,
                                                  context=self.ssl_context)
        else:
            smtp = smtplib.SMTP(s.server, s.port, timeout=s.timeout)
        try:
            if s.use_starttls:
                smtp.starttls(context=self.ssl_context)
            if s.username:
                smtp.login(s.username, s.password)
        except Exception:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self._drop()


def mailer_for(settings: MailSettings) -> Mailer:
    return SmtpMailer(settings) if settings.server else OutboxMailer()


def describe_error(exc: BaseException) -> str:
    """A short, readable reason for `last_error` (SMTP code and text when there is one)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{address}: {_reply(code, text)}" for address, (code, text)
                 in exc.recipients.items()]
        return "Recipient refused: " + "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {_reply(exc.smtp_code, exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"[:1000]


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()[:500]
