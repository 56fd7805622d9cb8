"""The publisher: puts a review on the public site once the anonymisation gate is clear, and takes it down.

The site is a static folder (served by the API under /public): ``index.html`` lists the published reviews and,
marked "available on request", the removed ones; ``reviews/<reference>/`` holds a review's page and its
documents. Pages come from Jinja2 templates with autoescaping; text documents are rendered into HTML pages
(escaped), PDF and Word files are offered as files, always under their kind's name, never the uploaded one.

Both activities are idempotent: publishing again writes the same files (only the input's dates appear on the
pages), removing again changes nothing. Their inputs and results carry references, dates, document ids and
hit summaries only.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.public_learning_site import learning_root, write_index
from activities.site_files import PUBLIC_PREFIX, site_environment, site_lock, sync_folder, write_if_changed
from domain.activity_contracts import PUBLISH_REVIEW, REMOVE_REVIEW
from domain.documents import KIND_TITLES, PDF, DocumentKind, kinds_to_publish, published_file
from domain.publication_messages import (
    PublicationHitSummary,
    PublicationUnreadablePart,
    PublishReviewInput,
    PublishReviewResult,
    RemoveReviewInput,
)
from domain.uk_time import london_date
from store import documents as document_register
from store import register
from store.anonymisation_gate import DocumentHit, DocumentUnreadablePart, IdentifiersNotRecordedError, run_gate
from store.document_store import DocumentCorruptedError, DocumentNotFoundError, DocumentStore
from store.document_text import UnreadableDocumentError
from store.models import CaseDocument, Publication
from store.publishable_copy import PublishableCopy, publishable_copy

REQUEST_ENDPOINT = "/api/v1/public/requests"
SYSTEM_ACTOR = "system"
PUBLISHER_ROLE = "publisher"


def review_location(reference: str) -> str:
    return f"{PUBLIC_PREFIX}/reviews/{reference}/"


@dataclass(frozen=True)
class _SiteDocument:
    kind: DocumentKind
    title: str
    filename: str
    as_html: bool
    format: str
    size: str
    sha256: str  # of the publishable copy: what the pre-publication copies delivered


class PublicationActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], store: DocumentStore, site_dir: Path) -> None:
        self._sessions = sessions
        self._store = store
        self._site = Path(site_dir)
        self._templates = site_environment()

    @activity.defn(name=PUBLISH_REVIEW.name)
    async def publish_review(self, data: PublishReviewInput) -> PublishReviewResult:
        """Publish the case's latest overview report, executive summary and board response (only the board
        response when withheld; IMRs never) if the anonymisation gate finds nothing the chair has not accepted.
        Raises non-retryable ``MissingDocuments``, ``IdentifiersNotRecorded``, ``UnreadableDocument``,
        ``DocumentUnavailable`` or ``UnknownCase``."""
        reference = data.reference
        wanted = kinds_to_publish(withheld=data.withheld)
        async with self._sessions() as session:
            await _require_case(session, reference)
            latest = await document_register.latest_documents(session, reference=reference, kinds=wanted)
        missing = [kind for kind in wanted if kind.value not in latest]
        if missing:
            names = ", ".join(KIND_TITLES[kind].lower() for kind in missing)
            raise ApplicationError(
                f"Case {reference} cannot be published: no {names} has been uploaded.",
                {"missing": [kind.value for kind in missing]},
                type="MissingDocuments",
                non_retryable=True,
            )
        documents = [latest[kind.value] for kind in wanted]
        document_ids = [document.id for document in documents]
        if data.delivered is not None:
            # Exactly the versions the pre-publication copies delivered: a newer upload must be sent first.
            changed = await self._changed_since_copies(data, documents)
            if changed:
                return PublishReviewResult(published=False, document_ids=document_ids, changed=changed)
        try:
            outcome = await run_gate(self._sessions, self._store, reference=reference, documents=documents)
        except IdentifiersNotRecordedError as error:
            raise ApplicationError(str(error), type="IdentifiersNotRecorded", non_retryable=True) from None
        except UnreadableDocumentError as error:
            raise ApplicationError(
                f"A document of case {reference} cannot be read for the anonymisation check: {error}",
                type="UnreadableDocument",
                non_retryable=True,
            ) from None
        except (DocumentNotFoundError, DocumentCorruptedError) as error:
            raise ApplicationError(str(error), type="DocumentUnavailable", non_retryable=True) from None
        if not outcome.clear:
            activity.logger.info(
                "publication blocked by the anonymisation gate",
                extra={"reference": reference, "hits": len(outcome.hits), "unreadable": len(outcome.unreadable)},
            )
            return PublishReviewResult(
                published=False,
                hits=[hit_summary(hit) for hit in outcome.hits],
                location=None,
                document_ids=document_ids,
                unreadable=[unreadable_part(part) for part in outcome.unreadable],
            )

        # What is served is the copy the gate read, byte for byte: never the upload.
        copies = [outcome.copies[document.id] for document in documents]
        site_documents = await self._write_review(data, documents, copies)
        files = [
            {"document_id": d.id, "kind": d.kind, "file": s.filename, "sha256": c.sha256}
            for d, s, c in zip(documents, site_documents, copies, strict=True)
        ]
        fingerprint = hashlib.sha256(repr((data.publication_on, data.withheld, document_ids)).encode()).hexdigest()[:16]
        async with self._sessions.begin() as session:
            publication = await session.get(Publication, reference, with_for_update=True)
            if publication is None:
                publication = Publication(case_reference=reference)
                session.add(publication)
            publication.status = "published"
            publication.withheld = data.withheld
            publication.publication_on = data.publication_on
            publication.removed_on = None
            publication.documents = files
            publication.updated_at = datetime.now(UTC)
            key = f"publication:{reference}:published:{fingerprint}"
            if not await register.audit_exists(session, business_key=key):
                kinds = ", ".join(KIND_TITLES[DocumentKind(d.kind)].lower() for d in documents)
                register.append_audit(
                    session,
                    business_key=key,
                    reference=reference,
                    kind="review_published",
                    actor=SYSTEM_ACTOR,
                    role=PUBLISHER_ROLE,
                    summary=f"Published on the website ({kinds}) at {review_location(reference)}",
                    details={
                        "document_ids": document_ids,
                        "sha256": [copy.sha256 for copy in copies],
                        "withheld": data.withheld,
                        "publication_on": data.publication_on.isoformat(),
                        "accepted_hits": len(outcome.accepted),
                    },
                )
        await self._write_index()
        return PublishReviewResult(
            published=True,
            hits=[],
            location=review_location(reference),
            document_ids=document_ids,
            sha256=[copy.sha256 for copy in copies],
        )

    @activity.defn(name=REMOVE_REVIEW.name)
    async def remove_review(self, data: RemoveReviewInput) -> None:
        """Take the review's page and files off the site; the index lists it as "available on request"."""
        reference = data.reference
        async with self._sessions() as session:
            await _require_case(session, reference)
        await asyncio.to_thread(shutil.rmtree, self._review_dir(reference), ignore_errors=True)
        removed_on = data.removed_on or london_date(datetime.now(UTC))
        async with self._sessions.begin() as session:
            publication = await session.get(Publication, reference, with_for_update=True)
            if publication is None:  # published before the publisher existed (confirmed by hand)
                publication = Publication(case_reference=reference, withheld=False, documents=[])
                session.add(publication)
            if publication.status != "removed":
                publication.status = "removed"
                publication.removed_on = removed_on
                publication.updated_at = datetime.now(UTC)
                key = f"publication:{reference}:removed:{removed_on.isoformat()}"
                if not await register.audit_exists(session, business_key=key):
                    register.append_audit(
                        session,
                        business_key=key,
                        reference=reference,
                        kind="review_removed",
                        actor=SYSTEM_ACTOR,
                        role=PUBLISHER_ROLE,
                        summary="Removed from the website; listed as available on request",
                        details={"removed_on": removed_on.isoformat()},
                    )
        await self._write_index()

    async def _changed_since_copies(self, data: PublishReviewInput, documents: Sequence[CaseDocument]) -> list[str]:
        delivered = {copy.kind: copy for copy in data.delivered or []}
        changed = []
        for document in documents:
            copy = delivered.get(document.kind)
            if copy is None or copy.document_id != str(document.id):
                changed.append(document.kind)
                continue
            try:
                current = await publishable_copy(self._store, document)
            except (DocumentNotFoundError, DocumentCorruptedError) as error:
                raise ApplicationError(str(error), type="DocumentUnavailable", non_retryable=True) from None
            if current.sha256 != copy.sha256:
                changed.append(document.kind)
        return changed

    # The site

    def _review_dir(self, reference: str) -> Path:
        # The reference has been validated against REFERENCE_PATTERN: letters, digits and hyphens only.
        return self._site / "reviews" / reference

    async def _write_review(
        self, data: PublishReviewInput, documents: Sequence[CaseDocument], copies: Sequence[PublishableCopy]
    ) -> list[_SiteDocument]:
        folder = self._review_dir(data.reference)
        files: dict[str, bytes] = {}
        site_documents: list[_SiteDocument] = []
        for document, copy in zip(documents, copies, strict=True):
            kind = DocumentKind(document.kind)
            target = published_file(kind, document.content_type)
            content = copy.data
            title = KIND_TITLES[kind]
            if target.as_html:
                text = content.decode("utf-8")  # the copy of a text document is its plain text
                files[target.filename] = self._render(
                    "document.html",
                    root="../../",
                    reference=data.reference,
                    title=title,
                    paragraphs=_paragraphs(text),
                )
            else:
                files[target.filename] = content
            site_documents.append(
                _SiteDocument(
                    kind=kind,
                    title=title,
                    filename=target.filename,
                    as_html=target.as_html,
                    format="PDF" if document.content_type == PDF else "Word document",
                    size=_human_size(len(content)),
                    sha256=copy.sha256,
                )
            )
        files["index.html"] = self._render(
            "review.html",
            root="../../",
            reference=data.reference,
            publication_on=_long_date(data.publication_on),
            withheld=data.withheld,
            documents=site_documents,
        )
        await asyncio.to_thread(sync_folder, folder, files)
        return site_documents

    async def _write_index(self) -> None:
        async with site_lock(self._site):
            async with self._sessions() as session:
                publications = await document_register.list_publications(session)
            published = sorted(
                (p for p in publications if p.status == "published"),
                key=lambda p: (p.publication_on or date.min, p.case_reference),
                reverse=True,
            )
            removed = [p for p in publications if p.status == "removed"]
            page = self._render(
                "index.html",
                root="./",
                published=[
                    {
                        "reference": p.case_reference,
                        "publication_on": _long_date(p.publication_on),
                        "withheld": p.withheld,
                    }
                    for p in published
                ],
                removed=[{"reference": p.case_reference, "removed_on": _long_date(p.removed_on)} for p in removed],
                request_endpoint=REQUEST_ENDPOINT,
            )
            await asyncio.to_thread(write_if_changed, self._site / "index.html", page)
            if not (learning_root(self._site) / "index.html").exists():  # the index links to it
                await asyncio.to_thread(write_index, learning_root(self._site))

    def _render(self, template: str, **values: Any) -> bytes:
        return self._templates.get_template(template).render(**values).encode("utf-8")


async def _require_case(session: AsyncSession, reference: str) -> None:
    if await register.find_case(session, reference=reference) is None:
        raise ApplicationError(f"case {reference} is not in the register", type="UnknownCase", non_retryable=True)


def hit_summary(found: DocumentHit) -> PublicationHitSummary:
    place = found.hit.place
    return PublicationHitSummary(
        document_id=found.document_id,
        document_kind=found.document_kind,
        category=found.hit.category.value,
        part=place.part,
        page=place.page,
        paragraph=place.paragraph,
        line=place.line,
        character=place.character,
        place=place.describe(),
    )


def unreadable_part(found: DocumentUnreadablePart) -> PublicationUnreadablePart:
    return PublicationUnreadablePart(
        document_id=found.document_id,
        document_kind=found.document_kind,
        part=found.part.part,
        reason=found.part.reason,
    )


def _paragraphs(text: str) -> list[str]:
    blocks = [block.strip("\n") for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block.strip()]


def _long_date(day: date | None) -> str:
    return f"{day.day} {day.strftime('%B %Y')}" if day is not None else ""


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
