"""Reading console pages in tests: the title, the h1s, hidden CSRF tokens, and signing in the way a browser does."""

from __future__ import annotations

import html
import re

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found, "the page has no title"
    return html.unescape(found.group(1).strip())


def h1s(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", h).strip()) for h in re.findall(r"<h1\b.*?</h1>", page, re.S)]


def one_h1(page: str) -> str:
    found = h1s(page)
    assert len(found) == 1, f"expected exactly one h1, found {found}"
    return found[0]


def csrf_token(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


async def sign_in(http: httpx.AsyncClient, role: str, user: str = "sam", board: str = "") -> httpx.Response:
    page = await http.get("/console/sign-in")
    assert page.status_code == 200
    form = {"csrf_token": csrf_token(page.text), "role": role, "user": user, "board": board}
    return await http.post("/console/sign-in", data=form)
