"""Case documents: their kinds, who may upload and read them, which may be published, and the checks every
uploaded file passes (declared type, content sniffing, a safe display name). Pure: no I/O.

A document's bytes never travel in Temporal payloads; workflows and activities pass document ids only.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from enum import StrEnum

from domain.roles import Role


class DocumentKind(StrEnum):
    REFERRAL_FORM = "referral_form"
    AGENCY_ACCOUNT = "agency_account"
    PANEL_LETTER = "panel_letter"
    OVERVIEW_REPORT = "overview_report"
    EXECUTIVE_SUMMARY = "executive_summary"
    BOARD_RESPONSE = "board_response"
    IMR = "imr"  # individual management review: never published
    INFORMATION_RESPONSE = "information_response"
    OTHER = "other"


KIND_TITLES: dict[DocumentKind, str] = {
    DocumentKind.REFERRAL_FORM: "Referral form",
    DocumentKind.AGENCY_ACCOUNT: "Agency written account",
    DocumentKind.PANEL_LETTER: "National Panel letter",
    DocumentKind.OVERVIEW_REPORT: "Overview report",
    DocumentKind.EXECUTIVE_SUMMARY: "Executive summary",
    DocumentKind.BOARD_RESPONSE: "Board's response",
    DocumentKind.IMR: "Individual management review",
    DocumentKind.INFORMATION_RESPONSE: "Information response",
    DocumentKind.OTHER: "Other document",
}

PUBLISHABLE_KINDS: frozenset[DocumentKind] = frozenset(
    {DocumentKind.OVERVIEW_REPORT, DocumentKind.EXECUTIVE_SUMMARY, DocumentKind.BOARD_RESPONSE}
)
"""What publication puts on the website (scr-process.md, "Publication"). IMRs are never among them."""

PUBLISHED_ORDER: tuple[DocumentKind, ...] = (
    DocumentKind.OVERVIEW_REPORT,
    DocumentKind.EXECUTIVE_SUMMARY,
    DocumentKind.BOARD_RESPONSE,
)


def kinds_to_publish(*, withheld: bool) -> tuple[DocumentKind, ...]:
    """The documents a publication needs: all three, or only the board's response when the report is withheld."""
    return (DocumentKind.BOARD_RESPONSE,) if withheld else PUBLISHED_ORDER


STAFF_UPLOADERS: frozenset[Role] = frozenset(
    {Role.BUSINESS_MANAGER, Role.LEAD_REVIEWER, Role.SUB_GROUP, Role.INDEPENDENT_CHAIR}
)
AGENCY_UPLOAD_KINDS: frozenset[DocumentKind] = frozenset(
    {DocumentKind.IMR, DocumentKind.AGENCY_ACCOUNT, DocumentKind.INFORMATION_RESPONSE}
)
UPLOADERS: tuple[Role, ...] = (*sorted(STAFF_UPLOADERS), Role.AGENCY_CONTACT)

_REVIEW_TEAM: tuple[Role, ...] = (Role.BUSINESS_MANAGER, Role.SUB_GROUP, Role.INDEPENDENT_CHAIR, Role.LEAD_REVIEWER)
_OVERSIGHT: tuple[Role, ...] = (*_REVIEW_TEAM, Role.AUDITOR)
_PUBLISHED: tuple[Role, ...] = (*_OVERSIGHT, Role.PUBLISHER)

DOCUMENT_READERS: dict[DocumentKind, tuple[Role, ...]] = {
    DocumentKind.REFERRAL_FORM: _OVERSIGHT,
    DocumentKind.AGENCY_ACCOUNT: _REVIEW_TEAM,
    DocumentKind.PANEL_LETTER: _OVERSIGHT,
    DocumentKind.OVERVIEW_REPORT: _PUBLISHED,
    DocumentKind.EXECUTIVE_SUMMARY: _PUBLISHED,
    DocumentKind.BOARD_RESPONSE: _PUBLISHED,
    DocumentKind.IMR: _REVIEW_TEAM,
    DocumentKind.INFORMATION_RESPONSE: _REVIEW_TEAM,
    DocumentKind.OTHER: _OVERSIGHT,
}
"""Who may list and download each kind: the one table (the API's matrix takes ``documents.read`` from it).
Agencies' own accounts of their work with the family (IMRs, agency accounts, information responses) are read
by the review's people only: the business manager, sub-group, chair and lead reviewer, not auditors (who audit
the process, from the audit trail) nor the publisher (who reads only what is published). Agency contacts
upload their kinds and read none: one agency does not read another's account."""

READERS: tuple[Role, ...] = tuple(dict.fromkeys(role for roles in DOCUMENT_READERS.values() for role in roles))
"""Every role that may read some kind of document."""


WHOLE_CASE_READERS: tuple[Role, ...] = tuple(
    role for role in READERS if all(role in readers for readers in DOCUMENT_READERS.values())
)
"""The roles that read every kind of document: the review's people (a case's export is theirs)."""


def may_upload(role: Role, kind: DocumentKind) -> bool:
    if role in STAFF_UPLOADERS:
        return True
    return role is Role.AGENCY_CONTACT and kind in AGENCY_UPLOAD_KINDS


def may_read(role: Role, kind: DocumentKind) -> bool:
    return role in DOCUMENT_READERS[kind]


# Content types

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT_PLAIN = "text/plain"
TEXT_MARKDOWN = "text/markdown"
TEXT_HTML = "text/html"
ALLOWED_CONTENT_TYPES: tuple[str, ...] = (TEXT_PLAIN, TEXT_MARKDOWN, TEXT_HTML, PDF, DOCX)
TEXT_TYPES: frozenset[str] = frozenset({TEXT_PLAIN, TEXT_MARKDOWN, TEXT_HTML})
EXTENSIONS: dict[str, str] = {TEXT_PLAIN: "txt", TEXT_MARKDOWN: "md", TEXT_HTML: "html", PDF: "pdf", DOCX: "docx"}

MAX_DOCX_UNCOMPRESSED_RATIO = 5
"""A DOCX (a zip) may expand to at most this many times the upload limit: larger is treated as a zip bomb."""
MAX_DOCX_XML_PART_BYTES = 64 * 1024 * 1024
"""No XML part of a DOCX may expand beyond this (the text extraction parses them in memory)."""


class UnsupportedType(ValueError):
    """The declared content type is not one the service accepts (HTTP 415)."""


class ContentMismatch(ValueError):
    """The bytes are not what the declared content type says (HTTP 422)."""


def normalise_content_type(declared: str | None) -> str:
    """``text/plain; charset=utf-8`` → ``text/plain``; refuses a type the service does not accept."""
    base = (declared or "").split(";", 1)[0].strip().lower()
    if base not in ALLOWED_CONTENT_TYPES:
        shown = base[:80] or "none"
        raise UnsupportedType(
            f"Files of type '{shown}' are not accepted; send one of: {', '.join(ALLOWED_CONTENT_TYPES)} "
            "(plain text, Markdown, HTML, PDF or Word .docx)."
        )
    return base


def check_content(content_type: str, data: bytes, *, max_bytes: int) -> None:
    """Refuse content that is not what ``content_type`` (already normalised) says it is."""
    if not data:
        raise ContentMismatch("The file is empty.")
    if content_type == PDF:
        if not data.startswith(b"%PDF-"):
            raise ContentMismatch(f"The file was sent as {PDF} but is not a PDF (it does not start with %PDF-).")
        return
    if content_type == DOCX:
        _check_docx(data, max_bytes=max_bytes)
        return
    # A text type: UTF-8, no NUL bytes (a binary file sent as text).
    if data.startswith(b"%PDF-") or data.startswith(b"PK\x03\x04"):
        raise ContentMismatch(f"The file was sent as {content_type} but is a PDF or Word/zip file; send its real type.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContentMismatch(
            f"The file was sent as {content_type} but is not valid UTF-8 text "
            f"(byte {error.start}); save it as UTF-8 and upload it again."
        ) from None
    if "\x00" in text:
        raise ContentMismatch(f"The file was sent as {content_type} but contains binary data (NUL bytes).")


def _check_docx(data: bytes, *, max_bytes: int) -> None:
    if not data.startswith(b"PK"):
        raise ContentMismatch(f"The file was sent as a Word document ({DOCX}) but is not one (not a zip package).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            entries = package.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise ContentMismatch("The file was sent as a Word document but its zip package is damaged.") from None
    names = {entry.filename for entry in entries}
    if "word/document.xml" not in names:
        raise ContentMismatch(
            "The file was sent as a Word document but has no word/document.xml: it is not a .docx file."
        )
    too_big_part = any(
        e.filename.endswith((".xml", ".rels")) and e.file_size > MAX_DOCX_XML_PART_BYTES for e in entries
    )
    if too_big_part or sum(entry.file_size for entry in entries) > max_bytes * MAX_DOCX_UNCOMPRESSED_RATIO:
        raise ContentMismatch("The Word document expands to an implausible size and is refused.")


# Filenames: shown to staff and offered on download; never used to build a filesystem path.

MAX_FILENAME_LENGTH = 200
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f"*:<>?|;]')


def safe_filename(raw: str | None, *, content_type: str) -> str:
    """The basename of what the client sent, without path, control characters or quoting hazards."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_IN_NAME.sub("_", name)
    name = " ".join(name.split()).strip(". ")
    if not name or set(name) <= {"."}:
        name = f"document.{EXTENSIONS[content_type]}"
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name


@dataclass(frozen=True)
class PublishedFile:
    """How a document appears on the public site: never under its uploaded filename."""

    kind: DocumentKind
    filename: str  # e.g. overview_report.html or executive_summary.pdf
    as_html: bool  # text documents are rendered into an HTML page; PDF and DOCX are offered as files


def published_file(kind: DocumentKind, content_type: str) -> PublishedFile:
    if content_type in TEXT_TYPES:
        return PublishedFile(kind=kind, filename=f"{kind.value}.html", as_html=True)
    return PublishedFile(kind=kind, filename=f"{kind.value}.{EXTENSIONS[content_type]}", as_html=False)
