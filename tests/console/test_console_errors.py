"""When the register cannot be reached, a console page says there is a problem with the service (with the status
the API gives the same fault) rather than a stack trace or JSON; the API's own answer stays problem+json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from api.context import AppContext
from store.database import create_engine, session_factory
from store.settings import Settings
from tests.console.pages import one_h1, sign_in, title


async def test_a_database_outage_is_a_problem_page(tmp_path: Path) -> None:
    unreachable = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'scr.db'}"  # its folder does not exist
    settings = Settings(database_url=unreachable, var_dir=tmp_path / "var")
    temporal: Any = None  # these pages never reach Temporal before the register fails
    app = create_app(settings)
    engine = create_engine(unreachable)
    app.state.context = AppContext(settings=settings, sessions=session_factory(engine), temporal=temporal)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scr.test") as http:
        await sign_in(http, "sub_group")
        page = await http.get("/console/tasks")
        assert page.status_code == 503
        assert one_h1(page.text) == "Sorry, there is a problem with the service"
        assert title(page.text).startswith("Sorry, there is a problem")
        api = await http.get("/api/v1/tasks", headers={"Authorization": "Bearer dev:sub_group:sam"})
        assert api.status_code == 503
        assert api.headers["content-type"] == "application/problem+json"
    await engine.dispose()
