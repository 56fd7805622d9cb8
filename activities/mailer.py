"""Sending email over SMTP (aiosmtplib): the embedded sink by default, the board's relay in production."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Protocol

import aiosmtplib

# RFC 5322 allows 998 characters: our headers (references, business keys) stay on one line.
WIRE_POLICY = policy.SMTP.clone(max_line_length=998)


class PermanentRecipientError(Exception):
    """The server refused the message for good (5xx on the recipient, sender or data): retrying will not help."""


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpMailSender:
    host: str
    port: int
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message.as_bytes(policy=WIRE_POLICY),
                sender=parseaddr(str(message["From"]))[1],
                recipients=[address for _, address in getaddresses(message.get_all("To", []))],
                hostname=self.host,
                port=self.port,
                start_tls=self.starttls,
                username=self.username,
                password=self.password,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            if all(500 <= refusal.code < 600 for refusal in error.recipients):
                raise PermanentRecipientError(str(error)) from error
            raise
        except (aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPDataError) as error:
            # A 5xx on MAIL FROM or DATA is the server's final word on this message: retrying cannot help.
            if 500 <= error.code < 600:
                raise PermanentRecipientError(str(error)) from error
            raise
