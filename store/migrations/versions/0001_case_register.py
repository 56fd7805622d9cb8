"""Case register: cases, deadlines, append-only audit, notices, reference sequences.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reference_sequences",
        sa.Column("board", sa.String(16), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_value", sa.Integer, nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("reference", sa.String(32), primary_key=True),
        sa.Column("board", sa.String(16), nullable=False, index=True),
        sa.Column("workflow_id", sa.String(64), nullable=False, unique=True),
        sa.Column("idempotency_key", sa.String(128)),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False, index=True),
        sa.Column("rule_pack", sa.String(40), nullable=False),
        sa.Column("rule_pack_version", sa.String(16), nullable=False),
        sa.Column("aware_on", sa.Date, nullable=False),
        sa.Column("notified_on", sa.Date, nullable=False),
        sa.Column("incident", sa.JSON, nullable=False),
        sa.Column("assessment", sa.JSON),
        sa.Column("overdue", sa.Boolean, nullable=False),
        sa.Column("snapshot_version", sa.Integer, nullable=False),
        sa.Column("next_deadline_key", sa.String(40)),
        sa.Column("next_deadline_due", sa.Date),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("board", "idempotency_key", name="uq_cases_board_idempotency_key"),
    )
    op.create_table(
        "case_deadlines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_reference", sa.String(32), sa.ForeignKey("cases.reference"), nullable=False, index=True),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("met_at", TZ),
        sa.Column("breached_at", TZ),
        sa.UniqueConstraint("case_reference", "key", name="uq_case_deadlines_case_key"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("business_key", sa.String(200), nullable=False, unique=True),
        sa.Column("case_reference", sa.String(32), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("rationale", sa.Text),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("business_key", sa.String(200), nullable=False, unique=True),
        sa.Column("case_reference", sa.String(32), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(40), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("message_id", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
    )
    _make_audit_append_only()


def _make_audit_append_only() -> None:
    # The audit trail is evidence: the database itself refuses to change or delete it.
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    for table in ("notices", "audit_events", "case_deadlines", "cases", "reference_sequences"):
        op.drop_table(table)
