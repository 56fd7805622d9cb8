"""Issue 17: a board's reviews already under way, imported through the API on the real stack (dev server, worker,
SQLite or PostgreSQL, SMTP sink) and read back as ordinary cases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.uk_time import london_date
from tests.api.test_learning_summaries_api import finished
from tests.api.test_prepublication_copies_api import eventually
from tests.support.case_harness import Stack, api_stack
from tests.support.import_rows import bad_rows, review_rows, to_csv, to_json
from tests.support.services import MailBox

TODAY = london_date(datetime.now(UTC))
BM = Stack.auth("business_manager", "bob")


async def post_import(
    stack: Stack, content: bytes, *, dry_run: bool = False, name: str = "legacy.csv"
) -> httpx.Response:
    return await stack.http.post(
        "/api/v1/imports",
        params={"dry_run": str(dry_run).lower()},
        files={"file": (name, content, "text/csv")},
        headers=BM,
        timeout=300,
    )


async def case_count(stack: Stack) -> int:
    listed = await stack.http.get("/api/v1/cases", headers=Stack.auth("auditor"))
    total: int = listed.json()["total"]
    return total


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {case["board_case_id"]: case for case in report["cases"]}


async def test_a_file_of_reviews_in_progress_is_taken_in_and_reads_back_through_the_api(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox
) -> None:
    async with api_stack(dev_server_env.client, sqlite_url, mail.port) as stack:
        rows = review_rows(stack.board, TODAY)
        bad = bad_rows(stack.board, TODAY)

        # A file with bad rows: the dry run lists every error by row and column; the import takes nothing.
        with_bad = to_csv(rows + [row for row, _, _ in bad])
        checked = await post_import(stack, with_bad, dry_run=True)
        assert checked.status_code == 200, checked.text
        errors = {(e["row"], e["column"]): e["message"] for e in checked.json()["errors"]}
        for offset, (_, column, words) in enumerate(bad):
            line = 52 + offset  # the header is line 1, the 50 good rows lines 2-51
            assert words in errors[(line, column)], errors
        refused = await post_import(stack, with_bad)
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith(f"The file has {len(errors)} error(s); nothing was imported")
        assert await case_count(stack) == 0

        # The good file: a dry run creates nothing, then the import creates all 50 at their stages.
        good = to_csv(rows)
        dry = await post_import(stack, good, dry_run=True)
        assert dry.status_code == 200, dry.text
        assert (dry.json()["created"], len(dry.json()["cases"]), dry.json()["errors"]) == (0, 50, [])
        assert await case_count(stack) == 0
        imported = await post_import(stack, good)
        assert imported.status_code == 201, imported.text
        report = imported.json()
        assert report["created"] == 50
        assert {case["stage"] for case in report["cases"]} >= {r["stage"] for r in rows} - {"published"}
        assert await case_count(stack) == 50
        cases = by_id(report)

        # Read back: stage, deadlines settled from the real dates, the timeline naming the import.
        awaiting = cases["LEG-005"]  # awaiting the chair's decision, notified 10+ days ago
        read = await stack.http.get(f"/api/v1/cases/{awaiting['reference']}", headers=BM)
        assert read.status_code == 200, read.text
        assert read.json()["stage"] == "awaiting_chair_decision"
        deadlines = {d["key"]: d for d in read.json()["deadlines"]}
        assert deadlines["notify_lscb"]["status"] == "met"
        assert deadlines["notify_ofsted"]["status"] == "met"  # told on aware_on + 3: in time
        late = cases["LEG-006"]  # Ofsted told 9 days after awareness: late
        late_deadlines = {d["key"]: d for d in (await read_case(stack, late["reference"]))["deadlines"]}
        assert late_deadlines["notify_ofsted"]["status"] == "met_late"
        in_review = await read_case(stack, cases["LEG-021"]["reference"])
        statuses = {d["key"]: d["status"] for d in in_review["deadlines"]}
        assert statuses["chair_decision"] in ("met", "met_late")
        assert statuses["review_completion"] in ("pending", "overdue")
        breached = [c for c in report["cases"] if any(d["status"] == "overdue" for d in c["deadlines"])]
        assert breached, "some reviews ran past their deadlines before the import"
        timeline = await stack.http.get(f"/api/v1/cases/{cases['LEG-021']['reference']}/timeline", headers=BM)
        assert timeline.status_code == 200, timeline.text
        events = timeline.json()
        imported_event = next(e for e in events if e["kind"] == "case_imported")
        assert imported_event["details"]["imported"]["file"] == "legacy.csv"
        assert imported_event["details"]["imported"]["row"] == 22
        chair = next(e for e in events if e["kind"] == "decision" and e["details"].get("decision_kind") == "chair")
        chair_row = next(r for r in rows if r["board_case_id"] == "LEG-021")
        assert chair["at"].startswith(chair_row["chair_decision_on"])
        assert chair["actor"] == "bob"

        # Ordinary cases: a further decision on an imported case.
        decided = await stack.decide(awaiting["reference"], {"decision": "initiate_scr", "rationale": "Criteria met"})
        assert decided.status_code == 200, decided.text
        assert decided.json()["stage"] == "reviewer_appointment"

        async def chair_notices() -> list[str] | None:
            prefix = f"[{awaiting['reference']}] Independent chair's decision"
            found = [str(m["Subject"]) for m in mail.messages() if str(m["Subject"]).startswith(prefix)]
            return found or None

        assert await eventually(chair_notices, "the chair's decision told to Ofsted and the National Panel")
        # Nothing from the years before the import was sent again: no chair's decision of another case, and no
        # escalation of a deadline missed before the import (recorded as breached, not escalated).
        assert not [m for m in mail.messages() if "Deadline missed" in str(m["Subject"])]
        assert not [
            m
            for m in mail.messages()
            if "Independent chair's decision" in str(m["Subject"]) and awaiting["reference"] not in str(m["Subject"])
        ]

        # The lead reviewer named in the file acts on the case (an appointed role sees only the cases naming it).
        in_review = cases["LEG-018"]["reference"]
        report_in = await stack.http.post(
            f"/api/v1/cases/{in_review}/decisions/final_report",
            json={"document": "doc-overview-1", "summary": "Final report"},
            headers=Stack.auth("lead_reviewer", "reviewer-18"),
        )
        assert report_in.status_code == 200, report_in.text
        assert report_in.json()["stage"] == "quality_assurance"
        other = await stack.http.get(f"/api/v1/cases/{in_review}", headers=Stack.auth("lead_reviewer", "reviewer-19"))
        assert other.status_code == 403

        # Importing the same file again creates nothing.
        again = await post_import(stack, good)
        assert again.status_code == 200, again.text
        assert again.json()["created"] == 0
        assert {c["reference"] for c in again.json()["cases"]} == {c["reference"] for c in report["cases"]}
        assert await case_count(stack) == 50

        # The learning summary of a past year counts the imported cases of that year.
        published = [
            r for r in rows if r.get("published_on") and date.fromisoformat(r["published_on"]).year < TODAY.year
        ]
        year = date.fromisoformat(published[0]["published_on"]).year
        ran = await stack.http.post("/api/v1/learning-summaries", json={"board": stack.board, "year": year}, headers=BM)
        assert ran.status_code == 202, ran.text
        await finished(stack.client, stack.board, year)
        markdown = await stack.http.get(f"/api/v1/learning-summaries/{stack.board}/{year}.md", headers=BM)
        assert markdown.status_code == 200, markdown.text
        assert cases[published[0]["board_case_id"]]["reference"] in markdown.text


async def read_case(stack: Stack, reference: str) -> dict[str, Any]:
    read = await stack.http.get(f"/api/v1/cases/{reference}", headers=BM)
    assert read.status_code == 200, read.text
    body: dict[str, Any] = read.json()
    return body


async def test_json_import_on_postgres_and_only_the_business_manager_imports(
    dev_server_env: WorkflowEnvironment, database_url: str, mail: MailBox
) -> None:
    async with api_stack(dev_server_env.client, database_url, mail.port) as stack:
        rows = [row for row in review_rows(stack.board, TODAY) if row["stage"] in ("screening", "published")]
        # One keeps the board's own reference; the others of its year are allocated numbers after it.
        kept = f"{stack.board}-{rows[-2]['notified_on'][:4]}-0042"
        rows[-1] = rows[-1] | {"reference": kept}
        content = to_json(rows)
        chair = await stack.http.post(
            "/api/v1/imports",
            content=content,
            headers=Stack.auth("independent_chair") | {"content-type": "application/json"},
        )
        assert chair.status_code == 403
        imported = await stack.http.post(
            "/api/v1/imports",
            content=content,
            params={"file_name": "legacy.json"},
            headers=BM | {"content-type": "application/json"},
            timeout=300,
        )
        assert imported.status_code == 201, imported.text
        assert imported.json()["created"] == len(rows)
        references = [case["reference"] for case in imported.json()["cases"]]
        assert references[-1] == kept
        assert references[-2] == kept.replace("-0042", "-0043")
        assert (await read_case(stack, kept))["stage"] in ("published", "retained")
        assert await case_count(stack) == len(rows)
        # Only notices owed from now on go out: the incident notice of the review notified two days ago whose
        # five working days still run (LEG-001, Ofsted not told), to Ofsted; none for the reviews of years ago.
        fresh = by_id(imported.json())["LEG-001"]["reference"]

        async def incident_notices() -> list[str] | None:
            subjects = [str(m["Subject"]) for m in mail.messages() if "safeguarding incident" in str(m["Subject"])]
            return subjects or None

        subjects = await eventually(incident_notices, "the incident notice owed")
        assert all(subject.startswith(f"[{fresh}]") for subject in subjects), subjects
