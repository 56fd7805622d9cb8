"""The staff API (FastAPI). OpenAPI at /docs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.context import AppContext, Context
from api.errors import install_error_handlers
from api.routers import cases, screening
from api.schemas import HealthOut
from store.database import create_engine, session_factory
from store.settings import Settings
from workflows.temporal_client import connect


def create_app(settings: Settings, context: AppContext | None = None) -> FastAPI:
    """The app; with ``context`` given (tests, the embedded stack) it uses those connections as they are."""
    if settings.auth_mode != "dev":
        raise RuntimeError("SCR_AUTH_MODE=oidc is not available in this build yet; use SCR_AUTH_MODE=dev.")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if context is not None:
            app.state.context = context
            yield
            return
        engine = create_engine(settings.database_url)
        temporal = await connect(settings.temporal_address, settings.temporal_namespace)
        app.state.context = AppContext(settings=settings, sessions=session_factory(engine), temporal=temporal)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Serious Case Review lifecycle",
        version="0.1.0",
        description="Staff API of the Local Safeguarding Children Board's Serious Case Review service.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(cases.router)
    app.include_router(screening.router)

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
