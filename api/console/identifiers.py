"""A case's identifying details in the console: read (business manager and chair) and recorded (business manager)
through the service and access of ``GET/PUT /api/v1/cases/{reference}/identifiers``, validated by the domain's
``CaseIdentifiers``. The values appear on this page only: never in its title, a banner or another page."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.access import CaseAccess, ScopedCase
from api.console import forms
from api.console.web import PREFIX, SignedIn, check_csrf, render, see_other, signed_in
from api.context import AppContext
from api.errors import ProblemError
from api.permissions import PERMISSIONS
from api.services import anonymisation
from domain.anonymisation import MAX_ITEMS, CaseIdentifiers

router = APIRouter(prefix=PREFIX, include_in_schema=False)
# Presentation only: what one item of each list is called in an error message.
ONE = {
    "names": "Name",
    "dates_of_birth": "Date of birth",
    "addresses": "Address",
    "postcodes": "Postcode",
    "schools": "School",
    "other": "Identifying term",
}
DATE_HINT = "For example, 27 3 2015"
QUESTIONS = [
    forms.Question(
        name=name,
        label=info.description or name.replace("_", " ").capitalize(),
        widget="lines",
        required=False,
        hint=DATE_HINT if name == "dates_of_birth" else None,
    )
    for name, info in CaseIdentifiers.model_fields.items()
]
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[\s/.-]+(\d{1,2})[\s/.-]+(\d{4})$")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _as_iso(text: str) -> str:
    """A date typed as day month year (27 3 2015, 27/03/2015) in ISO form for the model; anything else as typed,
    for the model to refuse."""
    found = _DAY_MONTH_YEAR.match(text)
    return f"{found.group(3)}-{int(found.group(2)):02d}-{int(found.group(1)):02d}" if found else text


def _message(error: Any) -> tuple[str, str]:
    """The field and GOV.UK-style words for one of the model's errors (which never repeat a value)."""
    name, *rest = error["loc"]
    one = ONE.get(str(name), "Item")
    number = f" {rest[0] + 1}" if rest and isinstance(rest[0], int) else ""
    kind = error["type"]
    if kind == "too_long":
        return name, f"Enter {MAX_ITEMS} or fewer, one per line"
    if name == "dates_of_birth":
        return name, f"{one}{number} must be a real date, for example 27 3 2015"
    if kind == "string_too_short":
        return name, f"{one}{number} must be 2 characters or more"
    if kind == "string_too_long":
        return name, f"{one}{number} must be {error.get('ctx', {}).get('max_length')} characters or fewer"
    message = str(error["msg"]).removeprefix("Value error, ")
    return name, f"{one}{number} {message}" if number else message[:1].upper() + message[1:]


def read_form(form: dict[str, str]) -> tuple[CaseIdentifiers | None, dict[str, str]]:
    data = {q.name: _lines(form.get(q.name, "")) for q in QUESTIONS}
    data["dates_of_birth"] = [_as_iso(line) for line in data["dates_of_birth"]]
    try:
        identifiers = CaseIdentifiers.model_validate(data)
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors():
            name, message = _message(error)
            errors.setdefault(name, message)
        return None, errors
    if identifiers.is_empty():  # the gate treats nothing recorded as not recorded
        return None, {QUESTIONS[0].name: "Enter at least one identifying detail"}
    return identifiers, {}


def _as_values(identifiers: CaseIdentifiers) -> dict[str, str]:
    values: dict[str, Any] = identifiers.model_dump()
    values["dates_of_birth"] = [f"{d.day} {d.month} {d.year}" for d in identifiers.dates_of_birth]
    return {name: "\n".join(str(item) for item in items) for name, items in values.items()}


async def _scoped(request: Request, reference: str, action: str) -> tuple[SignedIn, AppContext, ScopedCase]:
    person = signed_in(request)
    context: AppContext = request.app.state.context
    scoped = await CaseAccess(action)(reference=reference, caller=person.caller, context=context)
    return person, context, scoped


def _page(
    request: Request,
    person: SignedIn,
    scoped: ScopedCase,
    values: dict[str, str],
    *,
    recorded: bool,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    page = {
        "person": person,
        "case": scoped.case,
        "questions": QUESTIONS,
        "values": values,
        "errors": errors or {},
        "recorded": recorded,
        "may_record": person.caller.actor.role in PERMISSIONS["identifiers.write"],
        "nav": "cases",
    }
    return render(request, "identifiers.html", page, status_code=status_code)


@router.get("/cases/{reference}/identifiers")
async def identifiers(request: Request, reference: str) -> Response:
    person, context, scoped = await _scoped(request, reference, "identifiers.read")
    try:
        record = await anonymisation.get_identifiers(context, scoped=scoped)
    except ProblemError as error:
        if error.status != 404:
            raise
        return _page(request, person, scoped, {}, recorded=False)
    values = _as_values(CaseIdentifiers.model_validate(record.identifiers))
    return _page(request, person, scoped, values, recorded=True)


@router.post("/cases/{reference}/identifiers", dependencies=[Depends(check_csrf)])
async def record(request: Request, reference: str) -> Response:
    person, context, scoped = await _scoped(request, reference, "identifiers.write")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and k != "csrf_token"}
    wanted, errors = read_form(form)
    if wanted is None:
        return _page(request, person, scoped, form, recorded=False, errors=errors, status_code=400)
    await anonymisation.put_identifiers(context, scoped=scoped, identifiers=wanted)
    return see_other(f"{PREFIX}/cases/{scoped.reference}?identifiers=1")
