"""The public website: the publisher's static folder (SCR_SITE_DIR) served under /public, without sign-in."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from api.headers import SITE_PAGE_POLICY, content_disposition
from store.document_store import document_store_from_settings
from store.settings import Settings

PUBLIC_PATH = "/public"


class SiteFiles(StaticFiles):
    """Static files that answer 404 (not a server error) until the publisher has written the folder."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True, check_dir=False)
        self._root = directory

    async def check_config(self) -> None:
        if self._root.exists():
            await super().check_config()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"content-security-policy", SITE_PAGE_POLICY.encode()),
                    (b"referrer-policy", b"no-referrer"),
                ]
                content_type = dict(headers).get(b"content-type", b"")
                if message["status"] in (200, 206) and not content_type.startswith(b"text/html"):
                    # A published PDF or Word file is saved, never opened inside the site's origin.
                    name = scope["path"].rstrip("/").rsplit("/", 1)[-1]
                    headers.append((b"content-disposition", content_disposition(name).encode()))
                message["headers"] = headers
            await send(message)

        await super().__call__(scope, receive, with_headers)


def install_site(app: FastAPI, settings: Settings) -> None:
    """Mount the public site and keep the document store the document endpoints use."""
    app.state.document_store = document_store_from_settings(settings)
    app.mount(PUBLIC_PATH, SiteFiles(settings.site_dir), name="public")
