"""The case list sorted by next deadline (the console's "Next deadline soonest"), a page at a time from an index
rather than a sort of every case of the board: at 10,000 cases it took 5.7x its time at 100 on PostgreSQL
(BENCHMARKS.md, issue 16).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_board_next_deadline", "cases", ["board", "next_deadline_due", "reference"])


def downgrade() -> None:
    op.drop_index("ix_cases_board_next_deadline", table_name="cases")
