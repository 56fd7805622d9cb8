"""NoticeActivities.send_notice against real SQLite and PostgreSQL registers and a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.mailer import SmtpMailSender
from activities.notice_activities import NoticeActivities
from domain.case_messages import NoticeKind, NoticeResult, SendNoticeInput
from domain.roles import Recipient, Role
from store import register
from store.database import session_factory
from store.models import AuditEvent, Notice
from store.notice_directory import NoticeDirectory, parse_notice_directory
from tests.support.case_harness import register_case as open_case
from tests.support.services import MailBox, RecordingHandler, free_port, recording_server

SENDER = "scr-notices@lscb.example"
OFSTED = "enquiries@ofsted.example"
PANEL = "national-panel@dfe.example"
BUSINESS_MANAGER = "business-manager@nel-lscb.example"
# More partners than fit in 254 characters together: the register keeps every address of the entry.
PARTNERS = [
    "safeguarding@police.example",
    "safeguarding@health.example",
    "safeguarding@education.example",
    *(f"safeguarding@agency-{n:02d}.partners.example" for n in range(1, 10)),
]
SEL_OFSTED = "south-east@ofsted.example"
DIRECTORY = parse_notice_directory(
    f"""
    [NEL]  # the board of every case register_case opens
    ofsted = "{OFSTED}"
    dfe = "scr@dfe.example"
    national_panel = "{PANEL}"
    independent_chair = "chair@nel-lscb.example"
    sub_group = "sub-group@nel-lscb.example"
    business_manager = "{BUSINESS_MANAGER}"
    partners = {PARTNERS!r}

    [SEL]
    ofsted = "{SEL_OFSTED}"
    dfe = "scr@dfe.example"
    national_panel = "{PANEL}"
    independent_chair = "chair@sel-lscb.example"
    sub_group = "sub-group@sel-lscb.example"
    business_manager = "business-manager@sel-lscb.example"
    partners = "partners@sel-lscb.example"
    """,
    "test-directory.toml",
    frozenset({"NEL", "SEL"}),
)
CASE_URL_BASE = "https://scr.lscb.example/api/v1/cases/"  # the trailing slash must not double up

FACTS = {"aware_on": "2016-03-24", "grounds": "child seriously harmed; abuse or neglect suspected"}


def notices(
    engine: AsyncEngine, port: int, *, timeout: float = 10.0, directory: NoticeDirectory = DIRECTORY
) -> NoticeActivities:
    return NoticeActivities(
        session_factory(engine),
        SmtpMailSender(host="127.0.0.1", port=port, timeout=timeout),
        directory=directory,
        sender=SENDER,
        case_url_base=CASE_URL_BASE,
    )


def incident_notice(reference: str, *, recipient: str = Recipient.OFSTED, occurrence: str = "1") -> SendNoticeInput:
    return SendNoticeInput(
        reference=reference,
        kind=NoticeKind.INCIDENT_NOTIFICATION,
        occurrence=occurrence,
        recipient=recipient,
        facts=FACTS,
    )


async def notice_rows(engine: AsyncEngine) -> list[Notice]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(Notice).order_by(Notice.id)))


async def timeline(engine: AsyncEngine, reference: str) -> list[AuditEvent]:
    async with session_factory(engine)() as session:
        return await register.case_timeline(session, reference=reference)


def received(mail: MailBox) -> list[EmailMessage]:
    """The messages the server received, parsed as a mail client would (folded headers unfolded)."""
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(mail.folder.glob("*.eml"))
    ]


def body_of(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body((subtype,))
    assert isinstance(part, EmailMessage), f"no text/{subtype} part"
    content = part.get_content()
    assert isinstance(content, str)
    return content


def assert_retryable(error: BaseException) -> None:
    """Temporal retries every failure except a non-retryable ApplicationError."""
    assert not (isinstance(error, ApplicationError) and error.non_retryable), error


# --- sending exactly once ---------------------------------------------------------------------------


async def test_the_same_notice_asked_for_twice_is_emailed_once(engine: AsyncEngine, mail: MailBox) -> None:
    reference = await open_case(engine)
    activities = notices(engine, mail.port)

    first = await activities.send_notice(incident_notice(reference))
    second = await activities.send_notice(incident_notice(reference))

    assert len(mail.messages()) == 1
    assert first.newly_sent is True
    assert second.newly_sent is False
    assert second.message_id == first.message_id
    assert second.business_key == first.business_key
    [row] = await notice_rows(engine)
    assert row.status == "sent"
    assert row.attempts == 2


async def test_a_new_occurrence_or_recipient_is_a_new_email(engine: AsyncEngine, mail: MailBox) -> None:
    reference = await open_case(engine)
    activities = notices(engine, mail.port)

    first = await activities.send_notice(incident_notice(reference, occurrence="1"))
    again = await activities.send_notice(incident_notice(reference, occurrence="2"))
    panel = await activities.send_notice(incident_notice(reference, recipient=Recipient.NATIONAL_PANEL))

    assert [first.newly_sent, again.newly_sent, panel.newly_sent] == [True, True, True]
    assert len({first.message_id, again.message_id, panel.message_id}) == 3
    messages = await mail.wait_for(3)
    assert len(messages) == 3
    assert sorted(m["To"] for m in messages) == sorted([OFSTED, OFSTED, PANEL])
    assert sorted(m["Message-ID"] for m in messages) == sorted([first.message_id, again.message_id, panel.message_id])


async def test_runs_as_a_temporal_activity(engine: AsyncEngine, mail: MailBox) -> None:
    reference = await open_case(engine)
    activities = notices(engine, mail.port)

    result = await ActivityEnvironment().run(activities.send_notice, incident_notice(reference))

    assert isinstance(result, NoticeResult)
    assert result.newly_sent is True
    [message] = received(mail)
    assert message["Message-ID"] == result.message_id


# --- what the email says ----------------------------------------------------------------------------


async def test_the_email_names_the_case_by_reference_and_links_to_it(engine: AsyncEngine, mail: MailBox) -> None:
    reference = await open_case(engine)

    result = await notices(engine, mail.port).send_notice(incident_notice(reference))

    [message] = received(mail)
    assert message["From"] == SENDER
    assert message["To"] == OFSTED
    assert reference in message["Subject"]
    assert message["X-SCR-Reference"] == reference
    assert message["Message-ID"] == result.message_id
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message["Message-ID"])
    assert message["Date"]
    body = body_of(message)
    assert f"Case record: https://scr.lscb.example/api/v1/cases/{reference}" in body.splitlines()
    assert "cases//" not in body
    assert f"case {reference}" in body
    assert "2016-03-24" in body
    assert FACTS["grounds"] in body


async def test_the_message_id_is_the_same_on_every_attempt(engine: AsyncEngine, mail: MailBox) -> None:
    """A copy sent twice (crash between send and commit) must carry the same Message-ID so mail systems drop it."""
    reference = await open_case(engine)
    down = notices(engine, free_port(), timeout=5)
    with pytest.raises(ConnectionError):
        await down.send_notice(incident_notice(reference))
    [attempted] = await notice_rows(engine)

    result = await notices(engine, mail.port).send_notice(incident_notice(reference))

    [message] = received(mail)
    assert message["Message-ID"] == attempted.message_id == result.message_id


async def test_the_email_carries_only_what_the_template_puts_there(engine: AsyncEngine, mail: MailBox) -> None:
    """Facts the template does not use never reach the email, however they got into the input."""
    reference = await open_case(engine)
    personal = {"child_name": "Jayden Marsh-Okafor", "home_address": "14 Wisteria Close", "dob": "2011-02-17"}
    data = SendNoticeInput(
        reference=reference,
        kind=NoticeKind.INCIDENT_NOTIFICATION,
        occurrence="1",
        recipient=Recipient.OFSTED,
        facts={**FACTS, **personal},
    )

    await notices(engine, mail.port).send_notice(data)

    [message] = received(mail)
    raw = message.as_string()
    for value in personal.values():
        assert value not in raw
    for key in personal:
        assert key not in raw
    body_lines = [line for line in body_of(message).splitlines() if line]
    assert body_lines == [
        f"The Local Safeguarding Children Board has recorded a notifiable incident as case {reference}.",
        "The local authority became aware of it on 2016-03-24.",
        f"Grounds: {FACTS['grounds']}",
        "This notice goes to Ofsted and the relevant LSCB(s) on the local authority's behalf (001 §1).",
        f"Case record: https://scr.lscb.example/api/v1/cases/{reference}",
        "This message contains no personal details by design.",
    ]
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]


@pytest.mark.parametrize(
    ("kind", "facts", "subject_part", "body_part"),
    [
        (
            NoticeKind.CHAIR_DECISION,
            {"decision_text": "initiate a serious case review", "decided_on": "2016-04-20"},
            "Independent chair's decision: initiate a serious case review",
            "Decided on 2016-04-20.",
        ),
        (
            NoticeKind.DEADLINE_REMINDER,
            {"title": "Notify Ofsted", "due": "2016-04-04", "rule": "5 working days after", "source": "NEL (001) §1"},
            "Reminder: Notify Ofsted due 2016-04-04",
            "Rule:     5 working days after (NEL (001) §1)",
        ),
        (
            NoticeKind.DEADLINE_ESCALATION,
            {"title": "Notify Ofsted", "due": "2016-04-04", "rule": "5 working days after", "source": "NEL (001) §1"},
            "Deadline missed: Notify Ofsted was due 2016-04-04",
            "The breach is recorded on the case.",
        ),
    ],
)
async def test_every_kind_of_notice_is_sent_with_its_own_subject(
    engine: AsyncEngine, mail: MailBox, kind: NoticeKind, facts: dict[str, str], subject_part: str, body_part: str
) -> None:
    reference = await open_case(engine)
    data = SendNoticeInput(reference=reference, kind=kind, occurrence="1", recipient=Recipient.OFSTED, facts=facts)

    await notices(engine, mail.port).send_notice(data)

    [message] = received(mail)
    # Long subjects are folded right after "Subject:" by the stdlib; clients drop the leading blank.
    assert message["Subject"].strip() == f"[{reference}] {subject_part}"
    body = body_of(message)
    assert body_part in body
    assert f"Case record: https://scr.lscb.example/api/v1/cases/{reference}" in body


# --- what the register shows ------------------------------------------------------------------------


async def test_the_notice_and_its_audit_row_are_in_the_register(engine: AsyncEngine, mail: MailBox) -> None:
    reference = await open_case(engine)

    result = await notices(engine, mail.port).send_notice(incident_notice(reference))

    [row] = await notice_rows(engine)
    assert row.business_key == result.business_key
    assert row.case_reference == reference
    assert row.kind == "incident_notification"
    assert row.recipient == "ofsted"
    assert row.address == OFSTED
    assert row.status == "sent"
    assert row.sent_at is not None
    assert row.sent_at.tzinfo is not None
    assert row.message_id == result.message_id
    assert reference in row.subject
    [event] = await timeline(engine, reference)
    assert event.kind == "notice_sent"
    assert event.actor == "system"
    assert event.details["message_id"] == result.message_id
    assert event.details["recipient"] == "ofsted"
    assert event.details["notice"] == result.business_key


async def test_a_repeated_request_adds_no_second_audit_row(engine: AsyncEngine, mail: MailBox) -> None:
    reference = await open_case(engine)
    activities = notices(engine, mail.port)

    await activities.send_notice(incident_notice(reference))
    await activities.send_notice(incident_notice(reference))

    assert [event.kind for event in await timeline(engine, reference)] == ["notice_sent"]


# --- failures ---------------------------------------------------------------------------------------


async def test_smtp_server_down_is_retried_and_nothing_is_lost(engine: AsyncEngine, mail: MailBox) -> None:
    reference = await open_case(engine)
    down = notices(engine, free_port(), timeout=5)

    with pytest.raises(ConnectionError) as raised:
        await down.send_notice(incident_notice(reference))

    assert_retryable(raised.value)
    [row] = await notice_rows(engine)
    assert row.status != "sent"
    assert row.sent_at is None
    assert await timeline(engine, reference) == []
    assert mail.messages() == []

    # The retry, once the relay is back, delivers the notice, once.
    result = await notices(engine, mail.port).send_notice(incident_notice(reference))

    assert result.newly_sent is True
    [message] = received(mail)
    assert message["To"] == OFSTED
    [row] = await notice_rows(engine)
    assert row.status == "sent"
    assert row.attempts == 2
    assert [event.kind for event in await timeline(engine, reference)] == ["notice_sent"]


class RefusingHandler:
    """An SMTP server that refuses every recipient with ``reply`` and records whether DATA ever came."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.data_received = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        return self.reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.data_received += 1
        return "250 OK"


class RefusingServer:
    def __init__(self, handler: RefusingHandler, port: int) -> None:
        self.handler = handler
        self.port = port


def refusing_server(reply: str) -> Iterator[RefusingServer]:
    handler = RefusingHandler(reply)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield RefusingServer(handler, port)
    finally:
        controller.stop()


@pytest.fixture
def rejecting_smtp() -> Iterator[RefusingServer]:
    yield from refusing_server("550 5.1.1 <enquiries@ofsted.example>: Recipient address rejected")


@pytest.fixture
def deferring_smtp() -> Iterator[RefusingServer]:
    yield from refusing_server("451 4.3.0 Mailbox temporarily unavailable, try again later")


async def test_a_permanently_refused_address_fails_without_retry(
    engine: AsyncEngine, rejecting_smtp: RefusingServer
) -> None:
    reference = await open_case(engine)

    with pytest.raises(ApplicationError) as raised:
        await notices(engine, rejecting_smtp.port).send_notice(incident_notice(reference))

    assert raised.value.type == "AddressRejected"
    assert raised.value.non_retryable is True
    assert rejecting_smtp.handler.data_received == 0
    [row] = await notice_rows(engine)
    assert row.status == "rejected"
    assert row.sent_at is None
    [event] = await timeline(engine, reference)
    assert event.kind == "notice_rejected"
    assert event.details["recipient"] == "ofsted"


async def test_a_refused_notice_asked_for_again_is_refused_again_without_retry(
    engine: AsyncEngine, rejecting_smtp: RefusingServer
) -> None:
    """E.g. after continue-as-new: the second refusal must not turn into a retry-forever database error."""
    reference = await open_case(engine)
    activities = notices(engine, rejecting_smtp.port)
    with pytest.raises(ApplicationError):
        await activities.send_notice(incident_notice(reference))

    with pytest.raises(ApplicationError) as raised:
        await activities.send_notice(incident_notice(reference))

    assert raised.value.type == "AddressRejected"
    assert raised.value.non_retryable is True
    [row] = await notice_rows(engine)
    assert row.status == "rejected"
    assert [event.kind for event in await timeline(engine, reference)] == ["notice_rejected"]


async def test_a_temporarily_refused_address_is_retried(engine: AsyncEngine, deferring_smtp: RefusingServer) -> None:
    reference = await open_case(engine)

    with pytest.raises(Exception) as raised:  # noqa: PT011 - any exception but a non-retryable one
        await notices(engine, deferring_smtp.port).send_notice(incident_notice(reference))

    assert_retryable(raised.value)
    [row] = await notice_rows(engine)
    assert row.status not in ("sent", "rejected")
    assert await timeline(engine, reference) == []


async def test_a_recipient_without_an_address_fails_without_retry(engine: AsyncEngine, mail: MailBox) -> None:
    reference = await open_case(engine)
    data = incident_notice(reference, recipient=Recipient.FAMILY)

    with pytest.raises(ApplicationError) as raised:
        await notices(engine, mail.port).send_notice(data)

    assert raised.value.type == "UnknownRecipient"
    assert raised.value.non_retryable is True
    assert "family" in str(raised.value)
    assert mail.messages() == []
    assert await notice_rows(engine) == []
    assert await timeline(engine, reference) == []


class DataRefusingHandler:
    """Accepts the recipient, then refuses the message itself for good (e.g. a content filter)."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "554 5.7.1 Message rejected by policy"


async def test_a_message_refused_for_good_at_data_is_not_retried_forever(engine: AsyncEngine) -> None:
    reference = await open_case(engine)
    port = free_port()
    controller = Controller(DataRefusingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(ApplicationError) as raised:
            await notices(engine, port).send_notice(incident_notice(reference))
    finally:
        controller.stop()
    assert raised.value.type == "AddressRejected"
    assert raised.value.non_retryable is True
    [row] = await notice_rows(engine)
    assert row.status == "rejected"


# --- the notice directory and the templates -----------------------------------------------------------


LEARNING_FACTS = {"year": "2026", "board": "NEL", "link": "https://nel-lscb.example/learning/2026-summary"}


def learning_summary(reference: str = "NEL-2026-LS") -> SendNoticeInput:
    return SendNoticeInput(
        reference=reference,
        kind=NoticeKind.LEARNING_SUMMARY,
        occurrence="2026",
        recipient=Recipient.PARTNERS,
        facts=LEARNING_FACTS,
    )


async def test_the_email_is_plain_text_with_an_html_alternative(engine: AsyncEngine, mail: MailBox) -> None:
    reference = await open_case(engine)
    facts = {"aware_on": "2016-03-24", "grounds": "abuse & neglect <suspected>"}
    data = SendNoticeInput(
        reference=reference, kind=NoticeKind.INCIDENT_NOTIFICATION, occurrence="1", recipient="ofsted", facts=facts
    )

    await notices(engine, mail.port).send_notice(data)

    [message] = received(mail)
    assert message.get_content_type() == "multipart/alternative"
    plain, html = body_of(message, "plain"), body_of(message, "html")
    case_url = f"https://scr.lscb.example/api/v1/cases/{reference}"
    assert "Grounds: abuse & neglect <suspected>" in plain
    assert "Grounds: abuse &amp; neglect &lt;suspected&gt;" in html
    assert "<suspected>" not in html
    assert f'<a href="{case_url}">{case_url}</a>' in html
    for text in (plain, html):
        assert reference in text
        assert "This message contains no personal details by design." in text


async def test_an_entry_with_several_addresses_gets_one_message_to_all_of_them(engine: AsyncEngine) -> None:
    handler = RecordingHandler()
    with recording_server(handler) as port:
        activities = notices(engine, port)
        first = await activities.send_notice(learning_summary())
        again = await activities.send_notice(learning_summary())

    assert (first.newly_sent, again.newly_sent) == (True, False)
    [(envelope_recipients, message)] = handler.delivered
    assert envelope_recipients == PARTNERS
    assert [address.addr_spec for address in message["To"].addresses] == PARTNERS
    assert message["Subject"] == "[NEL-2026-LS] NEL learning summary 2026: findings and recommendations"
    plain = body_of(message)
    assert f"Learning summary NEL-2026-LS: {LEARNING_FACTS['link']}" in plain.splitlines()
    assert "Case record" not in plain  # a summary is not a case: its link is the report's
    assert f'href="{LEARNING_FACTS["link"]}"' in body_of(message, "html")
    [row] = await notice_rows(engine)
    assert row.business_key == first.business_key == "NEL-2026-LS:learning_summary:partners:2026"
    assert row.recipient == "partners"
    assert row.address == ", ".join(PARTNERS)
    assert [event.kind for event in await timeline(engine, "NEL-2026-LS")] == ["notice_sent"]


async def test_each_board_sends_to_its_own_addresses(engine: AsyncEngine, mail: MailBox) -> None:
    nel = await open_case(engine)
    sel = "SEL-2016-0001"  # the board is the reference's prefix

    await notices(engine, mail.port).send_notice(incident_notice(nel))
    await notices(engine, mail.port).send_notice(incident_notice(sel))

    assert {m["X-SCR-Reference"]: m["To"] for m in received(mail)} == {nel: OFSTED, sel: SEL_OFSTED}
    assert {row.case_reference: row.address for row in await notice_rows(engine)} == {nel: OFSTED, sel: SEL_OFSTED}
    assert [event.kind for event in await timeline(engine, sel)] == ["notice_sent"]


async def test_a_role_without_an_entry_is_told_through_the_business_manager(engine: AsyncEngine, mail: MailBox) -> None:
    reference = await open_case(engine)
    data = SendNoticeInput(
        reference=reference,
        kind=NoticeKind.CASE_DECISION,
        occurrence="quality_assurance:1",
        recipient=Role.LEAD_REVIEWER,
        facts={"decision_text": "the final report went back to the reviewer: plain_english", "stage": "in_review"},
    )

    await notices(engine, mail.port).send_notice(data)

    [message] = received(mail)
    assert message["To"] == BUSINESS_MANAGER
    [row] = await notice_rows(engine)
    assert (row.recipient, row.address) == ("lead_reviewer", BUSINESS_MANAGER)


async def test_a_board_not_in_the_directory_fails_without_retry(engine: AsyncEngine, mail: MailBox) -> None:
    with pytest.raises(ApplicationError) as raised:
        await notices(engine, mail.port).send_notice(incident_notice("XYZ-2016-0001"))

    assert raised.value.type == "UnknownBoard"
    assert raised.value.non_retryable is True
    assert "XYZ" in str(raised.value)
    assert mail.messages() == []
    assert await notice_rows(engine) == []


async def test_a_notice_missing_a_fact_fails_without_retry(engine: AsyncEngine, mail: MailBox) -> None:
    reference = await open_case(engine)
    data = SendNoticeInput(
        reference=reference,
        kind=NoticeKind.CHAIR_DECISION,
        occurrence="1",
        recipient=Recipient.OFSTED,
        facts={"decision_text": "initiate a serious case review"},  # no decided_on
    )

    with pytest.raises(ApplicationError) as raised:
        await notices(engine, mail.port).send_notice(data)

    assert raised.value.type == "NoticeTemplateError"
    assert raised.value.non_retryable is True
    assert "decided_on" in str(raised.value)
    assert mail.messages() == []
    assert await notice_rows(engine) == []


async def test_an_address_refused_among_several_is_on_the_timeline(engine: AsyncEngine) -> None:
    handler = RecordingHandler(refuse=frozenset({PARTNERS[1]}))
    with recording_server(handler) as port:
        result = await notices(engine, port).send_notice(learning_summary())

    assert result.newly_sent is True
    [(envelope_recipients, _)] = handler.delivered
    assert envelope_recipients == [address for address in PARTNERS if address != PARTNERS[1]]
    [row] = await notice_rows(engine)
    assert row.status == "sent"
    [event] = await timeline(engine, "NEL-2026-LS")
    assert event.kind == "notice_sent"
    assert list(event.details["refused"]) == [PARTNERS[1]]
    assert event.details["refused"][PARTNERS[1]].startswith("550")
    assert PARTNERS[1] in event.summary


async def test_a_deadline_notice_cites_the_procedure_of_the_cases_board(engine: AsyncEngine, mail: MailBox) -> None:
    """Issue 19: a SEL case's reminder cites SEL's procedure, even for a deadline set with NEL's citation (the
    monthly retention review, set by the workflow itself, or one computed before SEL's procedure was configured)."""
    sel_case, nel_case = await open_case(engine, board="SEL"), await open_case(engine)
    activities = NoticeActivities(
        session_factory(engine),
        SmtpMailSender(host="127.0.0.1", port=mail.port),
        directory=DIRECTORY,
        sender=SENDER,
        case_url_base=CASE_URL_BASE,
        procedure_of=lambda board: None if board == "NEL" else f"{board} SCR procedure",
    )
    facts = {"title": "Monthly review", "due": "2016-04-04", "rule": "monthly", "source": "NEL SCR procedure (001) §11"}
    for reference in (sel_case, nel_case):
        await activities.send_notice(
            SendNoticeInput(
                reference=reference,
                kind=NoticeKind.DEADLINE_REMINDER,
                occurrence="1",
                recipient=Role.SUB_GROUP,
                facts=facts,
            )
        )

    bodies = {message["Subject"].split("]")[0].strip(" ["): body_of(message) for message in received(mail)}
    assert "Rule:     monthly (SEL SCR procedure)" in bodies[sel_case]
    assert "NEL" not in bodies[sel_case].replace(sel_case, "")
    assert "Rule:     monthly (NEL SCR procedure (001) §11)" in bodies[nel_case]
