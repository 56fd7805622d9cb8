"""The staff API (FastAPI). OpenAPI at /docs."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.auth import install_auth
from api.console import install_console
from api.context import AppContext, Context, DeadlineSchedule
from api.errors import install_error_handlers
from api.headers import NoFraming
from api.limits import RequestSizeLimit
from api.routers import (
    anonymisation,
    calendar,
    cases,
    codec,
    decisions,
    documents,
    exports,
    imports,
    review_requests,
    screening,
    tasks,
)
from api.routers.learning_summaries import router as learning_summaries_router
from api.schemas import HealthOut
from api.site import install_site
from store.database import create_engine, create_reads, session_factory
from store.payload_codec import codec_from_settings
from store.settings import Settings
from store.temporal_client import connect


def create_app(
    settings: Settings, context: AppContext | None = None, *, deadline_schedule: DeadlineSchedule | None = None
) -> FastAPI:
    """The app; with ``context`` given (tests, the embedded stack) it uses those connections as they are.
    ``deadline_schedule``: the worker's deadline calculation, for the import's checks (``AppContext``)."""
    payload_codec = codec_from_settings(settings)  # refuses production without SCR_PAYLOAD_KEYS

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if context is not None:
            app.state.context = context
            yield
            return
        engine = create_engine(settings.database_url)
        reads = create_reads(settings.database_url)
        temporal = await connect(settings.temporal_address, settings.temporal_namespace, payload_codec)
        app.state.context = AppContext(
            settings=settings,
            sessions=session_factory(engine),
            temporal=temporal,
            deadline_schedule=deadline_schedule,
            reads=reads,
        )
        # What start-up built (~230,000 objects: modules, models, routes) is never garbage: frozen, out of the
        # collector's reach, a full collection no longer stalls requests for ~120 ms (BENCHMARKS.md, P13).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await engine.dispose()
            await reads.dispose()

    app = FastAPI(
        title="Serious Case Review lifecycle",
        version="0.1.0",
        description="Staff API of the Local Safeguarding Children Board's Serious Case Review service.",
        lifespan=lifespan,
    )
    install_auth(app, settings)  # refuses oidc without issuer/audience, and dev tokens in production
    install_error_handlers(app)
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(NoFraming)
    app.add_middleware(codec.CodecCorsMiddleware, allow_origins=settings.codec_cors_origins)
    app.include_router(cases.router)
    app.include_router(imports.router)
    app.include_router(decisions.router)
    app.include_router(tasks.router)
    app.include_router(calendar.router)
    app.include_router(screening.router)
    app.include_router(codec.router)
    app.include_router(documents.router)
    app.include_router(anonymisation.router)
    app.include_router(review_requests.router)
    app.include_router(review_requests.public_router)
    app.include_router(learning_summaries_router)
    app.include_router(exports.router)
    install_site(app, settings)  # the public website under /public, and the document store
    install_console(app, settings)  # the staff console under /console (after the error handlers)

    @app.get("/healthz", response_model=HealthOut, tags=["operations"])
    async def health(ctx: Context) -> JSONResponse:
        database = temporal = True
        try:
            async with ctx.sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            database = False
        try:
            await ctx.temporal.service_client.check_health()
        except Exception:
            temporal = False
        ok = database and temporal
        body = HealthOut(status="ok" if ok else "degraded", database=database, temporal=temporal)
        return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

    return app
