"""The `scr` command: run the embedded stack, a worker, the API, migrations, the deadline tool, and exports."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from store.settings import Settings, load_settings
from workers.logging_setup import configure_logging, flush_logs
from workers.ports import PortInUseError

app = typer.Typer(help="Serious Case Review lifecycle service.", no_args_is_help=True, add_completion=False)


def _exit(code: int) -> None:
    # The Temporal SDK can crash at interpreter exit (sdk-python #300); leave without running finalisers.
    flush_logs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _settings() -> Settings:
    """The environment's settings, or a clear message and exit status 2 when they are wrong."""
    try:
        return load_settings()
    except ValidationError as error:
        for problem in error.errors():
            name = "SCR_" + "_".join(str(part) for part in problem["loc"]).upper()
            typer.echo(f"scr: setting {name}: {problem['msg']}", err=True)
        raise typer.Exit(code=2) from None


def _check_notices(settings: Settings) -> None:
    """The worker's notice directory and templates, checked before anything starts: one clear line and exit
    status 2 when they are wrong (the worker itself would refuse them later, with a traceback)."""
    from activities.notice_templates import NoticeTemplateError, NoticeTemplates
    from store.notice_directory import NoticeDirectoryError, load_notice_directory

    try:
        load_notice_directory(settings)
        NoticeTemplates()
    except (NoticeDirectoryError, NoticeTemplateError) as error:
        typer.echo(f"scr: {error}", err=True)
        raise typer.Exit(code=2) from None


def _check_api_start(settings: Settings, command: str) -> None:
    """The API's refusal of an unsafe set-up (dev tokens in production, missing OIDC settings or secrets) as one
    line and exit status 2, before anything starts, instead of a traceback from inside the app."""
    from api.auth import check_auth_settings

    try:
        check_auth_settings(settings)
    except RuntimeError as error:
        typer.echo(f"scr {command}: {error}", err=True)
        raise typer.Exit(code=2) from None


@app.command()
def dev() -> None:
    """Run the whole embedded stack under ./var (Temporal + UI, SMTP sink, SQLite, worker, API)."""
    from workers.dev_stack import run_dev_stack

    configure_logging("WARNING")
    settings = _settings()
    _check_notices(settings)
    _check_api_start(settings, "dev")
    try:
        asyncio.run(run_dev_stack(settings))
    except PortInUseError as error:
        typer.echo(f"scr dev: {error}", err=True)
        _exit(1)
    _exit(0)


@app.command()
def worker() -> None:
    """Run a worker against TEMPORAL_ADDRESS, using SCR_DATABASE_URL and the SMTP settings."""
    from workers.worker_runtime import configure_json_logging

    configure_json_logging()
    settings = _settings()
    _check_notices(settings)
    _exit(asyncio.run(_run_worker(settings)))


async def _run_worker(settings: Settings) -> int:
    """Metrics, health endpoint, SIGTERM grace and a non-zero exit on fatal errors: workers/worker_runtime.py."""
    from workers.worker_runtime import run_worker

    return await run_worker(settings)


@app.command()
def api() -> None:
    """Run the staff API (uvicorn) from the environment's settings."""
    import uvicorn

    from api.app import create_app
    from workers.logging_setup import uvicorn_log_config
    from workers.worker_runtime import configure_json_logging

    configure_json_logging()  # every line JSON, uvicorn's too (uvicorn_log_config)
    settings = _settings()
    _check_api_start(settings, "api")
    try:
        from workers.ports import ensure_free

        ensure_free(settings.api_host, settings.api_port, "staff API", "SCR_API_PORT")
    except PortInUseError as error:
        typer.echo(f"scr api: {error}", err=True)
        _exit(1)
    from workers.case_worker import deadline_calculation

    app = create_app(settings, deadline_schedule=deadline_calculation(settings).compute_case_deadlines)
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_config=uvicorn_log_config())
    _exit(0)


@app.command()
def migrate() -> None:
    """Bring the database at SCR_DATABASE_URL to the newest schema."""
    from store.migrate import upgrade_to_head_sync

    upgrade_to_head_sync(_settings().database_url)
    typer.echo("database is at the newest schema")


@app.command()
def deadlines(
    aware_on: Annotated[
        str | None, typer.Option(metavar="DATE", help="The local authority became aware of the incident.")
    ] = None,
    notified_on: Annotated[
        str | None, typer.Option(metavar="DATE", help="The LSCB was notified of the incident.")
    ] = None,
    initiated_on: Annotated[str | None, typer.Option(metavar="DATE", help="The SCR was initiated.")] = None,
    publication_on: Annotated[str | None, typer.Option(metavar="DATE", help="The planned publication date.")] = None,
    published_on: Annotated[str | None, typer.Option(metavar="DATE", help="The report was published.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object: deadline key to due date.")] = False,
) -> None:
    """Print every deadline (rule pack SCR 2015) the given dates determine. Dates are YYYY-MM-DD; give at least one."""
    from domain.rule_pack import CaseEvent
    from workers.deadline_cli import DeadlineInputError, deadlines_report

    given = {
        CaseEvent.AWARE: aware_on,
        CaseEvent.NOTIFIED: notified_on,
        CaseEvent.INITIATED: initiated_on,
        CaseEvent.PUBLICATION_PLANNED: publication_on,
        CaseEvent.PUBLISHED: published_on,
    }
    try:
        report = deadlines_report(given, as_json=as_json, closures=_settings().closures)
    except DeadlineInputError as error:
        typer.echo(f"scr deadlines: {error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(report)


@app.command()
def export(
    case: Annotated[str | None, typer.Option(metavar="REFERENCE", help="One case, e.g. NEL-2026-0001.")] = None,
    board: Annotated[str | None, typer.Option(metavar="BOARD", help="Every case of the board, as one zip.")] = None,
    export_format: Annotated[
        str, typer.Option("--format", metavar="json|pdf", help="One case's format (default json).")
    ] = "json",
    out: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Where to write (JSON: stdout if not given).")
    ] = None,
) -> None:
    """Export a case's whole file (JSON per docs/schemas/case-export.v1.json, or a PDF bundle) or a board's case
    files as one zip with a manifest; audited. Reads SCR_DATABASE_URL and the document store directly."""
    from api.errors import ProblemError
    from api.services.case_export import ExportFormat
    from workers.export_cli import ExportInputError, check_options, run_export

    if export_format not in ("json", "pdf"):
        typer.echo("scr export: --format is json or pdf", err=True)
        raise typer.Exit(code=2)
    chosen: ExportFormat = "pdf" if export_format == "pdf" else "json"
    settings = _settings()
    try:
        check_options(case=case, board=board, export_format=chosen, out=out)
    except ExportInputError as error:
        typer.echo(f"scr export: {error}", err=True)
        raise typer.Exit(code=2) from None
    try:
        with out.open("wb") if out is not None else os.fdopen(os.dup(sys.stdout.fileno()), "wb") as target:
            written = asyncio.run(run_export(settings, case=case, board=board, export_format=chosen, target=target))
    except BaseException as error:
        if out is not None:
            out.unlink(missing_ok=True)  # an export is complete or absent
        if not isinstance(error, (ExportInputError, ProblemError)):
            raise
        typer.echo(f"scr export: {getattr(error, 'detail', error)}", err=True)
        raise typer.Exit(code=2 if isinstance(error, ExportInputError) else 1) from None
    typer.echo(f"scr export: {written} written to {out or 'standard output'}", err=True)


@app.command(name="import")
def import_reviews(
    file: Annotated[str, typer.Argument(help="CSV (header row) or JSON file of reviews in progress")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be created and every error")] = False,
    api_url: Annotated[str, typer.Option(help="The staff API", envvar="SCR_API_URL")] = "http://127.0.0.1:8000",
    token: Annotated[str, typer.Option(help="The business manager's bearer token", envvar="SCR_API_TOKEN")] = "",
) -> None:
    """Import a board's reviews in progress (format: README, 'Importing reviews in progress') through the API."""
    from pathlib import Path

    from workers.import_cli import ImportFailed, render, send_import

    try:
        report = send_import(Path(file), api_url=api_url, token=token, dry_run=dry_run)
    except ImportFailed as failed:
        typer.echo(str(failed), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(render(report))
    if report.get("errors"):
        raise typer.Exit(code=1)
