"""Importing reviews already under way (issue 17): every row checked first (its cells, the opening facts as
``POST /api/v1/cases`` checks them, its stage and the decisions it records by the lifecycle's rules, its deadlines
from its real dates), and only a file without any error creates cases, each started as an ordinary case workflow
that takes the row in at its stage. A row is known by its board and ``board_case_id``: importing it again finds
the case it created (the register's idempotency key), so a file imported twice creates nothing twice."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from temporalio.client import (
    WorkflowFailureError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api import audit
from api.context import AppContext
from api.errors import ProblemError
from api.permissions import Caller
from api.schemas import OfstedNotifiedIn, OpenCaseRequest
from api.services.cases import UPDATE_WAIT, _unavailable
from domain.case_contract import BOARD, CASE_WORKFLOW, REGISTERED_UPDATE, STAGE, case_workflow_id
from domain.case_file import CaseWorkflowInput, new_case_file
from domain.case_messages import CaseState, ComputeDeadlinesInput, OfstedNotifiedByLA, OpenCaseInput
from domain.imports.building import BuiltCase, RowRefused, build_case, deadline_events
from domain.imports.columns import ImportRow, RowError
from domain.imports.files import parse_file
from domain.imports.messages import ImportedCase, ImportSource
from domain.rule_pack import SCR_2015
from domain.stages import Stage
from domain.uk_time import london_date
from store import register
from store.models import Case


@dataclass
class PlannedCase:
    """A row that would become (or already is) a case."""

    row: ImportRow
    opening: OpenCaseInput
    built: BuiltCase | None  # None: the case an earlier import created (its row unchanged), not built again
    fingerprint: str
    source: ImportSource
    existing: Case | None = None


@dataclass
class ImportResult:
    source: ImportSource
    dry_run: bool
    planned: list[PlannedCase] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: dict[int, str] = field(default_factory=dict)  # row -> reference of a case this import created

    @property
    def rows(self) -> int:
        return len(self.planned) + len({error.row for error in self.errors if error.row})


def import_key(row: ImportRow) -> str:
    """The register's idempotency key of a row's case, per board: the board's own case id."""
    return f"import:{row.board_case_id}"


def _fingerprint(row: ImportRow) -> str:
    canonical = json.dumps(row.model_dump(mode="json", exclude={"row"}), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def import_file(
    context: AppContext, *, caller: Caller, file_name: str, content: bytes, dry_run: bool
) -> ImportResult:
    """Check every row; unless ``dry_run`` or anything is wrong, create the cases not created before."""
    now = datetime.now(UTC)
    # A row may leave out its board when the importer acts for one board only.
    only_board = next(iter(caller.boards)) if len(caller.boards) == 1 else None
    parsed = parse_file(file_name, content, london_date(now), only_board)
    result = ImportResult(parsed.source, dry_run, errors=list(parsed.errors))
    for row in parsed.rows:
        try:
            result.planned.append(await _plan(context, caller, row, parsed.source, now))
        except RowRefused as refused:
            result.errors.extend(refused.errors)
    result.errors.sort(key=lambda error: error.row)
    if not result.errors and not dry_run:
        # Rows keeping their own reference first: the sequence then moves past them before any is allocated.
        for plan in sorted(result.planned, key=lambda p: p.row.reference is None):
            case, created = await _create(context, caller, plan)
            if case.snapshot_version == 0:  # not yet taken in by its workflow (new, or an import cut short)
                await _start(context, case, plan)
            if created:
                result.created[plan.row.row] = case.reference
    entry = audit.cases_imported(
        sha256=parsed.source.sha256, rows=result.rows, created=len(result.created), dry_run=dry_run
    )
    await audit.record(context.sessions, entry, by=audit.By.actor(caller.actor))
    return result


async def _plan(
    context: AppContext, caller: Caller, row: ImportRow, source: ImportSource, now: datetime
) -> PlannedCase:
    """The row checked as a whole, or :class:`RowRefused` with every reason."""
    settings = context.settings

    def refused(column: str, message: str) -> RowRefused:
        return RowRefused([RowError(row.row, column, message)])

    if row.board not in settings.board_codes:
        raise refused(
            "board", f"unknown board '{row.board}'; this service runs {', '.join(sorted(settings.board_codes))}"
        )
    if row.board not in caller.boards:
        raise refused("board", f"you act for board {', '.join(sorted(caller.boards))}, not {row.board}")
    opening_facts = _opening_facts(row)
    fingerprint = _fingerprint(row)
    async with context.sessions() as session:
        existing = await register.find_case_by_idempotency_key(session, board=row.board, key=import_key(row))
        holder = await register.find_case(session, reference=row.reference) if row.reference else None
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise refused(
            "board_case_id", f"'{row.board_case_id}' was imported before as {existing.reference} with other values"
        )
    if holder is not None and (existing is None or existing.reference != holder.reference):
        raise refused("reference", f"{row.reference} is already the reference of another case")
    if existing is not None:
        return PlannedCase(
            row, _opening(context, caller, row, existing.reference, opening_facts), None, fingerprint, source, existing
        )
    opening = _opening(context, caller, row, row.reference or f"{row.board}-import", opening_facts)
    if context.deadline_schedule is None:
        raise ProblemError(503, "Service unavailable", "This API process was started without the deadline calculation.")
    schedules = await context.deadline_schedule(
        ComputeDeadlinesInput(
            rule_pack=opening.rule_pack,
            rule_pack_version=opening.rule_pack_version,
            events=deadline_events(row),
            board=row.board,
        )
    )
    base = new_case_file(opening)
    base.statutory_notices = True  # as the workflow's patches set them on every case started now
    base.publication.deliver_copies = True
    built = build_case(base, row, schedules, now, source)
    return PlannedCase(row, opening, built, fingerprint, source, existing)


def _opening(
    context: AppContext, caller: Caller, row: ImportRow, reference: str, ofsted: OfstedNotifiedByLA | None
) -> OpenCaseInput:
    """The case's opening facts, as ``POST /api/v1/cases`` starts a case; opened by the importer."""
    return OpenCaseInput(
        reference=reference,
        board=row.board,
        aware_on=row.aware_on,
        notified_on=row.notified_on,
        incident=row.incident,
        rule_pack=SCR_2015.name,
        rule_pack_version=SCR_2015.version,
        opened_by=caller.actor,
        practice=context.settings.local_practice,
        ofsted_notified=ofsted,
    )


def _opening_facts(row: ImportRow) -> OfstedNotifiedByLA | None:
    """The opening facts checked as opening a case checks them; the local authority's own notice to Ofsted."""
    told = row.on("ofsted_notified_on")
    notice = (
        OfstedNotifiedIn(notified_on=told, notified_by=row.recorded_by or "the local authority (imported)")
        if told is not None
        else None
    )
    try:
        OpenCaseRequest(
            board=row.board,
            aware_on=row.aware_on,
            notified_on=row.notified_on,
            incident=row.incident,
            ofsted_notified=notice,
        )
    except ValidationError as invalid:
        errors = [
            RowError(row.row, _column(problem["loc"], problem["msg"]), problem["msg"]) for problem in invalid.errors()
        ]
        raise RowRefused(errors) from None
    return OfstedNotifiedByLA(notified_on=notice.notified_on, notified_by=notice.notified_by) if notice else None


def _column(location: tuple[int | str, ...], message: str) -> str:
    """The import column a validation error of the opening facts is about."""
    named = [str(part) for part in location if isinstance(part, str) and part not in ("incident", "ofsted_notified")]
    if named:
        return "ofsted_notified_on" if named[-1] == "notified_on" and "ofsted_notified" in location else named[-1]
    for column in ("notified_on", "age_at_incident", "learning_review_reason", "suspected_suicide"):
        if column in message:
            return column
    return "outcome"


async def _create(context: AppContext, caller: Caller, plan: PlannedCase) -> tuple[Case, bool]:
    """The row's register entry: the one an earlier import made, or a new one (with the board's own reference)."""
    if plan.existing is not None:
        return plan.existing, False
    row = plan.row
    try:
        async with context.sessions.begin() as session:
            if row.reference is not None:
                _, year, number = row.reference.split("-")
                await register.reserve_reference(session, board=row.board, year=int(year), number=int(number))
            case = await register.create_case(
                session,
                board=row.board,
                year=row.notified_on.year,
                idempotency_key=import_key(row),
                request_fingerprint=plan.fingerprint,
                stage=Stage.NOTIFIED.value,
                rule_pack=plan.opening.rule_pack,
                rule_pack_version=plan.opening.rule_pack_version,
                aware_on=row.aware_on,
                notified_on=row.notified_on,
                incident=row.incident.model_dump(mode="json"),
                created_by=caller.actor.user,
                workflow_id_for=case_workflow_id,
                reference=row.reference,
            )
    except IntegrityError:
        # The same row imported at the same moment by another request: that one created it.
        async with context.sessions() as session:
            found = await register.find_case_by_idempotency_key(session, board=row.board, key=import_key(row))
        if found is None:
            raise
        return found, False
    return case, True


async def _start(context: AppContext, case: Case, plan: PlannedCase) -> None:
    """Start the case's workflow with the row (again, harmlessly, for a case an earlier import created)."""
    opening = plan.opening.model_copy(update={"reference": case.reference})
    imported = ImportedCase(row=plan.row, source=plan.source)
    try:
        handle = await context.temporal.start_workflow(
            CASE_WORKFLOW,
            CaseWorkflowInput(opening=opening, imported=imported),
            id=case.workflow_id,
            task_queue=context.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(STAGE, Stage.NOTIFIED.value), SearchAttributePair(BOARD, case.board)]
            ),
            static_summary=f"{case.reference} · {case.rule_pack} v{case.rule_pack_version} · imported",
        )
        try:
            await handle.execute_update(REGISTERED_UPDATE, result_type=CaseState, rpc_timeout=UPDATE_WAIT)
        except WorkflowUpdateFailedError:
            await handle.result(rpc_timeout=UPDATE_WAIT)  # the workflow failed: its reason, below
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            await handle.result(rpc_timeout=UPDATE_WAIT)  # a closed review: taken in, recorded, finished
    except WorkflowFailureError as failed:
        # The workflow refused the row (checked here first: only a day's turn between can get there).
        cause = failed.cause
        reason = cause.message if isinstance(cause, ApplicationError) else str(failed)
        raise ProblemError(422, "Invalid request", f"Case {case.reference} could not be taken in: {reason}") from None
    except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
        raise _unavailable(
            error, f"Case {case.reference} is recorded but did not confirm in time; import the same file again."
        ) from error
