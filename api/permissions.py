"""Who may do what, in one place: the role × action matrix every endpoint is checked against, and the boards a
caller may see. Decisions take their roles from the lifecycle rules, which the workflow re-checks."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, NoReturn

from fastapi import Depends, Request

from api import audit
from api.auth import CurrentActor, Principal
from api.context import AppContext
from api.errors import ProblemError
from domain.case_messages import Actor
from domain.documents import READERS, UPLOADERS, WHOLE_CASE_READERS
from domain.lifecycle import BY_KIND
from domain.roles import Role
from store.appointments import appointed_cases
from store.database import read_once
from store.settings import Settings

STAFF = tuple(Role)
# Documents take their roles from domain/documents.py, whose finer rules (which kinds an agency contact uploads,
# which the publisher reads) the document endpoints apply after this check.
PERMISSIONS: dict[str, tuple[Role, ...]] = {
    # An agency manager refers a case to the sub-group, incl. one for a learning review (referral form, 001 §2, §5).
    "cases.open": (Role.BUSINESS_MANAGER, Role.LOCAL_AUTHORITY, Role.AGENCY_MANAGER),
    "cases.read": STAFF,
    # Taking in a board's reviews already under way (issue 17): its business manager keeps the board's records.
    "cases.import": (Role.BUSINESS_MANAGER,),
    "tasks.read": STAFF,
    "calendar.read": STAFF,
    "screening.check": STAFF,
    "documents.upload": UPLOADERS,
    "documents.read": READERS,
    "identifiers.write": (Role.BUSINESS_MANAGER,),
    "identifiers.read": (Role.BUSINESS_MANAGER, Role.INDEPENDENT_CHAIR),
    "anonymisation.check": (Role.PUBLISHER, Role.BUSINESS_MANAGER, Role.INDEPENDENT_CHAIR),
    "anonymisation.accept": (Role.INDEPENDENT_CHAIR,),
    "review_requests.read": (Role.BUSINESS_MANAGER,),
    "review_requests.answer": (Role.BUSINESS_MANAGER,),
    "codec.use": (Role.OPERATOR,),
    "learning_summaries.run": (Role.BUSINESS_MANAGER, Role.INDEPENDENT_CHAIR),
    "learning_summaries.read": STAFF,
    # An export is the whole case file, every kind of document in it: only the roles that read all of it.
    "cases.export": WHOLE_CASE_READERS,
    "boards.export": (Role.BUSINESS_MANAGER,),
    **{f"decisions.{kind}": handler.roles for kind, handler in BY_KIND.items()},
}
ACTION_TEXT = {
    "cases.open": "open a case",
    "cases.read": "read cases",
    "cases.import": "import reviews in progress",
    "tasks.read": "read the task list",
    "calendar.read": "read the deadline calendar",
    "screening.check": "screen incident facts",
    "documents.upload": "upload documents",
    "documents.read": "list and download documents",
    "identifiers.write": "record a case's identifying details",
    "identifiers.read": "read a case's identifying details",
    "anonymisation.check": "run the anonymisation check",
    "anonymisation.accept": "accept an anonymisation hit",
    "review_requests.read": "read requests for removed reviews",
    "review_requests.answer": "answer requests for removed reviews",
    "codec.use": "decode or encode Temporal payloads",
    "learning_summaries.run": "run the annual learning summary",
    "learning_summaries.read": "read the annual learning summaries",
    "cases.export": "export a case file",
    "boards.export": "export a board's case files",
    **{f"decisions.{kind}": handler.describes for kind, handler in BY_KIND.items()},
}
# Oversight roles see every board this deployment serves; everyone else sees the board their token names.
ALL_BOARDS_ROLES = (Role.AUDITOR, Role.OPERATOR)
# Within their board, these roles see only the cases that name their account (store/appointments.py).
APPOINTED_ROLES = (Role.LEAD_REVIEWER,)


@dataclass(frozen=True)
class Caller:
    actor: Actor
    boards: frozenset[str]
    cases: frozenset[str] | None = None
    """The only cases of ``boards`` the caller may see (a lead reviewer's appointments); None: all of them."""

    def sees(self, reference: str) -> bool:
        return self.cases is None or reference in self.cases


def visible_boards(principal: Principal, actor: Actor, settings: Settings) -> frozenset[str]:
    if principal.board is not None:
        return frozenset({principal.board}) & settings.board_codes
    if settings.auth_mode == "dev" or actor.role in ALL_BOARDS_ROLES:
        return settings.board_codes
    raise ProblemError(403, "Forbidden", "Your token names no board; ask your administrator to add the board claim.")


async def caller_for(context: AppContext, principal: Principal, actor: Actor) -> Caller:
    """The caller's boards and, for an appointed role, the cases that name them."""
    boards = visible_boards(principal, actor, context.settings)
    if actor.role not in APPOINTED_ROLES:
        return Caller(actor=actor, boards=boards)
    # An appointment this process has just answered for reaches the register a moment later: wait for it.
    await context.fence.settle(context.sessions, references=context.fence.answered_on(boards))
    cases = await read_once(context.read_sessions, partial(appointed_cases, user=actor.user, boards=sorted(boards)))
    return Caller(actor=actor, boards=boards, cases=cases)


async def current_caller(request: Request, actor: CurrentActor) -> Caller:
    return await caller_for(request.app.state.context, request.state.principal, actor)


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def authorize(context: AppContext, caller: Caller, action: str, *, reference: str | None = None) -> None:
    """Refuse (403) a role the matrix does not allow for ``action``; every refusal is audited. Routes declare
    this through ``api.access`` (``Access``, ``CaseAccess``) rather than call it."""
    allowed = PERMISSIONS[action]
    if caller.actor.role in allowed:
        return
    names = ", ".join(r.value for r in allowed)
    reason = f"Your role '{caller.actor.role.value}' cannot {ACTION_TEXT[action]}; this needs: {names}."
    await refuse(context, caller, reason, action=action, reference=reference)


async def refuse(context: AppContext, caller: Caller, reason: str, *, action: str, reference: str | None) -> NoReturn:
    """403 with ``reason``, audited: for the matrix, and for what a role may do in general but not here (another
    board, a document kind)."""
    await record_refusal(
        context, user=caller.actor.user, role=caller.actor.role.value, action=action, reason=reason, reference=reference
    )
    raise ProblemError(403, "Forbidden", reason)


async def record_refusal(
    context: AppContext, *, user: str, role: str, action: str, reason: str, reference: str | None
) -> None:
    """An ``access_refused`` audit row; ``user`` and ``role`` as far as they are known (a bad calendar feed token
    proves neither)."""
    entry = audit.access_refused(
        action=action, action_text=ACTION_TEXT.get(action, action), reason=reason, reference=reference
    )
    await audit.record(context.sessions, entry, by=audit.By(user=user, role=role))
