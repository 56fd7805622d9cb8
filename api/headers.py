"""Response headers every download and page shares: how a file is offered (``Content-Disposition``) and the
content security policies that keep our pages out of other sites' frames."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_FRAMING = "frame-ancestors 'none'"
SITE_PAGE_POLICY = f"default-src 'self'; style-src 'self' 'unsafe-inline'; {NO_FRAMING}"
"""Pages of the public website: their own styles only, never shown inside another site's frame."""
SUMMARY_PAGE_POLICY = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; {NO_FRAMING}"
"""The learning summary page: inline styles and charts, nothing fetched, never framed."""
DOWNLOAD_POLICY = f"sandbox; default-src 'none'; {NO_FRAMING}"
"""A downloaded document opened in the browser anyway: no script, no fetches, no framing."""
_FALLBACK_NAME = "download"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment`` with a safe name: an ASCII fallback in ``filename`` (no quotes, backslashes, control or
    non-ASCII characters) and the exact UTF-8 name in ``filename*`` (RFC 6266, RFC 5987)."""
    name = "".join(c for c in unicodedata.normalize("NFC", filename) if unicodedata.category(c)[0] != "C")
    name = name.replace("/", "_").replace("\\", "_").strip() or _FALLBACK_NAME
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(c if c.isprintable() and c not in '"\\;' else "_" for c in folded).strip()
    if not fallback or fallback.startswith("."):  # nothing left of the name but its extension
        fallback = _FALLBACK_NAME + fallback
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class NoFraming:
    """Every HTML page the app serves (the OpenAPI pages too) forbids being framed by another site: a page with
    a policy of its own gets ``frame-ancestors 'none'`` added to it, one without gets that policy alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def framed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                if headers.get("content-type", "").startswith("text/html"):
                    policy = headers.get("content-security-policy")
                    if policy is None:
                        headers["content-security-policy"] = NO_FRAMING
                    elif "frame-ancestors" not in policy:
                        headers["content-security-policy"] = f"{policy}; {NO_FRAMING}"
                    headers.setdefault("x-frame-options", "DENY")
                message["headers"] = headers.raw
            await send(message)

        await self.app(scope, receive, framed)
