"""The production relay path: STARTTLS (certificate verified) then AUTH, against a real aiosmtpd server that
requires both. Mail is delivered only once the client has authenticated over TLS."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from activities.mailer import SmtpMailSender
from store.settings import Settings
from tests.support.services import free_port

USER = "scr-worker"
PASSWORD = "relay-secret"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key: the client trusts exactly this one."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scr test relay")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "relay.crt", folder / "relay.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@dataclass
class Relay:
    port: int
    cert_file: Path
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, over TLS) of every AUTH attempt
    delivered: list[tuple[bool, bool, list[str]]] = field(default_factory=list)  # (TLS, authenticated, rcpt)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.delivered.append((session.ssl is not None, bool(session.authenticated), list(envelope.rcpt_tos)))
        return "250 Message accepted"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode(), session.ssl is not None))
        valid = auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        return AuthResult(success=valid, handled=False)  # not handled: the server answers 535 itself


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[Relay]:
    """Like a board's relay on port 587: STARTTLS required before anything else, AUTH required, AUTH only over TLS."""
    cert_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    relay = Relay(port=free_port(), cert_file=cert_file)
    controller = Controller(
        relay,
        hostname="127.0.0.1",
        port=relay.port,
        tls_context=context,
        require_starttls=True,
        authenticator=relay.authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()


def notice() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "scr-notices@lscb.example"
    message["To"] = "enquiries@ofsted.example"
    message["Subject"] = "[NEL-2026-0001] Notification of a serious child safeguarding incident"
    message.set_content("Case record: https://scr.lscb.example/api/v1/cases/NEL-2026-0001\n")
    return message


def sender(relay: Relay, **overrides: object) -> SmtpMailSender:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": relay.port,
        "starttls": True,
        "username": USER,
        "password": PASSWORD,
        "cert_bundle": str(relay.cert_file),
        "timeout": 10.0,
    }
    return SmtpMailSender(**(values | overrides))  # type: ignore[arg-type]


async def test_mail_is_delivered_after_starttls_and_auth(relay: Relay) -> None:
    refused = await sender(relay).send(notice())

    assert refused == {}
    assert relay.logins == [(USER, True)]  # the password went over TLS only
    assert relay.delivered == [(True, True, ["enquiries@ofsted.example"])]


async def test_a_wrong_password_delivers_nothing(relay: Relay) -> None:
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await sender(relay, password="wrong").send(notice())

    assert set(relay.logins) == {(USER, True)}  # each mechanism tried (PLAIN, LOGIN), over TLS
    assert relay.delivered == []


async def test_without_starttls_no_credentials_are_sent_and_nothing_is_delivered(relay: Relay) -> None:
    with pytest.raises(aiosmtplib.SMTPException):
        await sender(relay, starttls=False).send(notice())

    assert relay.logins == []
    assert relay.delivered == []


async def test_without_credentials_nothing_is_delivered_and_it_is_retried(relay: Relay) -> None:
    """530 "authentication required" is the deployment's fault, not the message's: retry until it is fixed."""
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as raised:
        await sender(relay, username=None, password=None).send(notice())

    assert raised.value.code == 530
    assert relay.delivered == []


async def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(relay: Relay) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        await sender(relay, cert_bundle=None).send(notice())  # the system's CAs do not know the test relay

    assert relay.logins == []
    assert relay.delivered == []


def test_settings_refuse_smtp_credentials_without_starttls() -> None:
    with pytest.raises(ValidationError, match="credentials only go over TLS"):
        Settings(smtp_username="scr", smtp_password="secret", smtp_starttls=False)
    smtp = Settings(smtp_username="scr", smtp_password="secret", smtp_starttls=True).smtp
    assert (smtp.username, smtp.password, smtp.starttls) == ("scr", "secret", True)
    assert "secret" not in repr(smtp)
