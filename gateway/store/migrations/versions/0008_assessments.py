"""The gradebook's assessment profile: assessmentLineItems and assessmentResults tables, in the
shape of every stream table, with (tenant, reference) indexes for the provider's sharing rule.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = {
    "or_assessment_line_items": (
        ("title", "description", "class_sourced_id", "parent_assessment_line_item_sourced_id",
         "score_scale_sourced_id", "result_value_min", "result_value_max"),
        ("class_sourced_id",)),
    "or_assessment_results": (
        ("assessment_line_item_sourced_id", "student_sourced_id", "score", "text_score",
         "score_date", "score_scale_sourced_id", "score_percentile", "score_status", "comment",
         "in_progress", "incomplete", "late", "missing"),
        ("assessment_line_item_sourced_id", "student_sourced_id")),
}
"""Per table: its payload columns, and the references that get a (tenant, column) index."""


def upgrade() -> None:
    for table, (payload, lookups) in TABLES.items():
        op.create_table(
            table,
            sa.Column("tenant_id", sa.Integer(), nullable=False),
            sa.Column("sourced_id", sa.String(255), nullable=False),
            sa.Column("status", sa.String(12), nullable=False),
            sa.Column("date_last_modified", sa.String(32), nullable=False),
            sa.Column("version", sa.BigInteger(), nullable=False),
            sa.Column("content_hash", sa.BigInteger(), nullable=False),
            sa.Column("connection_id", sa.Integer(), nullable=False),
            sa.Column("source_modified", sa.String(32), nullable=True),
            *(sa.Column(column, sa.Text(), nullable=True) for column in payload),
            sa.Column("metadata", sa.Text(), nullable=True),
        )
        op.create_index(f"ux_{table}_key", table, ["tenant_id", "sourced_id"], unique=True)
        op.create_index(f"ix_{table}_version", table, ["tenant_id", "version"])
        for column in lookups:
            op.create_index(f"ix_{table}_{column}", table, ["tenant_id", column])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
