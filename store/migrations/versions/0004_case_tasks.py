"""The staff task list by index, a page at a time; the case list by index.

``case_tasks`` holds one row per decision an open case awaits (its place in the case's list: a case can await
the same kind twice, e.g. two pre-publication steps) and role that may take it, so
``GET /api/v1/tasks`` reads one index range instead of every open case's JSON. ``cases`` gets the index its
list is sorted by. A notice's ``address`` becomes unbounded text: a directory entry may list several addresses.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CLOSED = ("closed", "closed_without_review")


def upgrade() -> None:
    tasks = op.create_table(
        "case_tasks",
        sa.Column("case_reference", sa.String(32), sa.ForeignKey("cases.reference"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("role", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("board", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
    )
    op.create_index("ix_case_tasks_role_board_due", "case_tasks", ["role", "board", "due", "case_reference"])
    op.create_index("ix_cases_board_created_at", "cases", ["board", "created_at", "reference"])
    op.create_index("ix_cases_created_at", "cases", ["created_at", "reference"])
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("address", type_=sa.Text(), existing_type=sa.String(254), existing_nullable=False)

    cases = sa.table(
        "cases",
        sa.column("reference", sa.String),
        sa.column("board", sa.String),
        sa.column("stage", sa.String),
        sa.column("awaiting", sa.JSON),
    )
    rows: list[dict[str, Any]] = []
    for reference, board, stage, awaiting in op.get_bind().execute(
        sa.select(cases.c.reference, cases.c.board, cases.c.stage, cases.c.awaiting).where(cases.c.stage.not_in(CLOSED))
    ):
        for position, item in enumerate(awaiting or []):
            due = date.fromisoformat(item["due"]) if item.get("due") else None
            for role in dict.fromkeys(item.get("roles", [])):
                rows.append(
                    {
                        "case_reference": reference,
                        "position": position,
                        "role": role,
                        "kind": item["kind"],
                        "board": board,
                        "stage": stage,
                        "description": item["description"],
                        "due": due,
                    }
                )
    if rows:
        op.bulk_insert(tasks, rows)


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("address", type_=sa.String(254), existing_type=sa.Text(), existing_nullable=False)
    op.drop_index("ix_cases_created_at", table_name="cases")
    op.drop_index("ix_cases_board_created_at", table_name="cases")
    op.drop_index("ix_case_tasks_role_board_due", table_name="case_tasks")
    op.drop_table("case_tasks")
