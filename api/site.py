"""The public website: the publisher's static folder (SCR_SITE_DIR) served under /public, without sign-in, with
the site's stylesheet (``site.css``, beside this module) and, until the publisher writes the site's index, an index
page that says nothing is published yet."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from api.headers import SITE_PAGE_POLICY, content_disposition
from store.document_store import document_store_from_settings
from store.settings import Settings

PUBLIC_PATH = "/public"
STYLESHEET = Path(__file__).parent / "site.css"
STYLESHEET_NAME = "site.css"  # the site's pages link it at the site's root
EMPTY_INDEX = """<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Serious Case Reviews</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="site.css">
</head>
<body>
<a class="site-skip" href="#main">Skip to main content</a>
<header class="site-header"><div class="site-width"><a href="./">Local Safeguarding Children Board</a></div></header>
<div class="site-width">
<main id="main">
<h1>Serious Case Reviews</h1>
<p>Nothing has been published yet.</p>
<p>The board publishes the overview report and executive summary of each Serious Case Review, with the board's
response, here.</p>
{learning}</main>
</div>
<footer class="site-footer"><div class="site-width">Serious Case Reviews published by the Local Safeguarding Children
Board.</div></footer>
</body>
</html>
"""
LEARNING_LINK = (
    '<p>The board publishes an <a href="learning/">annual summary of the findings and recommendations</a> of its '
    "reviews.</p>\n"
)


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
                page = content_type.startswith(b"text/html") or own is not None  # this site's own index or style
                if message["status"] in (200, 206) and not page:
                    # A published PDF or Word file is saved, never opened inside the site's origin.
                    name = scope["path"].rstrip("/").rsplit("/", 1)[-1]
                    headers.append((b"content-disposition", content_disposition(name).encode()))
                message["headers"] = headers
            await send(message)

        own = self._own_page(scope)
        if own is not None:
            await own(scope, receive, with_headers)
            return
        await super().__call__(scope, receive, with_headers)

    def _own_page(self, scope: Scope) -> Response | None:
        """The stylesheet, or the index before the publisher has written one; None: a file of the folder."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        path = self.get_path(scope)
        if path == STYLESHEET_NAME:
            return Response(STYLESHEET.read_bytes(), media_type="text/css")
        if path == "." and scope["path"].endswith("/") and not (self._root / "index.html").is_file():
            learning = LEARNING_LINK if (self._root / "learning" / "index.html").is_file() else ""
            return HTMLResponse(EMPTY_INDEX.format(learning=learning))
        return None


def install_site(app: FastAPI, settings: Settings) -> None:
    """Mount the public site and keep the document store the document endpoints use."""
    app.state.document_store = document_store_from_settings(settings)
    app.mount(PUBLIC_PATH, SiteFiles(settings.site_dir), name="public")
