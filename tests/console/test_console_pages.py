"""The staff console over HTTP on the real stack (Temporal dev server, worker, SQLite register): sign-in, CSRF,
My tasks, the case list and a case page, each with one h1 and an honest title."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from domain.lifecycle import BY_KIND
from domain.uk_time import london_date
from store.database import session_factory
from store.models import AuditEvent
from tests.console.pages import csrf_token, h1s, one_h1, sign_in, title
from tests.support.case_harness import Stack, api_stack
from tests.support.document_files import make_pdf
from tests.support.services import MailBox

TODAY = london_date(datetime.now(UTC))


@pytest.fixture
async def stack(dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    async with api_stack(dev_server_env.client, sqlite_url, mail.port) as running:
        yield running


def browser(stack: Stack) -> httpx.AsyncClient:
    """A client of its own (its own cookie jar), on the stack's app."""
    return httpx.AsyncClient(transport=stack.http._transport, base_url="http://scr.test")


async def open_case(stack: Stack, *, aware_days_ago: int) -> str:
    body = {
        "board": stack.board,
        "aware_on": (TODAY - timedelta(days=aware_days_ago)).isoformat(),
        "notified_on": (TODAY - timedelta(days=aware_days_ago)).isoformat(),
        "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
    }
    opened = await stack.open_case(body)
    assert opened.status_code == 201, opened.text
    return str(opened.json()["reference"])


async def settled(stack: Stack, reference: str) -> dict[str, Any]:
    """The case through the API once its workflow has recorded the missed deadline (opening answers before the
    register has every write: a case page shows the register as it is)."""
    for _ in range(100):
        case: dict[str, Any] = (
            await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))
        ).json()
        if case["breaches"] and len(case["deadlines"]) >= 2:
            return case
        await asyncio.sleep(0.1)
    raise AssertionError(f"{reference} never recorded its missed deadline: {case}")


async def test_pages_need_sign_in_and_sign_in_keeps_values_on_error(stack: Stack) -> None:
    async with browser(stack) as http:
        page = await http.get("/console/sign-in")
        assert one_h1(page.text) == "Sign in"
        assert title(page.text) == "Sign in – Serious case reviews"
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "path=/console" in cookie
        missing = await http.get("/console/no-such-page")
        assert missing.status_code == 404
        assert one_h1(missing.text) == "Page not found"
        for path in ("/console", "/console/tasks", "/console/cases", "/console/cases/NEL-2026-0001"):
            away = await http.get(path, follow_redirects=True)
            assert away.url.path == "/console/sign-in", path
        assert "GOV.UK" not in page.text
        assert "govuk-header__logotype" not in page.text

        wrong = await http.post("/console/sign-in", data={"csrf_token": csrf_token(page.text), "user": "sam"})
        assert wrong.status_code == 400
        assert title(wrong.text).startswith("Error: Sign in")
        assert 'href="#role"' in wrong.text
        assert 'id="role"' in wrong.text
        assert "Select your roles" in wrong.text
        assert 'value="sam"' in wrong.text  # the form keeps what was typed
        assert one_h1(wrong.text) == "Sign in"


async def test_a_person_with_several_roles_switches_role_visibly(stack: Stack) -> None:
    reference = await open_case(stack, aware_days_ago=0)
    async with browser(stack) as http:
        page = await http.get("/console/sign-in")
        form = {"csrf_token": csrf_token(page.text), "role": ["business_manager", "sub_group"], "user": "kim"}
        assert (await http.post("/console/sign-in", data=form | {"board": stack.board})).status_code == 303
        tasks = await http.get("/console/tasks")
        assert "kim (business manager" in tasks.text  # the first of their roles, in the service's order
        assert 'href="/console/role"' in tasks.text
        assert reference not in tasks.text  # screening awaits the sub-group, not the business manager

        role = await http.get("/console/role")
        assert one_h1(role.text) == "Which role do you want to act in?"
        token = csrf_token(role.text)
        refused = await http.post("/console/role", data={"csrf_token": token, "role": "independent_chair"})
        assert refused.status_code == 403  # not one of theirs, as X-SCR-Role refuses it
        switched = await http.post("/console/role", data={"csrf_token": token, "role": "sub_group"})
        assert switched.status_code == 303
        tasks = await http.get("/console/tasks")
        assert "kim (sub group" in tasks.text
        assert reference in tasks.text


async def test_the_session_cookie_is_secure_over_https(stack: Stack) -> None:
    async with httpx.AsyncClient(transport=stack.http._transport, base_url="https://scr.test") as http:
        page = await http.get("/console/sign-in")
        assert "secure" in page.headers["set-cookie"].lower()
        signed = await sign_in(http, "auditor")
        assert "secure" in signed.headers["set-cookie"].lower()


async def test_every_form_post_without_the_sessions_token_is_refused(stack: Stack) -> None:
    async with browser(stack) as http:
        page = await http.get("/console/sign-in")
        missing = await http.post("/console/sign-in", data={"role": "sub_group", "user": "sam"})
        forged = await http.post("/console/sign-in", data={"role": "sub_group", "user": "sam", "csrf_token": "x"})
        for refused in (missing, forged):
            assert refused.status_code == 403
            assert one_h1(refused.text) == "You cannot do this"
            assert not title(refused.text).startswith("Error:")
        signed = await sign_in(http, "sub_group")
        assert signed.status_code == 303
        assert signed.headers["location"] == "/console/tasks"
        # The token taken before signing in is worthless after it.
        stale = await http.post("/console/sign-out", data={"csrf_token": csrf_token(page.text)})
        assert stale.status_code == 403
        assert (await http.get("/console/tasks")).status_code == 200
        tasks = await http.get("/console/tasks")
        out = await http.post("/console/sign-out", data={"csrf_token": csrf_token(tasks.text)})
        assert out.status_code == 303
        assert (await http.get("/console/tasks")).headers["location"] == "/console/sign-in"


async def test_my_tasks_the_case_list_and_the_case_page(stack: Stack) -> None:
    late = await open_case(stack, aware_days_ago=60)  # its screening is already past due
    fresh = await open_case(stack, aware_days_ago=0)
    async with browser(stack) as http:
        assert (await sign_in(http, "sub_group", board=stack.board)).status_code == 303
        tasks = await http.get("/console/tasks")
        assert tasks.status_code == 200
        assert one_h1(tasks.text) == "My tasks"
        assert title(tasks.text) == "My tasks – Serious case reviews"
        text = tasks.text
        assert late in text
        assert fresh in text
        assert text.index(late) < text.index(fresh)  # soonest first
        assert "Overdue" in text
        assert "1 task is overdue" in text

        cases = await http.get("/console/cases")
        assert one_h1(cases.text) == "Cases"
        assert late in cases.text
        assert fresh in cases.text
        assert "2 cases" in cases.text
        filtered = await http.get("/console/cases", params={"stage": "published"})
        assert late not in filtered.text
        assert "0 cases at stage published" in filtered.text
        await settled(stack, late)  # the register holds its missed deadline (opening answers before that write)
        overdue_only = (await http.get("/console/cases", params={"overdue": "yes"})).text
        assert late in overdue_only  # opened after its notify deadline had passed: a breach
        assert fresh not in overdue_only
        by_reference = (await http.get("/console/cases", params={"sort": "reference"})).text
        assert "by reference" in by_reference
        first, second = sorted([late, fresh])
        assert by_reference.index(first) < by_reference.index(second)
        assert '<option value="reference" selected>' in by_reference

        await settled(stack, late)
        case = await http.get(f"/console/cases/{late}")
        assert case.status_code == 200
        assert one_h1(case.text) == late
        assert title(case.text) == f"Case {late} – Serious case reviews"
        api = await settled(stack, late)
        for deadline in api["deadlines"]:  # each with its rule and source, as the API gives them
            assert deadline["title"] in case.text
            assert deadline["rule"] in case.text
            assert deadline["source"] in case.text
        assert "statutory deadline was missed" in case.text  # the chair's decision, breached
        assert "moj-timeline__item" in case.text
        assert "Screen the referral" in case.text
        assert len(h1s(case.text)) == 1


async def test_a_board_this_service_does_not_run_and_unknown_cases(stack: Stack) -> None:
    reference = await open_case(stack, aware_days_ago=0)
    async with browser(stack) as http:
        other = await sign_in(http, "business_manager", board="ZZZ")
        assert other.status_code == 400
        assert title(other.text).startswith("Error: ")
        assert 'href="#board"' in other.text
        assert (await http.get(f"/console/cases/{reference}")).headers["location"] == "/console/sign-in"

        await sign_in(http, "business_manager", board=stack.board)
        assert reference in (await http.get(f"/console/cases/{reference}")).text
        unknown = await http.get(f"/console/cases/{stack.board}-2016-9999")
        assert unknown.status_code == 404
        assert one_h1(unknown.text) == "Page not found"
        assert "Sign out" in unknown.text  # still signed in, with the navigation
        assert not title(unknown.text).startswith("Error:")


async def test_a_decision_from_its_generated_form(stack: Stack) -> None:
    reference = await open_case(stack, aware_days_ago=0)
    form_path = f"/console/cases/{reference}/decisions/screening"
    async with browser(stack) as http:
        await sign_in(http, "business_manager", board=stack.board)
        refused = await http.get(form_path)  # screening is the sub-group's
        assert refused.status_code == 403
        assert one_h1(refused.text) == "You cannot do this"
        assert "'business_manager' cannot record the sub-group's screening recommendation" in html.unescape(
            refused.text
        )
        async with session_factory(stack.engine)() as session:  # audited as the API audits it
            rows = await session.scalars(select(AuditEvent).where(AuditEvent.kind == "access_refused"))
            assert [(row.actor, row.role, row.case_reference) for row in rows] == [
                ("sam", "business_manager", reference)
            ]

        case = await http.get(f"/console/cases/{reference}")
        assert f'href="{form_path}"' not in case.text
        # Decisions open to the role at this stage without being awaited, from the registry's roles and stages.
        assert f'href="/console/cases/{reference}/decisions/proceedings"' in case.text
        assert f'href="/console/cases/{reference}/decisions/peer_challenge"' not in case.text

        await sign_in(http, "sub_group", board=stack.board)
        case = await http.get(f"/console/cases/{reference}")
        assert f'href="{form_path}"' in case.text  # what the case awaits from my role links to its form
        form = await http.get(form_path)
        heading = one_h1(form.text)
        assert heading == "Record the sub-group's screening recommendation"
        assert "None</textarea>" not in form.text  # the rationale box starts empty
        assert not title(form.text).startswith("Error:")
        for option in ("initiate_scr", "alternative_review", "no_review"):  # from the input model
            assert f'value="{option}"' in form.text

        token = csrf_token(form.text)
        assert (await http.post(form_path, data={"rationale": "x"})).status_code == 403
        empty = await http.post(form_path, data={"csrf_token": token, "rationale": "Seen at the sub-group"})
        assert empty.status_code == 400
        assert title(empty.text).startswith(f"Error: {heading}")
        assert 'href="#recommendation"' in empty.text
        assert "Select recommendation" in empty.text
        assert "Seen at the sub-group</textarea>" in empty.text  # kept
        assert one_h1(empty.text) == heading

        data = {"csrf_token": token, "recommendation": "initiate_scr", "rationale": "Seen at the sub-group"}
        check = await http.post(form_path, data=data)
        assert check.status_code == 200
        assert one_h1(check.text) == "Check your answers"
        assert not title(check.text).startswith("Error:")
        assert "Initiate SCR" in check.text
        assert "Seen at the sub-group" in check.text
        change = await http.post(form_path, data=data | {"step": "change"})
        assert one_h1(change.text) == heading
        assert 'value="initiate_scr" checked' in change.text  # the answers come back to be changed
        timeline = await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=stack.auth("auditor"))
        assert "Seen at the sub-group" not in timeline.text  # nothing recorded before it is confirmed

        done = await http.post(form_path, data=data | {"step": "confirm"})
        assert done.status_code == 303
        assert done.headers["location"] == f"/console/cases/{reference}?recorded=screening"
        after = await http.get(done.headers["location"])
        banner = '<p class="govuk-notification-banner__heading">Decision recorded: record the sub-group&#39;s screening'
        assert banner in after.text  # the words escaped once, the paragraph itself markup
        assert "Awaiting chair decision" in after.text  # the case moved on
        assert "Seen at the sub-group" in after.text  # the timeline has the reason

        # The case no longer awaits it: refused, nothing changed.
        again = await http.post(form_path, data=data | {"step": "confirm"})
        assert again.status_code == 409
        assert title(again.text).startswith("Error: ")
        assert "govuk-error-summary" in again.text


async def test_a_cases_documents_are_listed_and_downloaded_for_roles_that_read_them(stack: Stack) -> None:
    reference = await open_case(stack, aware_days_ago=0)
    pdf = make_pdf([["Referral notes"]])
    uploaded = await stack.http.post(
        f"/api/v1/cases/{reference}/documents",
        data={"kind": "referral_form"},
        files={"file": ("referral.pdf", pdf, "application/pdf")},
        headers=stack.auth("business_manager", "bob"),
    )
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()["id"]
    async with browser(stack) as http:
        await sign_in(http, "business_manager", board=stack.board)
        case = await http.get(f"/console/cases/{reference}")
        link = f'href="/console/cases/{reference}/documents/{document_id}"'
        assert link in case.text
        assert "Referral form: referral.pdf" in case.text
        download = await http.get(f"/console/cases/{reference}/documents/{document_id}")
        assert download.status_code == 200
        assert download.content == pdf
        assert download.headers["content-type"] == "application/pdf"

        await sign_in(http, "publisher", board=stack.board)  # reads only the publishable kinds
        case = await http.get(f"/console/cases/{reference}")
        assert link not in case.text
        assert (await http.get(f"/console/cases/{reference}/documents/{document_id}")).status_code == 403


async def test_opening_a_case_from_the_console(stack: Stack) -> None:
    async with browser(stack) as http:
        await sign_in(http, "sub_group", board=stack.board)
        assert (await http.get("/console/cases/new")).status_code == 403  # cases.open is not theirs
        assert "Open a case" not in (await http.get("/console/cases")).text

        await sign_in(http, "business_manager", user="bob", board=stack.board)
        assert 'href="/console/cases/new"' in (await http.get("/console/cases")).text
        form = await http.get("/console/cases/new")
        assert one_h1(form.text) == "Open a case"
        token = csrf_token(form.text)
        key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', form.text)
        assert key is not None
        empty = await http.post("/console/cases/new", data={"csrf_token": token, "idempotency_key": key.group(1)})
        assert empty.status_code == 400
        assert title(empty.text).startswith("Error: Open a case")
        assert 'href="#aware_on-day"' in empty.text
        assert 'href="#incident__outcome"' in empty.text

        today = {"day": str(TODAY.day), "month": str(TODAY.month), "year": str(TODAY.year)}
        data = {
            "csrf_token": token,
            "idempotency_key": key.group(1),
            **{f"aware_on-{part}": value for part, value in today.items()},
            **{f"notified_on-{part}": value for part, value in today.items()},
            "incident__outcome": "died",
            "incident__abuse_or_neglect": "suspected",
        }
        check = await http.post("/console/cases/new", data=data)
        assert one_h1(check.text) == "Check your answers"
        assert "Died" in check.text
        assert (await stack.http.get("/api/v1/cases", headers=stack.auth("auditor"))).json()["total"] == 0

        opened = await http.post("/console/cases/new", data=data | {"step": "confirm"})
        assert opened.status_code == 303
        location = opened.headers["location"]
        reference = location.removeprefix("/console/cases/").removesuffix("?opened=1")
        page = await http.get(location)
        assert one_h1(page.text) == reference
        assert f"Case opened: its reference is {reference}." in page.text
        again = await http.post("/console/cases/new", data=data | {"step": "confirm"})  # pressed twice
        assert again.headers["location"] == location
        listed = (await stack.http.get("/api/v1/cases", headers=stack.auth("auditor"))).json()
        assert [case["reference"] for case in listed["items"]] == [reference]


async def test_a_decision_with_a_list_is_asked_item_by_item(stack: Stack) -> None:
    reference = await open_case(stack, aware_days_ago=0)
    assert (await stack.screen(reference)).status_code == 200
    chair = await stack.decide(reference, {"decision": "initiate_scr", "rationale": "Criteria met"})
    assert chair.status_code == 200, chair.text
    kinds = [item["kind"] for item in chair.json()["awaiting"]]
    assert "reviewers" in kinds, kinds
    form_path = f"/console/cases/{reference}/decisions/reviewers"
    async with browser(stack) as http:
        await sign_in(http, "business_manager", board=stack.board)
        form = await http.get(form_path)
        describes = BY_KIND["reviewers"].describes
        assert one_h1(form.text) == describes[0].upper() + describes[1:]
        assert "Reviewer 1" in form.text
        assert "Reviewer 2" not in form.text
        # Enter in a field presses the form's first button: a hidden "Continue", not "Add another".
        first_button = re.search(r"<button[^>]*>\s*([^<]*?)\s*</button>", form.text.split(f'action="{form_path}"')[1])
        assert first_button is not None
        assert first_button.group(1) == "Continue"
        assert 'aria-hidden="true">Continue</button>' in form.text
        token = csrf_token(form.text)
        first = {
            "csrf_token": token,
            "reviewers-0-name": "R. Viewer",
            "reviewers-0-organisation": "Independent",
            "reviewers-0-independence_statement": "No prior involvement with the agencies",
        }
        more = await http.post(form_path, data=first | {"step": "add:reviewers"})
        assert "Reviewer 2" in more.text
        assert 'value="R. Viewer"' in more.text
        assert not title(more.text).startswith("Error:")  # nothing checked yet

        half = await http.post(form_path, data=first | {"reviewers-1-name": "Second"})
        assert half.status_code == 400
        assert 'href="#reviewers-1-organisation"' in half.text

        check = await http.post(form_path, data=first | {"reviewers-1-name": ""})  # a blank item is left out
        assert one_h1(check.text) == "Check your answers"
        assert "Reviewer 1: Name" in check.text
        assert "Reviewer 2" not in check.text
        done = await http.post(form_path, data=first | {"step": "confirm"})
        assert done.status_code == 303
    case = (await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))).json()
    assert "reviewers" not in [item["kind"] for item in case["awaiting"]]


async def test_uploading_a_document_with_govuk_error_wording(stack: Stack) -> None:
    reference = await open_case(stack, aware_days_ago=0)
    path = f"/console/cases/{reference}/documents"
    async with browser(stack) as http:
        await sign_in(http, "business_manager", board=stack.board)
        assert f'href="{path}"' in (await http.get(f"/console/cases/{reference}")).text
        form = await http.get(path)
        assert one_h1(form.text) == "Upload a document"
        token = csrf_token(form.text)

        refused = await http.post(
            path, data={"kind": "referral_form"}, files={"file": ("a.pdf", b"x", "application/pdf")}
        )
        assert refused.status_code == 403
        nothing = await http.post(
            path, data={"csrf_token": token}, files={"file": ("", b"", "application/octet-stream")}
        )
        assert nothing.status_code == 400
        assert title(nothing.text).startswith("Error: Upload a document")
        assert "Select the type of document" in nothing.text
        assert "Select a file" in nothing.text
        assert 'href="#file"' in nothing.text
        wrong = await http.post(
            path,
            data={"csrf_token": token, "kind": "referral_form"},
            files={"file": ("photo.png", b"\x89PNG", "image/png")},
        )
        assert "The selected file must be a PDF, Word document (.docx), text, Markdown or HTML file" in wrong.text
        assert 'value="referral_form" checked' in wrong.text  # the choice is kept

        pdf = make_pdf([["Referral notes"]])
        done = await http.post(
            path,
            data={"csrf_token": token, "kind": "referral_form"},
            files={"file": ("referral.pdf", pdf, "application/pdf")},
        )
        assert done.status_code == 303
        page = await http.get(done.headers["location"])
        assert "Document uploaded." in page.text
        assert "Referral form: referral.pdf" in page.text


async def test_learning_summaries_listed_run_and_read(stack: Stack) -> None:
    async with browser(stack) as http:
        await sign_in(http, "auditor", board=stack.board)
        page = await http.get("/console/learning-summaries")
        assert one_h1(page.text) == "Learning summaries"
        assert "No learning summaries yet." in page.text
        assert "Compile the summary" not in page.text  # auditors read, they do not run

        await sign_in(http, "business_manager", board=stack.board)
        page = await http.get("/console/learning-summaries")
        token = csrf_token(page.text)
        missing = await http.post("/console/learning-summaries", data={"csrf_token": token, "board": stack.board})
        assert missing.status_code == 400
        assert title(missing.text).startswith("Error: Learning summaries")
        assert 'href="#year"' in missing.text
        year = str(TODAY.year)
        run = await http.post(
            "/console/learning-summaries", data={"csrf_token": token, "board": stack.board, "year": year}
        )
        assert run.status_code == 303
        banner = (
            f'__heading">The {stack.board} {year} summary is being compiled: it appears here once it is stored.</p>'
        )
        assert banner in (await http.get(run.headers["location"])).text

        for _ in range(200):  # the run is a workflow: it stores the summary shortly
            listed = await http.get("/console/learning-summaries")
            if f"/console/learning-summaries/{stack.board}/{year}.html" in listed.text:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the summary was never stored")
        read = await http.get(f"/console/learning-summaries/{stack.board}/{year}.html")
        assert read.status_code == 200
        assert read.headers["content-type"].startswith("text/html")
        assert year in read.text
