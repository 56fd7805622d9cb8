"""What the staff console's browser journeys share: a page that notes every fault, axe-core's WCAG 2.2 AA check
(with JavaScript off too), screenshots at 320 and 1280 px, the dev sign-in, and the API for setting a case up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, ConsoleMessage, Page, Response, Route

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "console"
WIDTHS = (320, 1280)
AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"  # from package-lock.json
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCRIPTS = re.compile(r"<script\b.*?</script>", re.S | re.I)


async def watched_page(browser: Browser, *, javascript: bool, problems: list[str], bypass_csp: bool = False) -> Page:
    """A page that notes every console error, script error, failed request and asset answered with 400 or more.
    A page itself may answer 400 (a form shown again with its errors) or 403/404 (the error pages): the journeys
    check those pages, and Chromium's console line for them ("Failed to load resource" at that page's URL) is
    not a fault. ``bypass_csp`` lets axe-core's script into pages whose policy allows no script (the public
    site)."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=javascript, bypass_csp=bypass_csp
    )
    page = await context.new_page()
    documents: set[str] = set()

    def answered(response: Response) -> None:
        if response.request.resource_type == "document":
            documents.add(response.url)
        elif response.status >= 400:
            problems.append(f"{response.status} for {response.url}")

    def console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if message.text.startswith("Failed to load resource") and message.location.get("url") in documents:
            return
        problems.append(f"console error: {message.text} ({message.location.get('url')})")

    page.on("response", answered)
    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    return page


async def accessible(page: Page, javascript: bool) -> None:
    """axe-core's WCAG 2.2 AA rules find nothing on the page. A page rendered with JavaScript off cannot run axe
    itself, so its HTML as rendered (``page.content()``), without its scripts, is served at its own address to
    a page of a context with JavaScript on (so its stylesheet, images and fonts load as they did) and axe runs
    there: the DOM and styles axe checks are those the person without JavaScript gets."""
    if javascript:
        await _axe(page)
        return
    assert page.context.browser is not None
    html = SCRIPTS.sub("", await page.content())
    size = page.viewport_size or {"width": 1280, "height": 900}
    checker = await page.context.browser.new_context(viewport=size, bypass_csp=True)
    try:
        twin = await checker.new_page()
        url = page.url

        async def serve(route: Route) -> None:
            await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        await twin.route(lambda address: address == url, serve)
        await twin.route(re.compile(r".*\.m?js(\?.*)?$"), lambda route: route.abort())  # no script runs
        await twin.goto(url)
        await twin.wait_for_load_state("load")
        assert await twin.title() == await page.title(), "the copy is not the page"  # not a sign-in redirect
        assert await twin.evaluate("document.body.classList.contains('js-enabled')") is False
        font = await twin.locator("h1").evaluate("element => getComputedStyle(element).fontFamily")
        assert "system-ui" in font, f"{url}: the stylesheet did not load for axe ({font})"
        await _axe(twin, shown_as=f"{url} (JavaScript off)")
    finally:
        await checker.close()


async def _axe(page: Page, shown_as: str | None = None) -> None:
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA)
    assert len(found["passes"]) >= 5, "axe-core did not run its rules"  # a short page passes fewer
    violations = [f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})" for v in found["violations"]]
    assert violations == [], f"{shown_as or page.url}: {violations}"


async def screenshots(page: Page, name: str, javascript: bool) -> None:
    """Screenshots at each width; at each the page fits (it never scrolls sideways) and is accessible."""
    await accessible(page, javascript)
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.screenshot(path=ARTIFACTS / f"{name}-{width}.png", full_page=True)
        scroll_width = await page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name} is {scroll_width}px wide at {width}px"
    await page.set_viewport_size({"width": 1280, "height": 900})


async def sign_in_as(page: Page, role: str, user: str) -> None:
    await page.get_by_label(role).check()
    await page.get_by_label("User name").fill(user)
    await page.get_by_label("Board").select_option("NEL")
    await page.get_by_role("button", name="Sign in").click()
    # Signing in lands on My tasks: let it load, so the test's next navigation never aborts it half-way.
    await page.wait_for_url("**/console/tasks")
    await page.wait_for_load_state()


async def sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/console/sign-in")


class StaffApi:
    """The staff API of the same `scr dev`, with dev tokens, to set a case up before the console is used."""

    def __init__(self, port: str) -> None:
        self._base = f"http://127.0.0.1:{port}/api/v1"

    async def post(self, path: str, body: dict[str, Any], role: str, user: str) -> dict[str, Any]:
        return await self._send("POST", path, body, role, user)

    async def put(self, path: str, body: dict[str, Any], role: str, user: str) -> dict[str, Any]:
        return await self._send("PUT", path, body, role, user)

    async def _send(self, method: str, path: str, body: dict[str, Any], role: str, user: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as http:
            sent = await http.request(
                method, f"{self._base}{path}", json=body, headers={"Authorization": f"Bearer dev:{role}:{user}:NEL"}
            )
        assert sent.status_code in (200, 201), sent.text
        answer: dict[str, Any] = sent.json()
        return answer

    async def open_case(self, aware_on: str) -> str:
        body = {
            "board": "NEL",
            "aware_on": aware_on,
            "notified_on": aware_on,
            "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
        }
        return str((await self.post("/cases", body, "business_manager", "bob"))["reference"])
