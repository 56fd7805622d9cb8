"""Documents (metadata; bytes in the document store), case identifiers for the anonymisation gate, the chair's
accepted hits, the public site's publications, and requests for removed reviews.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _case_reference(*, index: bool = False, primary_key: bool = False) -> "sa.Column[str]":
    return sa.Column(
        "case_reference",
        sa.String(32),
        sa.ForeignKey("cases.reference"),
        nullable=False,
        index=index,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _case_reference(index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("uploaded_by", sa.String(128), nullable=False),
        sa.Column("uploaded_role", sa.String(40), nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False),
    )
    op.create_table(
        "case_identifiers",
        _case_reference(primary_key=True),
        sa.Column("identifiers", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "anonymisation_acceptances",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _case_reference(index=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("case_documents.id"), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("matched_text", sa.Text, nullable=False),
        sa.Column("match_key", sa.String(400), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("accepted_by", sa.String(128), nullable=False),
        sa.Column("accepted_at", TZ, nullable=False),
        sa.UniqueConstraint("document_id", "match_key", name="uq_anonymisation_acceptances_match"),
    )
    op.create_table(
        "publications",
        _case_reference(primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("withheld", sa.Boolean, nullable=False),
        sa.Column("publication_on", sa.Date),
        sa.Column("removed_on", sa.Date),
        sa.Column("documents", sa.JSON, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "review_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _case_reference(index=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("client_key", sa.String(64), nullable=False, index=True),
        sa.Column("requested_at", TZ, nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answered_by", sa.String(128)),
        sa.Column("answered_at", TZ),
        sa.Column("note", sa.Text),
    )


def downgrade() -> None:
    for table in (
        "review_requests",
        "publications",
        "anonymisation_acceptances",
        "case_identifiers",
        "case_documents",
    ):
        op.drop_table(table)
