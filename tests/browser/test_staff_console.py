"""The staff console in Debian's Chromium against `scr dev`, as board members would use it: the business manager
opens a case; the sub-group sees it in My tasks, opens it and records the screening (an error, the fix, check
answers, the banner, the timeline); the business manager records the identifying details and opens the
anonymisation check; the public site's index before anything is published. With JavaScript on and off. Fails on
a console error and on any response of 400 or more (a missing stylesheet, script or image included). Screenshots
at 320 and 1280 px go to test-artifacts/console/. axe-core checks every page against WCAG 2.2 AA (with JavaScript
on)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Response, async_playwright

from domain.uk_time import london_date
from tests.support.dev_stack import running_dev_stack, stack_env, wait_for_line

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "console"
BROWSER = os.environ.get("SCR_TEST_BROWSER", "/usr/bin/chromium")  # scripts/browser installs it
WIDTHS = (320, 1280)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = stack_env(tmp_path_factory.mktemp("console"))
    with running_dev_stack(env) as process:
        printed = wait_for_line(process, "Press Ctrl-C to stop.", seconds=90)
        assert f"staff console    http://127.0.0.1:{env['SCR_API_PORT']}/console" in printed
        yield env


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert Path(BROWSER).exists(), f"{BROWSER} is missing: scripts/test installs Debian's chromium (scripts/browser)"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        yield launched
        await launched.close()


async def watched_page(browser: Browser, *, javascript: bool, problems: list[str], bypass_csp: bool = False) -> Page:
    """A page that notes every console error, script error, failed request and asset answered with 400 or more.
    A page itself may answer 400 (a form shown again with its errors): the journey checks those pages, and
    Chromium's console line for them ("Failed to load resource" at that page's URL) is not a fault. ``bypass_csp``
    lets axe-core's script into pages whose policy allows no script (the public site)."""
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


AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"  # from package-lock.json
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


async def accessible(page: Page, javascript: bool) -> None:
    """axe-core's WCAG 2.2 AA rules find nothing on the page (run when the page allows scripts)."""
    if not javascript:
        return
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA)
    assert len(found["passes"]) >= 5, "axe-core did not run its rules"  # a short page passes fewer
    violations = [f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})" for v in found["violations"]]
    assert violations == [], f"{page.url}: {violations}"


async def screenshots(page: Page, name: str, javascript: bool = False) -> None:
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


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_open_a_case_then_screen_it_from_my_tasks(
    stack: dict[str, str], browser: Browser, javascript: bool
) -> None:
    console = f"http://127.0.0.1:{stack['SCR_API_PORT']}/console"
    problems: list[str] = []
    page = await watched_page(browser, javascript=javascript, problems=problems)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if javascript else "-no-js"

    await page.goto(console)
    assert await page.locator("h1").inner_text() == "Sign in"
    # Styled by the console's own stylesheet (system fonts, not GDS Transport): the assets were built and served.
    font = await page.locator("h1").evaluate("element => getComputedStyle(element).fontFamily")
    assert "system-ui" in font
    assert "GDS Transport" not in font
    await screenshots(page, f"sign-in{suffix}", javascript)

    # The business manager opens the case.
    await sign_in_as(page, "Business manager", "bob")
    await page.get_by_role("link", name="Cases").click()
    await page.get_by_role("button", name="Open a case").click()
    assert await page.locator("h1").inner_text() == "Open a case"
    today = london_date(datetime.now(UTC))
    for field in ("aware_on", "notified_on"):
        await page.locator(f"#{field}-day").fill(str(today.day))
        await page.locator(f"#{field}-month").fill(str(today.month))
        await page.locator(f"#{field}-year").fill(str(today.year))
    await page.get_by_label("Died").check()
    await page.get_by_label("Suspected", exact=True).check()
    await screenshots(page, f"open-case{suffix}", javascript)
    await page.get_by_role("button", name="Continue").click()
    assert await page.locator("h1").inner_text() == "Check your answers"
    await page.get_by_role("button", name="Open the case").click()
    banner = await page.locator(".govuk-notification-banner--success").inner_text()
    assert "Case opened" in banner
    reference = await page.locator("h1").inner_text()
    assert reference.startswith(f"NEL-{today.year}-")
    await page.get_by_role("button", name="Sign out").click()

    # The sub-group finds it in My tasks.
    await sign_in_as(page, "Sub group", "sam")
    await page.wait_for_url(f"{console}/tasks")
    assert await page.locator("h1").inner_text() == "My tasks"
    row = page.locator("tr", has_text=reference)
    await row.get_by_text("Screen the referral and recommend to the chair").wait_for(timeout=15_000)
    assert "sam (sub group, NEL)" in await page.inner_text("header")
    await screenshots(page, f"my-tasks{suffix}", javascript)

    await row.get_by_role("link", name=reference).click()
    await page.wait_for_url(f"{console}/cases/{reference}")
    assert await page.locator("h1").inner_text() == reference
    text = await page.inner_text("main")
    assert "Independent chair decides whether to initiate an SCR" in text  # a deadline, with its rule and source
    assert "Case opened under SCR 2015" in text  # the timeline
    await screenshots(page, f"case{suffix}", javascript)

    # Record the screening: an error first, then the fix.
    await page.get_by_role("link", name="Screen the referral and recommend to the chair").click()
    assert await page.locator("h1").inner_text() == "Record the sub-group's screening recommendation"
    await page.get_by_label("Rationale").fill("Seen at the sub-group")
    await page.get_by_role("button", name="Continue").click()
    assert (await page.title()).startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert "Select recommendation" in await summary.inner_text()
    assert await page.get_by_label("Rationale").input_value() == "Seen at the sub-group"  # kept
    await screenshots(page, f"decision-error{suffix}", javascript)
    await summary.get_by_role("link", name="Select recommendation").click()
    await page.get_by_label("Initiate SCR").check()
    await page.get_by_role("button", name="Continue").click()
    assert await page.locator("h1").inner_text() == "Check your answers"
    assert "Initiate SCR" in await page.inner_text("main")
    await screenshots(page, f"decision-check{suffix}", javascript)
    await page.get_by_role("button", name="Record decision").click()

    await page.wait_for_url(f"{console}/cases/{reference}?recorded=screening")
    assert "Decision recorded" in await page.locator(".govuk-notification-banner--success").inner_text()
    assert "Seen at the sub-group" in await page.locator(".moj-timeline").inner_text()
    await screenshots(page, f"decision-recorded{suffix}", javascript)

    # The upload form and the learning summaries page: accessible and styled as the rest.
    await page.goto(f"{console}/cases/{reference}/documents")
    assert await page.locator("h1").inner_text() == "Upload a document"
    await screenshots(page, f"upload{suffix}", javascript)
    await page.get_by_role("link", name="Learning summaries").click()
    assert await page.locator("h1").inner_text() == "Learning summaries"
    await screenshots(page, f"learning-summaries{suffix}", javascript)
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(f"{console}/sign-in")

    # The business manager records the case's identifying details; the anonymisation check then runs.
    await sign_in_as(page, "Business manager", "bob")
    await page.goto(f"{console}/cases/{reference}")
    await page.get_by_role("link", name="Identifying details").click()
    assert await page.locator("h1").inner_text() == "Identifying details"
    await page.get_by_label("Postcodes (optional)").fill("nowhere")
    await page.get_by_role("button", name="Save identifying details").click()
    assert (await page.title()).startswith("Error: ")
    await page.get_by_label("Postcodes (optional)").fill("")
    await page.get_by_label("Child's and family's names (optional)").fill("Jamie Quenby")
    await screenshots(page, f"identifiers{suffix}", javascript)
    await page.get_by_role("button", name="Save identifying details").click()
    await page.wait_for_url(f"{console}/cases/{reference}?identifiers=1")
    assert "Identifying details recorded" in await page.locator(".govuk-notification-banner--success").inner_text()
    assert "Quenby" not in await page.content()
    await page.get_by_role("link", name="Anonymisation check").click()
    assert await page.locator("h1").inner_text() == "Anonymisation check"
    assert "Overview report" in await page.inner_text("main")  # not uploaded yet: publication needs it
    await screenshots(page, f"anonymisation{suffix}", javascript)
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(f"{console}/sign-in")

    # The public site, before anything is published: an index that says so, in the same look.
    page = await watched_page(browser, javascript=javascript, problems=problems, bypass_csp=True)
    await page.goto(console.removesuffix("/console") + "/public/")
    assert await page.locator("h1").inner_text() == "Serious Case Reviews"
    assert "Nothing has been published yet." in await page.inner_text("main")
    font = await page.locator("h1").evaluate("element => getComputedStyle(element).fontFamily")
    assert "system-ui" in font
    await screenshots(page, f"public-empty{suffix}", javascript)
    assert problems == []
