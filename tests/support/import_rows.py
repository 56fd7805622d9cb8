"""A realistic import file (issue 17): 50 reviews of one board across every stage, with their real dates counted
back from today, and bad rows each with one thing wrong. Built by code because each test's board code differs."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

from domain.imports.columns import COLUMNS

DIED = {"outcome": "died", "abuse_or_neglect": "known"}
HARMED = {"outcome": "seriously_harmed", "abuse_or_neglect": "suspected", "inter_agency_concern": "yes"}
LEARNING = {
    "outcome": "no_death_or_serious_harm",
    "abuse_or_neglect": "not_suspected",
    "learning_review_reason": "stuck_case",
}

# stage -> how many of the 50 are at it
STAGE_COUNTS = {
    "screening": 4,
    "awaiting_chair_decision": 4,
    "panel_scrutiny": 3,
    "reviewer_appointment": 3,
    "alternative_review": 3,
    "in_review": 5,
    "quality_assurance": 3,
    "action_plan": 3,
    "publication_decision": 4,  # two of them not publishing
    "publication_on_hold": 2,
    "pre_publication": 3,
    "published": 4,
    "retained": 2,
    "removed": 2,
    "closed": 3,
    "closed_without_review": 2,
}


def _day(today: date, days_ago: int) -> str:
    return (today - timedelta(days=days_ago)).isoformat()


def review_row(board: str, number: int, stage: str, today: date, variant: int = 0) -> dict[str, Any]:
    """One review at ``stage``; ``variant`` moves its dates (late or on time) and its facts."""
    age = 40 + 97 * variant  # days since the most recent step, so some deadlines still run and some have passed
    row: dict[str, Any] = {"board_case_id": f"LEG-{number:03d}", "board": board, "stage": stage, **DIED}
    row["recorded_by"] = "Board business unit"

    def back(days: int) -> str:
        return _day(today, days)

    if stage == "screening":
        start = 2 + 30 * variant
        row.update(aware_on=back(start + 1), notified_on=back(start))
        if variant % 2:
            row["ofsted_notified_on"] = back(start)
        return row
    span = {
        "awaiting_chair_decision": 10,
        "panel_scrutiny": 40,
        "alternative_review": 60,
        "closed_without_review": 80,
        "reviewer_appointment": 40,
        "in_review": 120,
        "quality_assurance": 300,
        "action_plan": 330,
        "publication_decision": 360,
        "publication_on_hold": 400,
        "pre_publication": 420,
        "published": 500,
        "retained": 900,
        "removed": 1300,
        "closed": 1500,
    }[stage] + age * (variant + 1)
    aware = today - timedelta(days=span)
    row.update(aware_on=aware.isoformat(), notified_on=(aware + timedelta(days=2 + variant)).isoformat())
    row["ofsted_notified_on"] = (aware + timedelta(days=3 + 6 * (variant % 2))).isoformat()  # some late
    row.update(screening_recommendation="initiate_scr", screened_on=(aware + timedelta(days=9)).isoformat())
    if stage == "awaiting_chair_decision":
        return row
    chair_on = aware + timedelta(days=20 + 25 * (variant % 2))  # a month from notification: some late
    row.update(chair_decision="initiate_scr", chair_decision_on=chair_on.isoformat())
    if stage in ("panel_scrutiny", "alternative_review", "closed_without_review") or (
        stage == "closed" and variant == 1
    ):
        row.update(LEARNING, screening_recommendation="alternative_review")
        row["abuse_or_neglect"] = "not_suspected"
        not_initiating = stage == "closed_without_review" or (stage == "panel_scrutiny" and variant != 1)
        decision = "do_not_initiate" if not_initiating else "alternative_review"
        row["chair_decision"] = decision
        if stage in ("alternative_review", "closed_without_review", "closed"):
            row["scrutiny_outcome_on"] = (chair_on + timedelta(days=14)).isoformat()
        if stage.startswith("closed"):
            row["closed_on"] = (chair_on + timedelta(days=30 if stage == "closed_without_review" else 200)).isoformat()
        row.pop("ofsted_notified_on")
        return row
    if variant == 2:
        row.update(HARMED)
    if stage != "reviewer_appointment" or variant == 0:  # the lead reviewer acts on the cases naming their account
        row.update(
            lead_reviewer=f"Reviewer {number}",
            lead_reviewer_organisation="Independent",
            lead_reviewer_account=f"reviewer-{number}",
        )
    if stage in ("reviewer_appointment", "in_review"):
        return row
    report = chair_on + timedelta(days=150 + 60 * (variant % 2))  # six months from initiation: some late
    row["final_report_on"] = report.isoformat()
    if stage in ("quality_assurance", "action_plan"):
        return row
    decided = report + timedelta(days=60)
    if stage == "publication_decision":
        if variant % 2:
            row.update(
                publication_decision="do_not_publish",
                publication_decision_on=decided.isoformat(),
                non_publication_reason="harm_to_child_or_family",
            )
        return row
    row.update(publication_decision="publish", publication_decision_on=decided.isoformat())
    if stage == "publication_on_hold":
        row.update(proceedings="criminal_trial" if variant else "inquest")
        return row
    if stage == "pre_publication":
        planned = today + timedelta(days=30 + 10 * variant)
        row["publication_on"] = planned.isoformat()
        if variant == 1:
            row["copies_sent_on"] = today.isoformat()
        return row
    published = decided + timedelta(days=45)
    row.update(
        publication_on=published.isoformat(),
        published_on=published.isoformat(),
        copies_sent_on=(published - timedelta(days=10 + 7 * (variant % 2))).isoformat(),
    )
    row["location"] = f"https://lscb.example.org/reviews/{row['board_case_id'].lower()}"
    if stage in ("published", "retained"):
        return row
    removed = published + timedelta(days=400)
    row["removed_on"] = removed.isoformat()
    if stage == "closed":
        row["closed_on"] = (removed + timedelta(days=20)).isoformat()
    return row


def review_rows(board: str, today: date) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for stage, count in STAGE_COUNTS.items():
        for variant in range(count):
            row = review_row(board, len(rows) + 1, stage, today, variant)
            if stage == "published" and variant == 0:  # published within the last 12 months
                published = today - timedelta(days=100)
                decided = published - timedelta(days=45)
                row.update(
                    publication_on=published.isoformat(),
                    published_on=published.isoformat(),
                    copies_sent_on=(published - timedelta(days=10)).isoformat(),
                    publication_decision_on=decided.isoformat(),
                    final_report_on=(decided - timedelta(days=60)).isoformat(),
                )
            rows.append(row)
    assert len(rows) == 50
    return rows


def bad_rows(board: str, today: date) -> list[tuple[dict[str, Any], str, str]]:
    """Rows each with one thing wrong: the row, the column the error names, and words of its message."""
    base = review_row(board, 0, "in_review", today)
    return [
        (
            {**base, "board_case_id": "BAD-DATE", "chair_decision_on": "2016-13-40"},
            "chair_decision_on",
            "is not a date",
        ),
        ({**base, "board_case_id": "BAD-STAGE", "stage": "in_limbo"}, "stage", "'in_limbo' is not one of"),
        (
            {**base, "board_case_id": "BAD-RULE", "stage": "panel_scrutiny", "chair_decision": "do_not_initiate"},
            "chair_decision",
            "An SCR is mandatory",
        ),
        (
            {
                **review_row(board, 0, "removed", today),
                "board_case_id": "BAD-EARLY",
                "removed_on": _day(today, 1),
                "published_on": _day(today, 60),
                "publication_on": _day(today, 60),
                "copies_sent_on": _day(today, 70),
                "publication_decision_on": _day(today, 80),
            },
            "removed_on",
            "at least 12 months",
        ),
        ({k: v for k, v in base.items() if k != "outcome"} | {"board_case_id": "BAD-MISSING"}, "outcome", "required"),
    ]


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """The rows under the documented header (every column, in its order)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {key: ("true" if value is True else "false" if value is False else value) for key, value in row.items()}
        )
    return out.getvalue().encode()


def to_json(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps({"rows": rows}).encode()
