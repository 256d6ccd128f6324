"""Outgoing email behind an injectable dependency: tests and deployments swap the sender."""

import logging
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends

logger = logging.getLogger(__name__)


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
    """The default sender: logs instead of sending. Replace it with a real one in production."""

    def send(self, email: Email) -> None:
        """Log the message."""
        logger.info("email to=%s subject=%r", email.to, email.subject)


def get_email_sender() -> EmailSender:
    """The dependency routes use; override it with `app.dependency_overrides`."""
    return LoggingEmailSender()


EmailSenderDep = Annotated[EmailSender, Depends(get_email_sender)]


def welcome_email(*, to: str, full_name: str) -> Email:
    """The message a new user gets."""
    return Email(to=to, subject="Welcome!", body=f"Hello {full_name}, your account is ready.")
