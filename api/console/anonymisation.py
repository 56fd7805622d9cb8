"""The anonymisation gate in the console: each document's state on the case page, and the check's hits with the
chair's acceptance, through the service, access checks and audit of ``/api/v1/cases/{reference}/anonymisation-
check[/accepted]``. A hit's matched text is shown only to roles that may read the case's identifying details."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.access import CaseAccess, ScopedCase
from api.console.web import PREFIX, SignedIn, check_csrf, render, see_other, signed_in
from api.context import AppContext, current_document_store
from api.errors import ProblemError
from api.permissions import PERMISSIONS, Caller
from api.routers.anonymisation import AcceptHitRequest
from api.services import anonymisation
from domain.anonymisation import CATEGORY_TITLES, match_key
from domain.documents import KIND_TITLES, PUBLISHABLE_KINDS, DocumentKind
from store.anonymisation_gate import DocumentHit
from store.document_store import DocumentStore
from store.models import CaseDocument

router = APIRouter(prefix=PREFIX, include_in_schema=False)
MAX_CHECKED = 20  # as many documents as the API's check takes at once (CheckRequest.document_ids)


@dataclass(frozen=True)
class DocumentState:
    hits: int
    unreadable: int
    accepted: int

    @property
    def clear(self) -> bool:
        return not self.hits and not self.unreadable


@dataclass(frozen=True)
class CaseStates:
    """The check's answer for the case page: per document, or why it could not run."""

    checked: frozenset[int]
    by_document: dict[int, DocumentState] = field(default_factory=dict)
    not_recorded: bool = False
    problem: str | None = None


def may_check(caller: Caller) -> bool:
    return caller.actor.role in PERMISSIONS["anonymisation.check"]


def shows_text(caller: Caller) -> bool:
    """A hit's matched text is an identifying detail: only for roles that may read them."""
    return caller.actor.role in PERMISSIONS["identifiers.read"]


async def document_states(
    context: AppContext, store: DocumentStore, caller: Caller, reference: str, files: list[CaseDocument] | None
) -> CaseStates | None:
    """The state of each publishable document the caller reads, from the gate as the API's check runs it (for a
    role that may run it), or None when the role may not or there is nothing to check. Shown on every view of
    the case page, so the scans are reused and nothing is audited: the check page is the audited check."""
    if files is None or not may_check(caller):
        return None
    ids = [d.id for d in files if DocumentKind(d.kind) in PUBLISHABLE_KINDS][-MAX_CHECKED:]
    if not ids:
        return None
    scoped = await CaseAccess("anonymisation.check")(reference=reference, caller=caller, context=context)
    try:
        result = await anonymisation.states(context, store=store, scoped=scoped, document_ids=ids)
    except ProblemError as error:
        if error.status == 409:
            return CaseStates(frozenset(ids), not_recorded=True)
        if error.status in (422, 503):
            return CaseStates(frozenset(ids), problem=error.detail)
        raise
    outcome = result.outcome

    def distinct(found: list[DocumentHit], document_id: int) -> int:  # counted as the hits page lists them
        return len({match_key(h.hit.category.value, h.hit.matched) for h in found if h.document_id == document_id})

    return CaseStates(
        frozenset(ids),
        by_document={
            i: DocumentState(
                hits=distinct(outcome.hits, i),
                unreadable=sum(1 for u in outcome.unreadable if u.document_id == i),
                accepted=distinct(outcome.accepted, i),
            )
            for i in ids
        },
    )


def _grouped(found: list[DocumentHit], documents: dict[int, CaseDocument]) -> list[dict[str, Any]]:
    """Hits of the same text and category in one document are one row (the chair accepts them together), with
    every place they are at."""
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for item in found:
        hit = item.hit
        row = rows.setdefault(
            (item.document_id, match_key(hit.category.value, hit.matched)),
            {
                "document_id": item.document_id,
                "document": _document_title(documents.get(item.document_id), item.document_kind),
                "category": hit.category.value,
                "category_title": CATEGORY_TITLES[hit.category],
                "matched": hit.matched,
                "places": [],
            },
        )
        place = hit.place.describe()
        row["places"].append(place[:1].upper() + place[1:])
    return list(rows.values())


def _document_title(document: CaseDocument | None, kind: str) -> str:
    title = KIND_TITLES[DocumentKind(kind)]
    return f"{title}: {document.filename}" if document else title


async def _checker(request: Request, reference: str, action: str) -> tuple[SignedIn, AppContext, ScopedCase]:
    person = signed_in(request)
    context: AppContext = request.app.state.context
    scoped = await CaseAccess(action)(reference=reference, caller=person.caller, context=context)
    return person, context, scoped


async def _page(
    request: Request,
    person: SignedIn,
    context: AppContext,
    scoped: ScopedCase,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    store = await current_document_store(request)
    page: dict[str, Any] = {
        "person": person,
        "case": scoped.case,
        "shows_text": shows_text(person.caller),
        "may_accept": person.caller.actor.role in PERMISSIONS["anonymisation.accept"],
        "may_record": person.caller.actor.role in PERMISSIONS["identifiers.write"],
        "accepted_banner": request.query_params.get("accepted") == "1",
        "values": values or {},
        "errors": errors or {},
        "problem": problem,
        "nav": "cases",
    }
    try:
        result = await anonymisation.check(context, store=store, scoped=scoped, withheld=False, document_ids=None)
    except ProblemError as error:
        if error.status != 409:
            raise
        return render(request, "anonymisation.html", page | {"not_recorded": True}, status_code=status_code)
    documents = {d.id: d for d in result.documents}
    page |= {
        "not_recorded": False,
        "clear": result.outcome.clear and not result.missing,
        "missing": [KIND_TITLES[kind] for kind in result.missing],
        "checked": [_document_title(d, d.kind) for d in result.documents],
        "hits": _grouped(result.outcome.hits, documents),
        "accepted": _grouped(result.outcome.accepted, documents),
        "unreadable": [
            {"document": _document_title(documents.get(u.document_id), u.document_kind), "part": u.part}
            for u in result.outcome.unreadable
        ],
    }
    return render(request, "anonymisation.html", page, status_code=status_code)


@router.get("/cases/{reference}/anonymisation")
async def hits(request: Request, reference: str) -> Response:
    person, context, scoped = await _checker(request, reference, "anonymisation.check")
    return await _page(request, person, context, scoped)


@router.post("/cases/{reference}/anonymisation", dependencies=[Depends(check_csrf)])
async def accept(request: Request, reference: str) -> Response:
    """The chair accepts one row of hits with a reason, validated by the API's own request model."""
    person, context, scoped = await _checker(request, reference, "anonymisation.accept")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    row = form.get("row", "")
    field_id = f"reason-{row}" if row.isdigit() else "reason-0"
    reason = form.get("reason", "").strip()
    try:
        wanted = AcceptHitRequest.model_validate(
            {
                "document_id": form.get("document_id"),
                "matched_text": form.get("matched_text"),
                "category": form.get("category"),
                "reason": reason,
            }
        )
    except ValidationError as invalid:
        if any(error["loc"] != ("reason",) for error in invalid.errors()):
            raise ProblemError(422, "Invalid request", "This hit cannot be accepted: run the check again.") from None
        too_long = any(error["type"] == "string_too_long" for error in invalid.errors())
        message = "Reason must be 2000 characters or fewer" if too_long else "Enter a reason of 10 characters or more"
        return await _page(
            request,
            person,
            context,
            scoped,
            values={field_id: reason},
            errors={field_id: message},
            status_code=400,
        )
    try:
        await anonymisation.accept_hit(
            context,
            store=await current_document_store(request),
            scoped=scoped,
            document_id=wanted.document_id,
            matched_text=wanted.matched_text,
            category=wanted.category,
            reason=wanted.reason,
        )
    except ProblemError as refused:
        if refused.status not in (409, 422):
            raise
        return await _page(request, person, context, scoped, problem=refused.detail, status_code=refused.status)
    return see_other(f"{PREFIX}/cases/{scoped.reference}/anonymisation?accepted=1")
