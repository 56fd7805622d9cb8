"""Access, declared once per route as an ``Annotated`` dependency (the matrix itself is ``api/permissions.py``):

- ``Annotated[Caller, Depends(Access("tasks.read"))]``: the caller, if their role may do the action (else 403,
  audited). Lists pass ``lists_cases=True`` to wait for this process's decisions on the cases of the caller's
  boards (api/register_fence.py).
- ``Annotated[ScopedCase, Depends(CaseAccess("documents.read"))]``: also the case named by the path's
  ``{reference}``, if the caller's boards include it (else 404, so other boards' cases are not revealed),
  once the register holds what this process answered for it. The role is checked first: a refused role gets
  403 whatever the case. A lead reviewer not named on the case (``Caller.cases``) gets 403 too, audited.
- ``CaseRead("cases.read")``: ``CaseAccess`` that also takes ``min_version``, for reads that answer with the
  case's version (``ETag``).
- ``DecisionAccess(kind)``: the case first (404), then the role (403), and no waiting: the workflow checks a
  decision against its own state, not the register's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Annotated, Any

import structlog
from fastapi import Path, Query
from temporalio.client import WorkflowQueryFailedError, WorkflowQueryRejectedError
from temporalio.service import RPCError

from api.context import AppContext, Context
from api.errors import ProblemError
from api.permissions import PERMISSIONS, Caller, CurrentCaller, authorize, refuse
from api.register_fence import case_at_version
from domain.case_contract import STATE_QUERY, case_workflow_id
from domain.case_messages import Actor, CaseState
from store import documents as document_register
from store import register
from store.database import read_once
from store.models import Case, CaseIdentifierRecord

_log = structlog.get_logger(__name__)

CaseReference = Annotated[str, Path(pattern=r"^[A-Z]{2,16}-\d{4}-\d{4,}$", description="e.g. NEL-2026-0001")]
MAX_VERSION = 2**31 - 1
MIN_VERSION_RETRY_AFTER = "1"
LIVE_VERSION_WAIT = timedelta(seconds=5)
MinVersion = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_VERSION,
        description=(
            "Read-your-writes from any API process: the case version you need, as a decision's `ETag` "
            '(`W/"<version>"`) gave it. The read waits (up to 5 s) until the register holds at least that version; '
            "if it still does not, 503 with `Retry-After` (never an older version); a version the case itself has "
            "not reached is 422."
        ),
    ),
]
ETAG_DESCRIPTION = (
    'The case\'s version, `W/"<version>"`: it increases with every recorded change of the case (a decision answers '
    "with the version its register write brings). Pass the number as `min_version` to read at least this version "
    "from any API process."
)
CASE_ETAG = {"ETag": {"description": ETAG_DESCRIPTION, "schema": {"type": "string"}}}


def case_etag(version: int) -> str:
    return f'W/"{version}"'


def case_responses(status: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a route answering with a case's version in ``ETag``."""
    return {status: {"headers": CASE_ETAG}}


@dataclass(frozen=True)
class ScopedCase:
    """A case the caller may act on, as the register holds it, and the caller."""

    case: Case
    caller: Caller

    @property
    def reference(self) -> str:
        return self.case.reference

    @property
    def actor(self) -> Actor:
        return self.caller.actor

    @property
    def version(self) -> int:
        return self.case.snapshot_version


def _known(action: str) -> str:
    if action not in PERMISSIONS:
        raise KeyError(f"'{action}' is not an action of the matrix (api/permissions.py)")
    return action


class Access:
    """The caller, allowed ``action`` by the matrix (403, audited, otherwise)."""

    def __init__(self, action: str, *, lists_cases: bool = False) -> None:
        self.action = _known(action)
        self.lists_cases = lists_cases

    async def __call__(self, caller: CurrentCaller, context: Context) -> Caller:
        await authorize(context, caller, self.action)
        if self.lists_cases:
            fence = context.fence
            await fence.settle(context.sessions, references=fence.answered_on(caller.boards))
        return caller


class CaseAccess:
    """The case of the path, for a caller allowed ``action``: 403 (audited), then 404 for a case not in the
    caller's boards; the register row once it holds this process's decisions on the case."""

    def __init__(self, action: str) -> None:
        self.action = _known(action)

    async def __call__(self, reference: CaseReference, caller: CurrentCaller, context: Context) -> ScopedCase:
        await authorize(context, caller, self.action, reference=reference)
        case = await _in_scope(context, caller, reference, self.action)
        return ScopedCase(await _settled(context, case), caller)


class CaseRead(CaseAccess):
    """``CaseAccess`` for a read that answers with the case's version: it also takes ``min_version``."""

    async def __call__(
        self, reference: CaseReference, caller: CurrentCaller, context: Context, min_version: MinVersion = None
    ) -> ScopedCase:
        await authorize(context, caller, self.action, reference=reference)
        case = await _in_scope(context, caller, reference, self.action)
        return ScopedCase(await _settled(context, case, min_version=min_version or 0), caller)


@dataclass(frozen=True)
class DecisionScope(ScopedCase):
    """A case a decision may be sent to, with the identifying details recorded on it (None: none recorded), read
    in the same session: the decision's free text is checked against them before the workflow sees it."""

    identifiers: CaseIdentifierRecord | None = None


class DecisionAccess(CaseAccess):
    """A staff decision of ``kind``: the case first (404 for one not in the caller's boards), then the role."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"decisions.{kind}")

    async def __call__(self, reference: CaseReference, caller: CurrentCaller, context: Context) -> DecisionScope:
        found = await document_register.case_with_identifiers(context.read_row, reference=reference)
        if found is None or found[0].board not in caller.boards:
            raise _not_found(reference)
        case, identifiers = found
        await authorize(context, caller, self.action, reference=reference)
        await _appointed(context, caller, case, self.action)
        return DecisionScope(case, caller, identifiers)


async def _live_version(context: AppContext, reference: str) -> int | None:
    """The case's version as its workflow holds it, or ``None`` when the workflow cannot say now (it is busy,
    or Temporal is unreachable): then the caller is told to try again rather than that the version is wrong."""
    handle = context.temporal.get_workflow_handle(case_workflow_id(reference))
    try:
        state: CaseState = await handle.query(STATE_QUERY, result_type=CaseState, rpc_timeout=LIVE_VERSION_WAIT)
    except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
        return None
    return state.snapshot_version


async def _in_scope(context: AppContext, caller: Caller, reference: str, action: str) -> Case:
    """The case, if the caller's boards include it (404 otherwise) and it is one of the caller's appointments
    when their role sees only those (403, audited)."""
    case = await read_once(context.read_sessions, partial(register.find_case, reference=reference))
    if case is None or case.board not in caller.boards:
        raise _not_found(reference)
    await _appointed(context, caller, case, action)
    return case


async def _appointed(context: AppContext, caller: Caller, case: Case, action: str) -> None:
    if not caller.sees(case.reference):
        reason = (
            f"Your role '{caller.actor.role.value}' gives access only to the cases that name your account as their "
            f"lead reviewer, and case {case.reference} does not."
        )
        await refuse(context, caller, reason, action=action, reference=case.reference)


def _not_found(reference: str) -> ProblemError:
    return ProblemError(404, "Not found", f"There is no case {reference}.")


async def _settled(context: AppContext, case: Case, *, min_version: int = 0) -> Case:
    """``case`` once the register holds the version this process answered for it and ``min_version``: waits up
    to the fence's ``wait``. A late answered write is given up on (the read goes ahead); a ``min_version`` the
    register still does not hold is 503, never an older version, unless the workflow shows the case never reached
    it (422: retrying cannot help)."""
    fence, reference = context.fence, case.reference
    answered = fence.needed(reference)
    wanted = max(answered, min_version)
    if case.snapshot_version < wanted:
        case = await case_at_version(context.sessions, reference=reference, version=wanted, wait=fence.wait) or case
    if case.snapshot_version >= answered:
        fence.seen(reference, case.snapshot_version)
    else:
        _log.warning("register_behind_decisions", cases=1, waited_seconds=fence.wait)
        fence.forget(reference, answered)
    if case.snapshot_version < min_version:
        live = await _live_version(context, reference)
        if live is not None and live < min_version:
            raise ProblemError(
                422,
                "Unknown version",
                f"Case {reference} has no version {min_version}: it is at version {live}. Pass a version an ETag "
                "gave you.",
            )
        raise ProblemError(
            503,
            "Service unavailable",
            f"The register does not hold version {min_version} of case {reference} yet (it holds "
            f"{case.snapshot_version}); try again shortly.",
            headers={"Retry-After": MIN_VERSION_RETRY_AFTER},
        )
    return case
