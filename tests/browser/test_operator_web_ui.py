"""The operators' view: the Temporal Web UI of `scr dev`, opened in Debian's Chromium as an operator would, with no
setup step. Fails on the codec banner, on ciphertext where case data should read plainly, or on a console error.
Screenshots go to test-artifacts/web-ui/."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from domain.uk_time import london_date
from tests.support.dev_stack import running_dev_stack, stack_env, wait_for_line

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "web-ui"
BROWSER = os.environ.get("SCR_TEST_BROWSER", "/usr/bin/chromium")  # scripts/browser installs it
CODEC_BANNER = "Codec Server could not connect"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = stack_env(tmp_path_factory.mktemp("web-ui"))
    with running_dev_stack(env) as process:
        wait_for_line(process, "Press Ctrl-C to stop.", seconds=90)
        yield env


@pytest.fixture(scope="module")
def reference(stack: dict[str, str]) -> str:
    today = london_date(datetime.now(UTC)).isoformat()
    body = {
        "board": "NEL",
        "aware_on": today,
        "notified_on": today,
        "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
    }
    headers = {"Authorization": "Bearer dev:business_manager:bob"}
    with httpx.Client(base_url=f"http://127.0.0.1:{stack['SCR_API_PORT']}", timeout=30) as http:
        opened = http.post("/api/v1/cases", json=body, headers=headers)
    assert opened.status_code == 201, opened.text
    return str(opened.json()["reference"])


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert Path(BROWSER).exists(), f"{BROWSER} is missing: scripts/test installs Debian's chromium (scripts/browser)"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        yield launched
        await launched.close()


async def operator_page(browser: Browser, errors: list[str]) -> Page:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    return page


async def rendered_markdown(page: Page, *, until: str, seconds: float = 15) -> str:
    """The UI renders user metadata (Markdown) in frames of its own: their text, once ``until`` shows."""
    text = ""
    for _ in range(int(seconds * 10)):
        frames = [frame for frame in page.frames if "/render" in frame.url]
        text = "\n".join([await frame.inner_text("body") for frame in frames])
        if until in text:
            return text
        await page.wait_for_timeout(100)
    raise AssertionError(f"{until!r} not shown in the user metadata within {seconds}s; shown: {text!r}")


async def test_the_case_list_and_a_case_page_read_plainly_with_no_setup(
    stack: dict[str, str], reference: str, browser: Browser
) -> None:
    ui = f"http://127.0.0.1:{stack['SCR_TEMPORAL_UI_PORT']}"
    errors: list[str] = []
    page = await operator_page(browser, errors)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    await page.goto(f"{ui}/namespaces/default/workflows")
    case_link = page.locator("a", has_text=f"scr-case-{reference}").first
    await case_link.wait_for(timeout=30_000)
    await page.screenshot(path=ARTIFACTS / "workflow-list.png", full_page=True)

    await case_link.click()
    # The input is decoded through the API's codec: the reference reads plainly, with no banner.
    await page.get_by_text(f'"reference": "{reference}"').first.wait_for(timeout=30_000)
    await page.get_by_text("Independent chair decides whether to initiate an SCR").first.wait_for(timeout=30_000)
    text = await page.inner_text("body")
    await page.screenshot(path=ARTIFACTS / "case-page.png", full_page=True)
    assert CODEC_BANNER not in text
    assert "binary/encrypted" not in text
    assert '"outcome": "died"' in text

    # Summary and current details (Temporal user metadata) say what the case is at a glance, by reference only.
    await page.get_by_role("tab", name="User Metadata").click()
    metadata = await rendered_markdown(page, until=f"{reference} — stage screening")
    await page.screenshot(path=ARTIFACTS / "case-user-metadata.png", full_page=True)
    assert f"{reference} · SCR 2015 v1" in metadata
    assert "Next deadline: Independent chair decides whether to initiate an SCR due" in metadata
    assert "Awaiting: Screen the referral and recommend to the chair (sub_group)" in metadata
    assert errors == []


def test_the_ui_origin_decodes_for_the_operator_and_nothing_else_is_opened(stack: dict[str, str]) -> None:
    """The gateway is the UI's operator for the codec only: the API's other routes still need a token."""
    ui = f"http://127.0.0.1:{stack['SCR_TEMPORAL_UI_PORT']}"
    plain = {"payloads": [{"metadata": {"encoding": _b64(b"json/plain")}, "data": _b64(b'"NEL-2026-0001"')}]}
    with httpx.Client(base_url=ui, timeout=30) as http:
        encoded = http.post("/codec/encode", json=plain, headers={"X-Namespace": "default"})
        assert encoded.status_code == 200, encoded.text
        assert encoded.json() != plain  # ciphertext
        decoded = http.post("/codec/decode", json=encoded.json(), headers={"X-Namespace": "default"})
        assert decoded.json() == plain
    with httpx.Client(base_url=f"http://127.0.0.1:{stack['SCR_API_PORT']}", timeout=30) as api:
        assert api.post("/codec/decode", json=encoded.json()).status_code == 401
        assert api.get("/api/v1/cases").status_code == 401


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
