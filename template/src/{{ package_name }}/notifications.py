"""Outgoing email behind an injectable dependency: tests and deployments swap the sender.

The SMTP sender uses the standard library's `smtplib` rather than an async client such as
aiosmtplib: `send` is called from a background task, which Starlette already runs in a thread
pool, so a blocking client costs no event-loop time, adds no dependency, and is the same code in
the sync and async renders.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Annotated, Protocol
from urllib.parse import unquote, urlsplit

from fastapi import Depends

from .dependencies import SettingsDep

logger = logging.getLogger(__name__)

# Each scheme's usual port: a relay in plain text, submission with STARTTLS, implicit TLS.
SMTP_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
SMTP_TIMEOUT_SECONDS = 10
# Says what is wrong without repeating the URL, which may hold a password.
SMTP_URL_REFUSED = "not an SMTP URL: use smtp://, smtp+starttls:// or smtps:// and a host name"


@dataclass(frozen=True)
class Email:
    """One message to one recipient."""

    to: str
    subject: str
    body: str


class EmailSender(Protocol):
    """Anything that can deliver an `Email`. Called from a background task, after the response."""

    def send(self, email: Email) -> None: ...


class LoggingEmailSender:
    """The development default (no SMTP_URL): logs instead of sending."""

    def send(self, email: Email) -> None:
        """Log the message."""
        logger.info("email to=%s subject=%r", email.to, email.subject)


class SmtpEmailSender:
    """Delivers through the SMTP server of `url`, one connection per message.

    `smtp://` talks plain text (a relay on a trusted network), `smtp+starttls://` upgrades the
    connection to TLS before anything else, `smtps://` is TLS from the first byte. A user and
    password in the URL (percent-encoded) are used to log in, only ever after TLS where TLS is
    asked for. Certificates are checked against `tls_context` (the system's trust store by default).
    """

    def __init__(self, url: str, *, sender: str, tls_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in SMTP_PORTS or not parts.hostname:
            raise ValueError(SMTP_URL_REFUSED)
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or SMTP_PORTS[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password or "")
        self.sender = sender
        self.tls_context = tls_context or ssl.create_default_context()

    def send(self, email: Email) -> None:
        """Send the message; any SMTP or network error propagates (and is logged by Starlette)."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message.set_content(email.body)
        with self._connect() as client:
            if self.scheme == "smtp+starttls":
                client.starttls(context=self.tls_context)
            if self.username is not None:
                client.login(self.username, self.password)
            client.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        if self.scheme == "smtps":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=self.tls_context
            )
        return smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)


def get_email_sender(settings: SettingsDep) -> EmailSender:
    """The dependency routes use: SMTP when SMTP_URL is set, else the log-only sender.

    Tests override it with `app.dependency_overrides`.
    """
    if settings.smtp_url is None:
        return LoggingEmailSender()
    return SmtpEmailSender(settings.smtp_url.get_secret_value(), sender=settings.email_from)


EmailSenderDep = Annotated[EmailSender, Depends(get_email_sender)]


def welcome_email(*, to: str, full_name: str) -> Email:
    """The message a new user gets."""
    return Email(to=to, subject="Welcome!", body=f"Hello {full_name}, your account is ready.")
