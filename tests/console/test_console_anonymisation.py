"""The anonymisation gate in the console over HTTP on the real stack: each document's state on the case page,
the check's hits (matched text only for roles that read identifying details), and the chair's acceptance."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.services.anonymisation import SCANS
from store.database import session_factory
from store.models import AuditEvent
from tests.console.pages import csrf_token, one_h1, sign_in, title
from tests.console.test_console_pages import browser, open_case
from tests.support.case_harness import Stack, api_stack
from tests.support.document_files import make_pdf
from tests.support.services import MailBox

NAME = "Jamie Quenby"


@pytest.fixture
async def stack(dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    async with api_stack(dev_server_env.client, sqlite_url, mail.port) as running:
        yield running


async def upload(stack: Stack, reference: str, kind: str, lines: list[str]) -> int:
    sent = await stack.http.post(
        f"/api/v1/cases/{reference}/documents",
        data={"kind": kind},
        files={"file": (f"{kind}.pdf", make_pdf([lines]), "application/pdf")},
        headers=stack.auth("business_manager", "bob"),
    )
    assert sent.status_code == 201, sent.text
    return int(sent.json()["id"])


def state(page: str, document_id: int) -> str:
    found = re.search(rf'id="anonymisation-{document_id}">(.*?)</span>\s*</li>', page, re.S)
    assert found, f"no anonymisation state for document {document_id}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


async def audit_kinds(stack: Stack) -> list[str]:
    async with session_factory(stack.engine)() as session:
        return [row.kind for row in await session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


async def test_document_states_on_the_case_page(stack: Stack) -> None:
    reference = await open_case(stack, aware_days_ago=0)
    report = await upload(stack, reference, "overview_report", [f"The child, {NAME}, lived with her mother."])
    summary = await upload(stack, reference, "executive_summary", ["The child lived with her mother."])
    referral = await upload(stack, reference, "referral_form", [f"Referral about {NAME}"])
    case_path = f"/console/cases/{reference}"
    async with browser(stack) as http:
        await sign_in(http, "business_manager", board=stack.board)
        page = (await http.get(case_path)).text
        assert "Identifiers not recorded" in state(page, report)
        assert "Identifiers not recorded" in state(page, summary)
        assert "not published" in state(page, referral)

        recorded = await stack.http.put(
            f"/api/v1/cases/{reference}/identifiers",
            json={"names": [NAME]},
            headers=stack.auth("business_manager", "bob"),
        )
        assert recorded.status_code == 200, recorded.text
        for role in ("business_manager", "publisher", "independent_chair"):
            await sign_in(http, role, board=stack.board)
            page = (await http.get(case_path)).text
            assert state(page, report) == "Anonymisation: Not clear 1 hit, 0 unreadable parts", role
            assert state(page, summary) == "Anonymisation: Clear", role
            assert "Jamie" not in page  # counts only on the case page, whoever reads it
            assert f'href="{case_path}/anonymisation"' in page
        # A page view, not a check: the check page and the API's check are the audited ones.
        assert "anonymisation_check" not in await audit_kinds(stack)

        await sign_in(http, "sub_group", board=stack.board)  # may read documents, may not run the check
        page = (await http.get(case_path)).text
        assert "Anonymisation:" not in page
        assert f'href="{case_path}/anonymisation"' not in page
        assert (await http.get(f"{case_path}/anonymisation")).status_code == 403


async def test_the_case_page_reuses_the_scans_until_a_document_or_the_identifiers_change(stack: Stack) -> None:
    reference = await open_case(stack, aware_days_ago=0)
    report = await upload(stack, reference, "overview_report", [f"The child, {NAME}, lived with her mother."])
    await stack.http.put(
        f"/api/v1/cases/{reference}/identifiers", json={"names": [NAME]}, headers=stack.auth("business_manager")
    )
    case_path = f"/console/cases/{reference}"
    async with browser(stack) as http:
        await sign_in(http, "business_manager", board=stack.board)
        before = SCANS.runs
        for _ in range(2):
            page = (await http.get(case_path)).text
            assert state(page, report) == "Anonymisation: Not clear 1 hit, 0 unreadable parts"
        assert SCANS.runs == before + 1  # viewed twice, scanned once

        summary = await upload(stack, reference, "executive_summary", ["The child lived with her mother."])
        page = (await http.get(case_path)).text
        assert state(page, summary) == "Anonymisation: Clear"
        assert SCANS.runs == before + 2  # only the new document is scanned

        await stack.http.put(
            f"/api/v1/cases/{reference}/identifiers",
            json={"names": [NAME, "her mother"]},
            headers=stack.auth("business_manager"),
        )
        page = (await http.get(case_path)).text
        assert state(page, summary) == "Anonymisation: Not clear 1 hit, 0 unreadable parts"  # changed identifiers
        assert state(page, report) == "Anonymisation: Not clear 2 hits, 0 unreadable parts"
        assert SCANS.runs == before + 4
        assert "anonymisation_check" not in await audit_kinds(stack)

        await http.get(f"{case_path}/anonymisation")  # the check itself: audited, and run afresh
        assert (await audit_kinds(stack))[-1] == "anonymisation_check"


async def test_hits_and_the_chairs_acceptance(stack: Stack) -> None:
    reference = await open_case(stack, aware_days_ago=0)
    report = await upload(stack, reference, "overview_report", [f"The child, {NAME}, lived with her mother."])
    path = f"/console/cases/{reference}/anonymisation"
    async with browser(stack) as http:
        await sign_in(http, "independent_chair", board=stack.board)
        page = await http.get(path)
        assert one_h1(page.text) == "Anonymisation check"
        assert "The check cannot run: the case's identifying details are not recorded yet." in page.text
        await stack.http.put(
            f"/api/v1/cases/{reference}/identifiers",
            json={"names": [NAME]},
            headers=stack.auth("business_manager", "bob"),
        )

        await sign_in(http, "publisher", board=stack.board)  # runs the check, may not see identifying details
        page = await http.get(path)
        assert page.status_code == 200
        assert "Not clear" in page.text
        assert "1 hit, 0 unreadable parts and 2 documents not uploaded block publication." in page.text
        assert "Executive summary" in page.text  # not uploaded yet: publication needs it
        assert "A recorded name" in page.text
        assert "Page 1, paragraph 1, line 1" in page.text  # where, in words
        assert "Jamie" not in page.text
        assert "Accept with this reason" not in page.text

        await sign_in(http, "independent_chair", board=stack.board)
        page = await http.get(path)
        assert NAME in page.text
        assert "None</textarea>" not in page.text
        assert csrf_token(page.text)
        card = page.text.split('id="hit-0"')[1].split("</form>")[0]
        form = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', card)}
        assert form["matched_text"] == NAME
        forged = await http.post(path, data=form | {"csrf_token": "forged", "reason": "A good reason"})
        assert forged.status_code == 403

        short = await http.post(path, data=form | {"reason": "short"})
        assert short.status_code == 400
        assert title(short.text).startswith("Error: Anonymisation check")
        assert 'href="#reason-0"' in short.text
        assert 'id="reason-0"' in short.text
        assert "Enter a reason of 10 characters or more" in short.text
        assert ">short</textarea>" in short.text  # kept
        assert "anonymisation_hit_accepted" not in await audit_kinds(stack)

        reason = "The family asked for the name to be used"
        done = await http.post(path, data=form | {"reason": reason})
        assert done.status_code == 303
        assert done.headers["location"] == f"{path}?accepted=1"
        after = await http.get(done.headers["location"])
        assert "Hit accepted: it no longer blocks publication." in after.text
        assert 'id="accepted-0"' in after.text
        assert "anonymisation_hit_accepted" in await audit_kinds(stack)
        case = (await http.get(f"/console/cases/{reference}")).text
        assert state(case, report) == "Anonymisation: Clear (1 accepted hit)"

        await sign_in(http, "publisher", board=stack.board)  # the chair's alone
        page = await http.get(path)
        refused = await http.post(path, data=form | {"csrf_token": csrf_token(page.text), "reason": reason})
        assert refused.status_code == 403


async def test_recording_and_reading_the_identifying_details(stack: Stack) -> None:
    reference = await open_case(stack, aware_days_ago=0)
    path = f"/console/cases/{reference}/identifiers"
    api_path = f"/api/v1/cases/{reference}/identifiers"
    async with browser(stack) as http:
        await sign_in(http, "business_manager", board=stack.board)
        case = await http.get(f"/console/cases/{reference}")
        assert f'href="{path}"' in case.text
        page = await http.get(path)
        assert one_h1(page.text) == "Identifying details"
        assert title(page.text) == f"Identifying details – {reference} – Serious case reviews"
        assert "None</textarea>" not in page.text  # empty boxes start empty
        token = csrf_token(page.text)
        assert (await http.post(path, data={"names": NAME})).status_code == 403

        empty = await http.post(path, data={"csrf_token": token})
        assert empty.status_code == 400
        assert "Enter at least one identifying detail" in empty.text
        assert 'href="#names"' in empty.text
        wrong = {"csrf_token": token, "names": NAME, "dates_of_birth": "31 2 2015", "postcodes": "DN31 1HU\nnowhere"}
        invalid = await http.post(path, data=wrong)
        assert invalid.status_code == 400
        assert title(invalid.text).startswith("Error: Identifying details")
        assert one_h1(invalid.text) == "Identifying details"
        assert 'href="#dates_of_birth"' in invalid.text
        assert "Date of birth 1 must be a real date, for example 27 3 2015" in invalid.text
        assert 'href="#postcodes"' in invalid.text
        assert "Postcode 2 is not a UK postcode (e.g. DN31 1HU)" in invalid.text
        assert f">{NAME}</textarea>" in invalid.text  # the form keeps what was typed
        assert (await stack.http.get(api_path, headers=stack.auth("business_manager"))).status_code == 404

        good = wrong | {"names": f"{NAME}\nSam Quenby", "dates_of_birth": "27 3 2015", "postcodes": "dn31 1hu"}
        done = await http.post(path, data=good)
        assert done.status_code == 303
        assert done.headers["location"] == f"/console/cases/{reference}?identifiers=1"
        case = await http.get(done.headers["location"])
        assert "Identifying details recorded." in case.text
        assert "Quenby" not in case.text
        assert "Quenby" not in (await http.get("/console/cases")).text
        api = (await stack.http.get(api_path, headers=stack.auth("business_manager"))).json()["identifiers"]
        assert api["names"] == [NAME, "Sam Quenby"]
        assert api["dates_of_birth"] == ["2015-03-27"]
        assert api["postcodes"] == ["DN31 1HU"]
        assert "identifiers_recorded" in await audit_kinds(stack)
        again = await http.get(path)
        assert f"{NAME}\nSam Quenby</textarea>" in again.text
        assert ">27 3 2015</textarea>" in again.text
        assert "Quenby" not in title(again.text)

        await sign_in(http, "independent_chair", board=stack.board)  # reads them, does not record them
        page = await http.get(path)
        assert f"<li>{NAME}</li>" in page.text
        assert "Save identifying details" not in page.text
        assert (await http.post(path, data={"csrf_token": csrf_token(page.text), "names": "X Y"})).status_code == 403

        await sign_in(http, "publisher", board=stack.board)
        assert (await http.get(path)).status_code == 403
        assert f'href="{path}"' not in (await http.get(f"/console/cases/{reference}")).text
