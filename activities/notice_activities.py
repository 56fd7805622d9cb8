"""Sends the process's notices by email, at most once per business key.

The key (case reference, notice kind, recipient, occurrence) sits under a unique constraint: a retried activity,
or a workflow that continued-as-new and asks again, finds the notice already sent and sends nothing. The
recipient's addresses come from the board's notice directory (the board is the reference's prefix); an entry
with several addresses gets one message, to all of them, under one key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.mailer import MailSender, PermanentRecipientError
from activities.notice_attachments import AttachmentError, load_attachments
from activities.notice_templates import NoticeTemplateError, NoticeTemplates, RenderedNotice
from domain.activity_contracts import SEND_NOTICE
from domain.case_messages import NoticeResult, SendNoticeInput
from domain.rule_pack import cite_for_board
from store import register
from store.document_store import DocumentStore
from store.models import Notice
from store.notice_directory import NoticeDirectory, UnknownBoardError, UnknownRecipientError, board_of
from store.publishable_copy import PublishableCopy


def notice_business_key(data: SendNoticeInput) -> str:
    return f"{data.reference}:{data.kind.value}:{data.recipient}:{data.occurrence}"


class NoticeActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        mailer: MailSender,
        *,
        directory: NoticeDirectory,
        sender: str,
        case_url_base: str,
        templates: NoticeTemplates | None = None,
        procedure_of: Callable[[str], str | None] = lambda _board: None,
        documents: DocumentStore | None = None,
    ) -> None:
        self._sessions = sessions
        self._documents = documents  # the attachments' bytes (pre-publication copies)
        self._mailer = mailer
        self._directory = directory
        self._sender = sender
        self._case_url_base = case_url_base.rstrip("/")
        self._templates = templates or NoticeTemplates()
        self._procedure_of = procedure_of

    def _cited(self, reference: str, facts: Mapping[str, str]) -> Mapping[str, str]:
        """A deadline notice's source as the case's board cites it (its own procedure, not NEL's)."""
        if "source" not in facts:
            return facts
        return {**facts, "source": cite_for_board(facts["source"], self._procedure_of(board_of(reference)))}

    @activity.defn(name=SEND_NOTICE.name)
    async def send_notice(self, data: SendNoticeInput) -> NoticeResult:
        # Configuration and template errors will not mend on retry: fail at once, and the case records that
        # the notice must be sent by hand.
        try:
            addresses = self._directory.addresses(data.reference, data.recipient)
        except UnknownBoardError as error:
            raise ApplicationError(str(error), type="UnknownBoard", non_retryable=True) from error
        except UnknownRecipientError as error:
            raise ApplicationError(str(error), type="UnknownRecipient", non_retryable=True) from error
        try:
            rendered = self._templates.render(
                data.kind,
                reference=data.reference,
                case_url=f"{self._case_url_base}/{data.reference}",
                facts=self._cited(data.reference, data.facts),
            )
        except NoticeTemplateError as error:
            raise ApplicationError(str(error), type="NoticeTemplateError", non_retryable=True) from error

        try:
            attached = await load_attachments(self._sessions, self._documents, data)
        except AttachmentError as error:
            raise ApplicationError(str(error), type="AttachmentUnavailable", non_retryable=True) from error

        key = notice_business_key(data)
        notice = await self._claim(data, key, ", ".join(addresses))
        if notice.status == "sent":
            return NoticeResult(business_key=key, message_id=notice.message_id, newly_sent=False)
        message = self._message(data, key, addresses, notice.message_id, rendered, attached)
        try:
            refused = await self._mailer.send(message)
        except PermanentRecipientError as error:
            await self._finish(key, status="rejected", summary=f"{data.kind.value} to {data.recipient} refused")
            raise ApplicationError(str(error), type="AddressRejected", non_retryable=True) from error
        summary = f"{rendered.subject} — sent to {data.recipient}"
        if refused:
            # The others have it, so it counts as sent; the timeline says who did not get it.
            summary += f" (refused for {', '.join(sorted(refused))})"
        await self._finish(key, status="sent", summary=summary, refused=refused, attached=attached)
        return NoticeResult(business_key=key, message_id=notice.message_id, newly_sent=True)

    def _message(
        self,
        data: SendNoticeInput,
        key: str,
        addresses: tuple[str, ...],
        message_id: str,
        rendered: RenderedNotice,
        attached: list[PublishableCopy],
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = ", ".join(addresses)
        message["Subject"] = rendered.subject
        message["Message-ID"] = message_id
        message["Date"] = format_datetime(datetime.now(UTC))
        message["X-SCR-Reference"] = data.reference
        message["X-SCR-Notice"] = key
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        for copy in attached:  # the documents themselves, never in the body
            maintype, _, subtype = copy.content_type.partition("/")
            message.add_attachment(copy.data, maintype=maintype, subtype=subtype, filename=copy.filename)
        return message

    async def _claim(self, data: SendNoticeInput, key: str, address: str) -> Notice:
        """The notice row for this key, created on first sight."""
        async with self._sessions.begin() as session:
            existing = await session.scalar(select(Notice).where(Notice.business_key == key))
            if existing is not None:
                existing.attempts += 1
                if existing.status != "sent":
                    existing.address = address  # the directory may have changed since the last attempt
                return existing
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        try:
            async with self._sessions.begin() as session:
                notice = Notice(
                    business_key=key,
                    case_reference=data.reference,
                    kind=data.kind.value,
                    recipient=data.recipient,
                    address=address,
                    subject="",
                    # A stable Message-ID lets mail systems drop the copy a crash between send and commit makes.
                    message_id=f"<{digest}@scr.notices>",
                    status="sending",
                    attempts=1,
                    created_at=datetime.now(UTC),
                )
                session.add(notice)
                return notice
        except IntegrityError:
            async with self._sessions.begin() as session:
                return (await session.execute(select(Notice).where(Notice.business_key == key))).scalar_one()

    async def _finish(
        self,
        key: str,
        *,
        status: str,
        summary: str,
        refused: Mapping[str, str] | None = None,
        attached: list[PublishableCopy] | None = None,
    ) -> None:
        async with self._sessions.begin() as session:
            notice = (await session.execute(select(Notice).where(Notice.business_key == key))).scalar_one()
            notice.status = status
            notice.subject = summary[:300]
            now = datetime.now(UTC)
            if status == "sent":
                notice.sent_at = now
            audit_key = f"notice:{key}:{status}"
            if await register.audit_exists(session, business_key=audit_key):
                # The same outcome again (a notice refused on an earlier call, refused again): the audit
                # trail already says so, and a second insert would fail the unique key and retry forever.
                return
            register.append_audit(
                session,
                business_key=audit_key,
                reference=notice.case_reference,
                kind=f"notice_{status}",
                actor="system",
                role="system",
                at=now,
                summary=summary,
                details={
                    "notice": key,
                    "recipient": notice.recipient,
                    "message_id": notice.message_id,
                    **({"refused": dict(refused)} if refused else {}),
                    **(
                        {
                            "attachments": [
                                {"kind": c.kind, "document_id": c.document_id, "sha256": c.sha256} for c in attached
                            ]
                        }
                        if attached
                        else {}
                    ),
                },
            )
