"""The staff console in Debian's Chromium against `scr dev`, as board members would use it, with JavaScript on and
off: the business manager opens a case; the sub-group sees it in My tasks, opens it and records the screening (an
error, the fix, check answers, the banner, the timeline); the business manager records the identifying details and
opens the anonymisation check; a document uploaded (errors first, in GOV.UK's words) appears on the case with its
anonymisation state and the chair sees its hits; a case already past its deadlines reaches My tasks tagged
Overdue under the overdue banner; Enter in a list form continues rather than adding an item; the error pages;
the public site's index before anything is published. Fails on a console error and on any response of 400 or
more (a missing stylesheet, script or image included). Screenshots at 320 and 1280 px go to
test-artifacts/console/. axe-core checks every page against WCAG 2.2 AA, with JavaScript off too (see
``accessible`` in console_support.py for how)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from domain.uk_time import london_date
from tests.browser.console_support import ARTIFACTS, StaffApi, screenshots, sign_in_as, sign_out, watched_page
from tests.support.dev_stack import running_dev_stack, stack_env, wait_for_line
from tests.support.document_files import make_pdf

BROWSER = os.environ.get("SCR_TEST_BROWSER", "/usr/bin/chromium")  # scripts/browser installs it
NAME = "Jamie Quenby"


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
    assert await page.locator("h1").inner_text() == "Cases"
    await screenshots(page, f"cases{suffix}", javascript)
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
    await screenshots(page, f"open-case-check{suffix}", javascript)
    await page.get_by_role("button", name="Open the case").click()
    banner = await page.locator(".govuk-notification-banner--success").inner_text()
    assert "Case opened" in banner
    reference = await page.locator("h1").inner_text()
    assert reference.startswith(f"NEL-{today.year}-")
    await sign_out(page)

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
    recorded = await page.locator(".govuk-notification-banner--success").inner_text()
    assert "Decision recorded: record the sub-group's screening recommendation." in recorded
    assert "<p" not in recorded  # markup, not text
    assert "Seen at the sub-group" in await page.locator(".moj-timeline").inner_text()
    await screenshots(page, f"decision-recorded{suffix}", javascript)

    # The upload form and the learning summaries page: accessible and styled as the rest.
    await page.goto(f"{console}/cases/{reference}/documents")
    assert await page.locator("h1").inner_text() == "Upload a document"
    await screenshots(page, f"upload{suffix}", javascript)
    await page.get_by_role("link", name="Learning summaries").click()
    assert await page.locator("h1").inner_text() == "Learning summaries"
    await screenshots(page, f"learning-summaries{suffix}", javascript)

    # The error pages, in the console's look with its navigation: a role that may not, a page that is not.
    await page.goto(f"{console}/cases/{reference}/anonymisation")
    assert await page.locator("h1").inner_text() == "You cannot do this"
    await screenshots(page, f"error-403{suffix}", javascript)
    await page.goto(f"{console}/cases/NEL-1999-9999")
    assert await page.locator("h1").inner_text() == "Page not found"
    await screenshots(page, f"error-404{suffix}", javascript)
    await sign_out(page)

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
    await sign_out(page)

    # The public site, before anything is published: an index that says so, in the same look.
    page = await watched_page(browser, javascript=javascript, problems=problems, bypass_csp=True)
    await page.goto(console.removesuffix("/console") + "/public/")
    assert await page.locator("h1").inner_text() == "Serious Case Reviews"
    assert "Nothing has been published yet." in await page.inner_text("main")
    font = await page.locator("h1").evaluate("element => getComputedStyle(element).fontFamily")
    assert "system-ui" in font
    await screenshots(page, f"public-empty{suffix}", javascript)
    assert problems == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_upload_a_document_then_see_its_anonymisation_state_and_hits(
    stack: dict[str, str], browser: Browser, javascript: bool, tmp_path: Path
) -> None:
    console = f"http://127.0.0.1:{stack['SCR_API_PORT']}/console"
    api = StaffApi(stack["SCR_API_PORT"])
    reference = await api.open_case(london_date(datetime.now(UTC)).isoformat())
    await api.put(f"/cases/{reference}/identifiers", {"names": [NAME]}, "business_manager", "bob")
    problems: list[str] = []
    page = await watched_page(browser, javascript=javascript, problems=problems)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if javascript else "-no-js"
    report = tmp_path / "overview-report.pdf"
    report.write_bytes(make_pdf([[f"The child, {NAME}, lived with her mother."]]))
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)

    await page.goto(console)
    await sign_in_as(page, "Business manager", "bob")
    await page.goto(f"{console}/cases/{reference}")
    assert "No documents yet." in await page.inner_text("main")
    await page.get_by_role("link", name="Upload a document").click()
    assert await page.locator("h1").inner_text() == "Upload a document"

    # Nothing chosen: both questions are answered in GOV.UK's words, each linked to its field.
    await page.get_by_role("button", name="Upload", exact=True).click()
    assert (await page.title()).startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert "Select the type of document" in await summary.inner_text()
    assert "Select a file" in await summary.inner_text()
    await screenshots(page, f"upload-errors{suffix}", javascript)
    await summary.get_by_role("link", name="Select the type of document").click()

    # A file of a type the service does not take.
    await page.get_by_label("Overview report").check()
    await page.get_by_label("Upload a file").set_input_files(picture)
    await page.get_by_role("button", name="Upload", exact=True).click()
    assert (await page.title()).startswith("Error: ")
    wrong = "The selected file must be a PDF, Word document (.docx), text, Markdown or HTML file"
    assert wrong in await page.locator(".govuk-error-summary").inner_text()
    assert await page.get_by_label("Overview report").is_checked()  # kept

    # The report: on the case, with its anonymisation state (counts only, never the matched text).
    await page.get_by_label("Upload a file").set_input_files(report)
    await page.get_by_role("button", name="Upload", exact=True).click()
    await page.wait_for_url(f"{console}/cases/{reference}?uploaded=1")
    main = await page.inner_text("main")
    assert "overview-report.pdf" in main
    assert "Anonymisation: Not clear 1 hit, 0 unreadable parts" in " ".join(main.split())
    assert "Quenby" not in await page.content()
    await screenshots(page, f"uploaded{suffix}", javascript)
    await sign_out(page)

    # The chair sees the hit itself on the anonymisation check, with the form to accept it.
    await sign_in_as(page, "Independent chair", "alice")
    await page.goto(f"{console}/cases/{reference}/anonymisation")
    assert await page.locator("h1").inner_text() == "Anonymisation check"
    assert NAME in await page.inner_text("main")
    await screenshots(page, f"anonymisation-hits{suffix}", javascript)
    assert problems == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_an_overdue_case_reaches_my_tasks(stack: dict[str, str], browser: Browser, javascript: bool) -> None:
    """A case the board learnt of 60 days ago: its screening is long past due when it is opened."""
    console = f"http://127.0.0.1:{stack['SCR_API_PORT']}/console"
    reference = await StaffApi(stack["SCR_API_PORT"]).open_case(
        (london_date(datetime.now(UTC)) - timedelta(days=60)).isoformat()
    )
    problems: list[str] = []
    page = await watched_page(browser, javascript=javascript, problems=problems)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if javascript else "-no-js"

    await page.goto(console)
    await sign_in_as(page, "Sub group", "sam")
    row = page.locator("tr", has_text=reference)
    for _ in range(50):  # opening answers before the register has written the case's task: look again
        if await row.count():
            break
        await page.reload()
    assert "Screen the referral and recommend to the chair" in await row.inner_text()
    assert await row.locator(".govuk-tag--red").inner_text() == "Overdue"
    banner = await page.locator(".govuk-notification-banner").inner_text()
    assert re.search(r"\b[1-9]\d* tasks? (is|are) overdue", banner), banner
    first = page.locator("tbody tr").first  # soonest first: an overdue task heads the list
    assert await first.locator(".govuk-tag--red").inner_text() == "Overdue"
    await screenshots(page, f"my-tasks-overdue{suffix}", javascript)
    await sign_out(page)

    # Someone with two roles acts in one at a time and switches visibly; the chair may compile a summary.
    await page.get_by_label("Business manager").check()
    await page.get_by_label("Independent chair").check()
    await page.get_by_label("User name").fill("pat")
    await page.get_by_label("Board").select_option("NEL")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{console}/tasks")
    await page.get_by_role("link", name="Switch role").click()
    assert await page.locator("h1").inner_text() == "Which role do you want to act in?"
    await screenshots(page, f"switch-role{suffix}", javascript)
    await page.get_by_label("Independent chair").check()
    await page.get_by_role("button", name="Switch role").click()
    await page.wait_for_url(f"{console}/tasks")
    assert "pat (independent chair, NEL)" in await page.inner_text("header")
    await page.get_by_role("link", name="Learning summaries").click()
    assert "Compile a year's summary" in await page.inner_text("main")
    await screenshots(page, f"learning-compile{suffix}", javascript)
    assert problems == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_enter_in_a_list_form_continues(stack: dict[str, str], browser: Browser, javascript: bool) -> None:
    """Enter in a field of an "Add another" list goes on to Check your answers: it never only adds an item."""
    console = f"http://127.0.0.1:{stack['SCR_API_PORT']}/console"
    api = StaffApi(stack["SCR_API_PORT"])
    reference = await api.open_case(london_date(datetime.now(UTC)).isoformat())
    screening = {"recommendation": "initiate_scr", "rationale": "Screened at the sub-group"}
    await api.post(f"/cases/{reference}/decisions/screening", screening, "sub_group", "sam")
    await api.post(
        f"/cases/{reference}/decisions/chair",
        {"decision": "initiate_scr", "rationale": "Criteria met"},
        "independent_chair",
        "alice",
    )
    problems: list[str] = []
    page = await watched_page(browser, javascript=javascript, problems=problems)
    suffix = "" if javascript else "-no-js"

    await page.goto(console)
    await sign_in_as(page, "Business manager", "bob")
    await page.goto(f"{console}/cases/{reference}/decisions/reviewers")
    await page.locator("#reviewers-0-name").fill("R. Viewer")
    await page.locator("#reviewers-0-organisation").fill("Independent")
    await page.locator("#reviewers-0-independence_statement").fill("No prior involvement with the agencies")
    await screenshots(page, f"decision-list{suffix}", javascript)
    await page.locator("#reviewers-0-name").press("Enter")
    await expect(page.locator("h1")).to_have_text("Check your answers")
    assert "R. Viewer" in await page.inner_text("main")
    assert problems == []
