"""Sending email over SMTP (aiosmtplib): the embedded sink by default, the board's relay in production.

With ``starttls`` the connection is upgraded right after EHLO, the server's certificate verified (against the
system's CAs, ``SSL_CERT_FILE``, or ``cert_bundle``), and only then are the credentials (AUTH) and mail sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Protocol

import aiosmtplib

# RFC 5322 allows 998 characters: our headers (references, business keys) stay on one line.
WIRE_POLICY = policy.SMTP.clone(max_line_length=998)
_AUTHENTICATION_REQUIRED = 530


class PermanentRecipientError(Exception):
    """The server refused the message for good (5xx on the recipient, sender or data): retrying will not help."""


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> Mapping[str, str]:
        """Deliver to every address in To; returns the ones the server refused (address → reply) while it
        accepted others. Raises PermanentRecipientError when it refused the message for good."""
        ...


@dataclass(frozen=True)
class SmtpMailSender:
    host: str
    port: int
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    cert_bundle: str | None = None  # CA certificates to trust for STARTTLS instead of the system's

    async def send(self, message: EmailMessage) -> Mapping[str, str]:
        try:
            refused, _ = await aiosmtplib.send(
                message.as_bytes(policy=WIRE_POLICY),
                sender=parseaddr(str(message["From"]))[1],
                recipients=[address for _, address in getaddresses(message.get_all("To", []))],
                hostname=self.host,
                port=self.port,
                start_tls=self.starttls,
                username=self.username,
                password=self.password,
                timeout=self.timeout,
                cert_bundle=self.cert_bundle,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            if all(500 <= refusal.code < 600 for refusal in error.recipients):
                raise PermanentRecipientError(str(error)) from error
            raise
        except (aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPDataError) as error:
            # A 5xx on MAIL FROM or DATA is the server's final word on this message: retrying cannot help.
            # Except 530 (authentication required): the relay's settings are wrong, and retries deliver once
            # they are fixed.
            if 500 <= error.code < 600 and error.code != _AUTHENTICATION_REQUIRED:
                raise PermanentRecipientError(str(error)) from error
            raise
        return {address: f"{reply.code} {reply.message}" for address, reply in refused.items()}
